"""/about: what the dataset is and is not, its sources and licences, how to cite it, its API with working examples
against this site, its feeds and its limits, in the three languages (templates/about.html)."""

from datasette import hookimpl
from datasette.utils.asgi import Response

# (what it shows, path): each runs against this site; tests/test_about.py requests every one.
API_EXAMPLES = [
    ("Persons detained in Belarus, as a JSON array", "/conscience/persons.json?status=detained&country=BY&_shape=array"),
    ("The same as CSV", "/conscience/persons.csv?status=detained&country=BY"),
    ("Search, diacritics optional", "/conscience/persons.json?_search=Nguyen+Lan+Thang&_shape=array"),
    ("One row per key (_shape=object), only some columns",
     "/conscience/persons.json?country=VN&_shape=object&_col=name&_col=status"),
    ("Counts by status and country, no rows (facets)",
     "/conscience/persons.json?_facet=status&_facet=country&_size=0"),
    ("The first 100 detentions; the answer's next_url gives the next 100", "/conscience/detentions.json?_size=100"),
    ("Every signature as CSV, all rows streamed", "/conscience/signatures.csv?_stream=on"),
    ("A canned query with parameters: who was charged under article 105 of China's Criminal Law",
     "/conscience/detained_under_article.json?article=105&country=CN&_shape=array"),
    ("Your own SQL, with a parameter",
     "/conscience.json?sql=select+id%2C+name%2C+status+from+persons+where+country+%3D+%3Acountry+order+by+name"
     "+limit+10&country=AZ&_shape=array"),
    ("The whole database (SQLite)", "/conscience.db"),
]
# (language, code) run as written against this site, {site} its address: tests/test_reuse.py runs the pandas line
# and a browser's fetch() from another site, and asks for the R line's URL as R's read.csv would read it.
CODE_EXAMPLES = [
    ("Python, with pandas", 'import pandas as pd\n'
                            'detained = pd.read_csv("{site}/conscience/persons.csv?status=detained&country=BY")'),
    ("R", 'detained <- read.csv("{site}/conscience/persons.csv?status=detained&country=BY", encoding = "UTF-8")'),
    ("JavaScript, in a page of any other site",
     'const detained = await (await fetch("{site}/conscience/persons.json?status=detained&country=BY&_shape=array&_size=max"))'
     '.json();'),
]


async def about_page(datasette, request):
    db = datasette.get_database()
    sources = [dict(row) for row in (await db.execute(
        "select id, title, publisher, licence, as_of, url from sources order by id")).rows]
    release = (await db.execute("select released_on, id from releases order by released_on desc limit 1")).first()
    site = datasette.absolute_url(request, datasette.urls.instance()).rstrip("/")
    context = {
        "site": site,
        "sources": sources,
        "release": release["released_on"] if release else None,
        "release_id": release["id"] if release else None,
        "code_examples": [(language, code.format(site=site)) for language, code in CODE_EXAMPLES],
        "database_hash": db.hash,
        "examples": [(what, path.replace("/conscience", f"/{db.name}", 1)) for what, path in API_EXAMPLES],
        "limits": {name: datasette.setting(name) for name in (
            "sql_time_limit_ms", "max_returned_rows", "facet_time_limit_ms", "default_cache_ttl")},
    }
    return Response.html(await datasette.render_template("about.html", context, request=request))


@hookimpl
def register_routes():
    return [(r"^/about$", about_page)]
