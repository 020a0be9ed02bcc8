"""Headers for files sent as files: static assets cached long, the database download sent with its length.

- Datasette's and its plugins' static files (/-/static/, /-/static-plugins/) change only when the site is
  redeployed with another version: browsers may keep them a week, and a year for a URL carrying its content's
  hash (Datasette's app.css?<hash>), which changes whenever the file does.
- Datasette sends the immutable database with both its Content-Length and "Transfer-Encoding: chunked", and
  the server then drops the length, so a download shows no size or progress. The file never changes while the
  server runs: the length is right, and the chunked header goes.
"""

from datasette import hookimpl

STATIC_PREFIXES = ("/-/static/", "/-/static-plugins/")
WEEK = b"public, max-age=604800"
YEAR = b"public, max-age=31536000, immutable"


def static_cache_control(scope):
    if not scope["path"].startswith(STATIC_PREFIXES):
        return None
    return YEAR if scope.get("query_string") else WEEK


def with_headers(message, scope):
    headers = list(message.get("headers", []))
    names = {name.lower() for name, _ in headers}
    if message["status"] == 200 and (cache_control := static_cache_control(scope)) and b"cache-control" not in names:
        headers.append((b"cache-control", cache_control))
    if scope["path"].endswith(".db") and b"content-length" in names:
        headers = [(name, value) for name, value in headers if name.lower() != b"transfer-encoding"]
    return {**message, "headers": headers}


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def file_headers(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)

            async def send_with_headers(message):
                await send(with_headers(message, scope) if message["type"] == "http.response.start" else message)

            return await app(scope, receive, send_with_headers)

        return file_headers

    return wrap
