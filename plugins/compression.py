"""Text responses compressed with gzip, for browsers and clients that accept it (asgi-gzip: Starlette's GZipMiddleware).

The persons table page is 290 KB of HTML and 28 KB gzipped. Compression wraps Datasette itself, inside
plugins/response_cache.py (hookimpl tryfirst: the first asgi_wrapper applied is the innermost), so a page is
compressed once, when it is made, and remembered compressed (the cache keys a response by whether the client
accepts gzip). Streamed CSV is compressed chunk by chunk as it goes. The database download is left alone: it is
binary, and sent with its length (plugins/file_headers.py).
"""

from asgi_gzip import GZipMiddleware
from datasette import hookimpl

# Level 6, zlib's default: within a few per cent of level 9's size, in about half the time.
COMPRESS_LEVEL = 6
# Smaller bodies gain too little to pay for the gzip header and the work.
MINIMUM_BYTES = 1000


def is_database_download(path):
    return path.endswith(".db")


@hookimpl(tryfirst=True)
def asgi_wrapper():
    def wrap(app):
        compressing = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=COMPRESS_LEVEL)

        async def compress_text(scope, receive, send):
            if scope["type"] == "http" and not is_database_download(scope["path"]):
                return await compressing(scope, receive, send)
            return await app(scope, receive, send)

        return compress_text

    return wrap
