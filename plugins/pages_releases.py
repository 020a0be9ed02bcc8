"""What the dataset is, where its files are and how to cite it: /about, /releases and the release's files,
/datapackage.json, the schema.org Dataset (JSON-LD) and each page's citation, also as BibTeX and CSL-JSON.
One file: every route here speaks of the current release, read once by current().
"""

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import NotFound, Response, asgi_send_file
from markupsafe import Markup

ARCHIVE = "CONSCIENCE_ARCHIVE"  # e.g. https://github.com/<owner>/<repository>/releases (scripts/publish.py sets it)
TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".db": "application/vnd.sqlite3"}
# What a citation names each kind of page by; its permanent URL is the page's (a person's old id leads to it).
CITED = {
    "person": "select name || coalesce(' (' || nullif(name_native, name) || ')', '') as title from persons "
              "where id = :id",
    "organization": "select name as title from organizations where id = :id",
    "campaign": "select title from campaigns where id = :id",
    "charge": "select law || coalesce(', art. ' || article, '') || ': ' || title_en as title from charges "
              "where id = :id",
}
LICENCE = "CC BY 4.0"
BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_^~])")
BIBTEX_ESCAPED = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


def with_cors(datasette, headers):
    if datasette.cors:
        add_cors_headers(headers)
    return headers


def site(datasette, request):
    return datasette.absolute_url(request, datasette.urls.instance()).rstrip("/")


async def current(datasette):
    """The latest release's row, and the folder its files are in (None where they are not on this machine)."""
    db = datasette.get_database()
    release = dict((await db.execute("select * from releases order by released_on desc limit 1")).first())
    folder = Path(db.path).with_name(Path(db.path).stem + ".release") / str(release["id"])
    return release, folder if release["id"] and folder.is_dir() else None


def downloads(datasette, release, folder):
    """(name, url, bytes) of the release's files: the database first, then its CSVs and datapackage.json."""
    files = [(Path(datasette.get_database().path), "conscience.db")]
    files += [(path, path.name) for path in sorted(folder.iterdir())] if folder else []
    return [(name, datasette.urls.path(f"/releases/{release['id']}/{name}"), path.stat().st_size)
            for path, name in files]


async def about_page(datasette, request):
    db, (release, _), here = datasette.get_database(), await current(datasette), site(datasette, request)
    sources = await db.execute("select id, title, publisher, licence, as_of, url from sources order by id")
    context = {
        "site": here, "sources": [dict(row) for row in sources], "database_hash": db.hash,
        "release": release["released_on"], "release_id": release["id"],
        "limits": {name: datasette.setting(name) for name in (
            "sql_time_limit_ms", "max_returned_rows", "facet_time_limit_ms", "default_cache_ttl")},
    }
    return Response.html(await datasette.render_template("about.html", context, request=request))


async def releases_page(datasette, request):
    release, folder = await current(datasette)
    rows = await datasette.get_database().execute("select * from releases order by released_on desc")
    return Response.html(await datasette.render_template("releases.html", {
        "releases": [dict(row) for row in rows], "current": release, "archive": os.environ.get(ARCHIVE),
        "downloads": downloads(datasette, release, folder)}, request=request))


async def release_file(datasette, request, send):
    wanted, name = request.url_vars["id"], request.url_vars["name"]
    release, folder = await current(datasette)
    if wanted != release["id"]:
        if not (await datasette.get_database().execute("select 1 from releases where id = ?", [wanted])).rows:
            raise NotFound(f"There is no release {wanted}: /releases lists them.")
        if os.environ.get(ARCHIVE):
            return Response.redirect(f"{os.environ[ARCHIVE]}/download/{wanted}/{name}")
        raise NotFound(f"Release {wanted} is not the current one: its files are archived as the project's GitHub "
                       f"release {wanted}.")
    path = Path(datasette.get_database().path) if name == "conscience.db" else folder and folder / name
    if not path or not path.is_file():
        raise NotFound(f"Release {wanted} has no file {name}: /releases lists its files.")
    await asgi_send_file(send, path, content_type=TYPES.get(path.suffix), chunk_size=1 << 16,
                         headers=with_cors(datasette, {}))


async def datapackage(datasette, request):
    """The current release's datapackage.json, its files' paths leading to /releases/<id>/ from here."""
    release, folder = await current(datasette)
    if not folder:
        raise NotFound("This release's files are not on this server.")
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    package["homepage"] = site(datasette, request)
    for resource in package["resources"]:
        resource["path"] = f"releases/{release['id']}/{resource['path']}"
    return Response.json(package, headers=with_cors(datasette, {}))


async def dataset(datasette, request):
    """The schema.org Dataset (JSON-LD) of the current release."""
    release, folder = await current(datasette)
    db = datasette.get_database()
    first = (await db.execute("select min(detained_on) as day from detentions")).first()["day"]
    # Each country probed in persons' country index: a distinct over persons read a million rows a page (0.17 s).
    countries = await db.execute("select c.iso2, c.name from countries c where exists (select 1 from persons p "
                                 "where p.country = c.iso2) order by c.name")
    metadata, home = datasette.metadata(), site(datasette, request)
    files = [{"@type": "DataDownload", "name": name, "contentUrl": datasette.absolute_url(request, url),
              "encodingFormat": TYPES[Path(name).suffix].split(";")[0],
              "contentSize": f"{size / 1e6:.1f} MB" if size > 1e5 else f"{size / 1e3:.1f} kB"}
             for name, url, size in downloads(datasette, release, folder)]
    return {key: value for key, value in {
        "@context": "https://schema.org", "@type": "Dataset", "name": metadata["title"],
        "description": metadata["description"],
        "url": home + "/", "license": metadata["license_url"], "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": metadata["title"], "url": home + "/"},
        "version": release["id"], "datePublished": release["released_on"],
        "temporalCoverage": f"{first[:4]}/{release['released_on']}" if first else None,
        "spatialCoverage": [{"@type": "Place", "name": name, "identifier": code} for code, name in countries.rows],
        "keywords": ["prisoners of conscience", "human rights defenders", "reprisals", "political prisoners"],
        "distribution": files,
    }.items() if value is not None}


async def citation(datasette, request, kind, id):
    if (found := (await datasette.get_database().execute(CITED[kind], {"id": id})).first()) is None:
        raise NotFound(f"No {kind} {id}")
    release, _ = await current(datasette)
    return {"key": re.sub(r"[^\w:.-]", "-", f"conscience-{kind}-{id}", flags=re.ASCII), "title": found["title"],
            "publisher": datasette.metadata("title") or "Conscience", "release": release["id"],
            "released_on": release["released_on"], "licence": LICENCE,
            "url": datasette.absolute_url(request, datasette.urls.path(f"/{kind}/{id}")),
            "accessed": datetime.now(timezone.utc).date().isoformat()}


def bibtex(cited):
    def escaped(text):
        return BIBTEX_SPECIAL.sub(lambda m: BIBTEX_ESCAPED.get(m[1], "\\" + m[1]), text)

    fields = {"title": "{" + escaped(cited["title"]) + "}", "publisher": escaped(cited["publisher"]),
              "howpublished": escaped(f"{cited['publisher']}, release {cited['release']}"),
              "version": escaped(cited["release"]), "year": cited["released_on"][:4], "url": cited["url"],
              "urldate": cited["accessed"], "note": f"Dataset record, {cited['licence']}"}
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@misc{{{cited['key']},\n{body}\n}}\n"


def csl_json(cited):
    def parts(day):
        return {"date-parts": [[int(part) for part in day.split("-")]]}

    return json.dumps([{"id": cited["key"], "type": "dataset", "title": cited["title"], "publisher": cited["publisher"],
                        "version": cited["release"], "URL": cited["url"], "issued": parts(cited["released_on"]),
                        "accessed": parts(cited["accessed"]), "note": cited["licence"]}], ensure_ascii=False, indent=1)


async def cite(datasette, request):
    kind, id, form = (request.url_vars[name] for name in ("kind", "id", "form"))
    written, content_type = {"bib": (bibtex, "application/x-bibtex; charset=utf-8"),
                             "json": (csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8")}[form]
    headers = with_cors(datasette, {"cache-control": "no-store"})  # it names the day of access: made anew each time
    return Response(written(await citation(datasette, request, kind, id)), content_type=content_type, headers=headers)


@hookimpl
def extra_template_vars(template, request, datasette):
    kind = template.removesuffix(".html")
    if request is None or kind not in ("index", "about", *CITED) or kind in CITED and "id" not in request.url_vars:
        return {}

    async def inner():
        if kind in CITED:
            return {"citation": await citation(datasette, request, kind, request.url_vars["id"])}
        text = json.dumps(await dataset(datasette, request), ensure_ascii=False, indent=1)
        return {"dataset_json_ld": Markup(text.replace("<", "\\u003c"))}  # nothing in it can end the script element

    return inner


@hookimpl
def register_routes():
    return [(r"^/about$", about_page), (r"^/releases$", releases_page), (r"^/datapackage\.json$", datapackage),
            (r"^/releases/(?P<id>[^/]+)/(?P<name>[^/]+)$", release_file),
            (rf"^/(?P<kind>{'|'.join(CITED)})/(?P<id>[^/]+)/cite\.(?P<form>bib|json)$", cite)]
