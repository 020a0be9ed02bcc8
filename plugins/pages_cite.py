"""Cite this: the person, organisation, campaign and charge pages show their citation (title, publisher, release,
permanent URL, date accessed; the _conscience.html macro `cite`) and offer it as BibTeX (/<kind>/<id>/cite.bib) and
CSL-JSON (/<kind>/<id>/cite.json). The permanent URL is the page's: a person's old id leads to it (plugins/pages.py).
"""

import json
import re
from datetime import datetime, timezone

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import NotFound, Response

TITLES = {
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


async def citation(datasette, request, kind, id):
    db = datasette.get_database()
    found = (await db.execute(TITLES[kind], {"id": id})).first()
    if found is None:
        raise NotFound(f"No {kind} {id}")
    release = (await db.execute("select id, released_on from releases order by released_on desc limit 1")).first()
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

    return [{"id": cited["key"], "type": "dataset", "title": cited["title"], "publisher": cited["publisher"],
             "version": cited["release"], "URL": cited["url"], "issued": parts(cited["released_on"]),
             "accessed": parts(cited["accessed"]), "note": cited["licence"]}]


async def cite(datasette, request):
    kind, id, form = (request.url_vars[name] for name in ("kind", "id", "form"))
    cited = await citation(datasette, request, kind, id)
    if form == "bib":
        response = Response(bibtex(cited), content_type="application/x-bibtex; charset=utf-8")
    else:
        response = Response(json.dumps(csl_json(cited), ensure_ascii=False, indent=1),
                            content_type="application/vnd.citationstyles.csl+json; charset=utf-8")
    response.headers["cache-control"] = "no-store"  # it says the day it was accessed: made anew each time
    if datasette.cors:
        add_cors_headers(response.headers)
    return response


@hookimpl
def extra_template_vars(template, request, datasette):
    kind = template.removesuffix(".html")
    if kind not in TITLES or request is None or "id" not in request.url_vars:
        return {}

    async def inner():
        return {"citation": await citation(datasette, request, kind, request.url_vars["id"])}

    return inner


@hookimpl
def register_routes():
    return [(rf"^/(?P<kind>{'|'.join(TITLES)})/(?P<id>[^/]+)/cite\.(?P<form>bib|json)$", cite)]
