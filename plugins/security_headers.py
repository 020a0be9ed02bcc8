"""Security headers on every response: the site is read-only and shows text from many sources."""

from datasette import hookimpl

HEADERS = [
    # Browsers must not guess a content type (a CSV or JSON cell rendered as HTML).
    (b"x-content-type-options", b"nosniff"),
    # Pages cannot be framed by another site (clickjacking).
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def add_headers(scope, receive, send):
            async def send_with_headers(event):
                if event["type"] == "http.response.start":
                    names = {name.lower() for name, _ in event.get("headers", [])}
                    extra = [(name, value) for name, value in HEADERS if name not in names]
                    event = {**event, "headers": list(event.get("headers", [])) + extra}
                await send(event)

            await app(scope, receive, send_with_headers)

        return add_headers

    return wrap
