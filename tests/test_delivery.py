"""How pages travel: gzip for clients that accept it (also when remembered, and for streamed CSV), static assets
cached long, and the database download with its length and uncompressed (plugins/responses.py)."""

import csv
import io

GZIP = {"accept-encoding": "gzip"}
PLAIN = {"accept-encoding": "identity"}


def without_timing(response):
    """A page's text up to Datasette's "Queries took" (a page made twice differs there)."""
    return response.text.split("Queries took")[0]


async def test_pages_are_compressed_for_clients_that_accept_gzip_and_plain_for_others(ds):
    compressed = await ds.client.get("/conscience/persons", headers=GZIP)
    plain = await ds.client.get("/conscience/persons", headers=PLAIN)
    assert compressed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert "Accept-Encoding" in compressed.headers["vary"] and "Accept-Encoding" in plain.headers["vary"]
    assert without_timing(compressed) == without_timing(plain)
    assert compressed.num_bytes_downloaded * 5 < plain.num_bytes_downloaded == len(plain.content)
    for path in ["/conscience/persons.json", "/conscience/feed_events.atom", "/person/jiang-tianyong", "/"]:
        assert (await ds.client.get(path, headers=GZIP)).headers["content-encoding"] == "gzip", path


async def test_remembered_pages_are_sent_as_each_client_can_read_them(ds):
    path = "/conscience/persons?country=AZ"
    first = await ds.client.get(path, headers=GZIP)
    remembered = await ds.client.get(path, headers=GZIP)
    plain = await ds.client.get(path, headers=PLAIN)
    assert remembered.headers["content-encoding"] == "gzip" and remembered.content == first.content
    assert remembered.headers["content-length"] == str(remembered.num_bytes_downloaded)
    assert "content-encoding" not in plain.headers and without_timing(plain) == without_timing(first)


async def test_streamed_csv_is_compressed_and_whole(ds, conn):
    response = await ds.client.get("/conscience/persons.csv?_stream=on&_size=max", headers=GZIP)
    assert response.headers["content-encoding"] == "gzip"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == conn.execute("select count(*) from persons").fetchone()[0]


async def test_the_database_download_has_its_length_and_is_not_compressed(ds, built_db):
    response = await ds.client.get("/conscience.db", headers=GZIP)
    assert "content-encoding" not in response.headers and "transfer-encoding" not in response.headers
    assert response.headers["content-length"] == str(built_db.stat().st_size) == str(len(response.content))


async def test_static_assets_are_cached_long(ds):
    home = (await ds.client.get("/")).text
    app_css = home.split('<link rel="stylesheet" href="')[1].split('"')[0]
    assert "?" in app_css  # Datasette puts the file's hash in its address
    assert (await ds.client.get(app_css)).headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await ds.client.get("/-/static/table.js")).headers["cache-control"] == "public, max-age=604800"
    assert (await ds.client.get("/conscience/persons")).headers["cache-control"] == "max-age=3600"  # default_cache_ttl
