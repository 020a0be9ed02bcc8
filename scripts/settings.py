"""Datasette settings (and --cors) for the public read-only site, in one place for `make serve`, the tests and
publishing: `python -m scripts.settings` prints them as flags."""

SETTINGS = {
    # Cut any SQL query after one second, so a slow or hostile ?sql= cannot hog a worker thread.
    "sql_time_limit_ms": 1000,
    # 3 threads by default: a few hostile queries, each allowed its full second, would make every visitor wait.
    "num_sql_threads": 8,
    # Counting a large filtered set of a million persons takes up to a second; plugins/immutable.py remembers
    # the counts, so only the first visitor waits, and a facet that runs out is dropped rather than failing the page.
    "facet_time_limit_ms": 1000,
    # Facet suggestions run a GROUP BY per column on every table page; our facets are configured in metadata.yml.
    "suggest_facets": False,
    # The database is immutable and changes only with a redeploy, so responses can be cached for an hour.
    "default_cache_ttl": 3600,
    # A page or API call returns at most 1,000 rows; larger exports use pagination or the CSV stream below.
    "max_returned_rows": 1000,
    # Let CSV export stream every row of a table or query: journalists want the whole list in a spreadsheet.
    "allow_csv_stream": True,
    # Let anyone download conscience.db itself: it is open data.
    "allow_download": True,
    # Long narratives (CECC summaries) are cut to 500 characters in HTML tables; row pages and JSON keep them whole.
    "truncate_cells_html": 500,
}
# JSON, CSV, feeds and the download answer any origin, so a newsroom's page can fetch them; the site sets no cookie.
CORS = True


def as_flags():
    flags = ["--cors"] if CORS else []
    for name, value in SETTINGS.items():
        flags += ["--setting", name, str(value).lower() if isinstance(value, bool) else str(value)]
    return flags


if __name__ == "__main__":
    print(" ".join(as_flags()))
