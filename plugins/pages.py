"""Pages from the database: home (and the map page's counts), person (an old id leads there), organisation, campaign,
charge. The home page is ours: Datasette's index view checks each table's permission, each check copying all metadata
on 0.65 (100 ms a home page).
One file: every page reads through rows() and one(), writes links with linked_parts(), and is routed here.
"""

import json
import sqlite3
import sys
import time
import weakref
from contextlib import closing
from urllib.parse import quote, urlparse
from urllib.request import pathname2url

from datasette import __version__, hookimpl
from datasette.utils import path_with_format
from datasette.utils.asgi import NotFound, Response

HOME = {
    "map_counts": "select count(*) filter (where coordinate_precision = 'city') as city, "
                  "count(*) filter (where coordinate_precision = 'province') as province, count(*) filter "
                  "(where coordinate_precision is null or coordinate_precision = 'country') as unplaced from persons",
    "totals": "select (select count(*) from persons) as persons, (select count(*) from records) as records, "
              "(select count(*) from sources) as sources, (select count(*) from organizations) as organizations, "
              "(select sum(persons) from withheld_counts) as withheld, "
              "(select count(*) from persons where status_may_be_stale = 1) as stale",
    "status_sources": "select p.status, sum(count(*)) over (partition by p.status) as total, p.source_id, count(*) "
                      "as n, min(p.status_as_of) as first, max(p.status_as_of) as last from persons p "
                      "group by p.status, p.source_id order by total desc, p.status, n desc, p.source_id",
    # Every source the counts draw on; an undated one (a list of pages, each dated) with its statuses' range of dates.
    "sources": "select s.id, s.as_of, s.as_of_precision, count(*) as persons, min(p.status_as_of) as first, "
               "max(p.status_as_of) as last from persons p "
               "join sources s on s.id = p.source_id group by s.id order by persons desc, s.id",
    "by_country": "select p.country, c.name, count(*) as n from persons p left join countries c on c.iso2 = p.country "
                  "group by p.country order by n desc limit 12",
    "top_charges": "select dc.charge_id, ch.law, ch.article, ch.title_en, ch.title_original, ch.original_language, "
                   "count(distinct d.person_id) as n from detention_charges dc join detentions d "
                   "on d.id = dc.detention_id join charges ch on ch.id = dc.charge_id "
                   "group by dc.charge_id order by n desc limit 10",
    "latest_events": "select e.date, e.date_precision, e.event_type, e.description, e.person_id, e.organization_id, "
                     "coalesce(p.name, o.name, k.title) as subject from events e "
                     "left join persons p on p.id = e.person_id left join organizations o on o.id = e.organization_id "
                     "left join cases k on k.id = e.case_id where e.date is not null order by e.date desc limit 10",
    # The latest figure of each reporter (or campaign) for each metric and country; statistics_compared has them all.
    "figures": "select * from (select sc.*, s.title as source_title, o.name as reporter, row_number() over ("
               "partition by coalesce(sc.reported_by, sc.campaign_id, sc.source_id), sc.metric, sc.country "
               "order by sc.as_of desc, sc.source_id) as nth from statistics_compared sc "
               "join sources s on s.id = sc.source_id left join organizations o on o.id = sc.reported_by) "
               "where nth = 1 order by as_of desc, source_id, id",
}
# Detentions per year for the countries and charges with the most detentions: (the three, the detentions of one).
CHARTED = {
    "country": ("select p.country as key, c.name as name, count(*) as n from detentions d "
                "join persons p on p.id = d.person_id join countries c on c.iso2 = p.country "
                "where d.detained_year is not null group by p.country order by n desc limit 3",
                "join persons p on p.id = d.person_id where p.country = :key"),
    "charge": ("select dc.charge_id as key, ch.law as name, ch.article, count(*) as n from detention_charges dc "
               "join detentions d on d.id = dc.detention_id join charges ch on ch.id = dc.charge_id "
               "where d.detained_year is not null group by dc.charge_id order by n desc limit 3",
               "join detention_charges dc on dc.detention_id = d.id where dc.charge_id = :key"),
}
SERIES = ("select d.detained_year as label, count(distinct d.same_detention) as value from detentions d {detentions} "
          "and d.detained_year is not null group by 1 order by 1")
# The sources each chart's detentions come from, with their dates: a year after a source's date is not covered by it.
SERIES_SOURCES = ("select d.source_id, s.as_of, count(distinct d.same_detention) as n from detentions d "
                  "join sources s on s.id = d.source_id {detentions} and d.detained_year is not null "
                  "group by d.source_id order by n desc, d.source_id")
# What a detention row says, each shown with the sources that say it.
DETENTION_VALUES = ("detained_on", "sentenced_on", "sentence_ends_on", "released_on", "place", "sentence_as_written")
LISTED = 200  # persons a charge's page lists
# An immutable database's figures, worked out once: a home page made anew (a visitor with a cookie) costs its template.
WORKED_OUT = weakref.WeakKeyDictionary()  # Datasette instance -> figures
# ... at startup, on a connection of their own: at a million persons they take 7 s, over a visitor's one-second limit.
STARTUP_SECONDS = 60


async def rows(datasette, sql, **params):
    if isinstance(datasette, sqlite3.Connection):  # at startup: a startup_connection()
        return [dict(row) for row in datasette.execute(sql, params)]
    return [dict(row) for row in (await datasette.get_database().execute(sql, params)).rows]


def startup_connection(path):
    """Stands for Datasette in rows() at startup, before anyone is served: the immutable file on a connection outside
    plugins/sql_limits.py's watchdog (which holds Datasette's own to a visitor's limit), bounded by STARTUP_SECONDS."""
    conn = sqlite3.connect(f"file:{pathname2url(path)}?mode=ro&immutable=1", uri=True)
    conn.row_factory = sqlite3.Row
    deadline = time.monotonic() + STARTUP_SECONDS
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
    return conn


async def one(datasette, sql, kind, **params):
    if not (found := await rows(datasette, sql, **params)):
        raise NotFound(f"{kind} not found")
    return found[0]


def safe_url(url):
    """Links from sources become links only if they are http(s): never javascript: or data:."""
    return url if url and urlparse(url).scheme in ("http", "https") else None


def linked_parts(text, links):
    """[(words, url or None)] rejoining into a summary; a link whose words a redaction changed, or not http(s): out."""
    parts, at = [], 0
    for link in from_json(links):
        if (found := text.find(link["text"], at)) < 0 or not safe_url(link["url"]):
            continue
        if found > at:
            parts.append((text[at:found], None))
        parts.append((link["text"], link["url"]))
        at = found + len(link["text"])
    if at < len(text):
        parts.append((text[at:], None))
    return parts


def page_links(upstream_ref):
    """(address, host) of each web page a row cites ("; "-separated in upstream_ref); none for a line reference."""
    return [(url, urlparse(url).hostname) for url in map(safe_url, (upstream_ref or "").split("; ")) if url]


def from_json(value):
    return json.loads(value) if value else []


@hookimpl
def prepare_jinja2_environment(env):
    env.globals.update(safe_url=safe_url, page_links=page_links, from_json=from_json, linked_parts=linked_parts)


async def moved(datasette, request, person_id):
    """A redirect to the page of the person whose id this was in an earlier release (changes: 'id changed')."""
    seen = {person_id}
    while found := await rows(datasette, "select new_value from changes where change_type = 'id changed' "
                                         "and old_value = :id order by released_on desc limit 1", id=person_id):
        if (person_id := found[0]["new_value"]) in seen:
            break
        seen.add(person_id)
        if await rows(datasette, "select 1 from persons where id = :id", id=person_id):
            query = f"?{request.query_string}" if request.query_string else ""
            return Response.redirect(datasette.urls.path(f"/person/{quote(person_id)}") + query, status=301)
    raise NotFound("Person not found")


async def person_page(datasette, request):
    person_id = request.url_vars["id"]
    found = await rows(datasette, """
        select p.*, c.name as country_name, s.language as source_language from persons p left join countries c
        on c.iso2 = p.country left join sources s on s.id = p.source_id where p.id = :id""", id=person_id)
    if not found:
        return await moved(datasette, request, person_id)
    detentions = await rows(datasette, "select * from detentions where person_id = :id "
                                       "order by detained_on is null, detained_on", id=person_id)
    records = await rows(datasette, """
        select r.*, s.title as source_title, s.url as source_url, s.publisher, s.licence, s.language as source_language
        from records r join sources s on s.id = r.source_id where r.person_id = :id order by r.id""", id=person_id)
    charges = await rows(datasette, """
        select dc.detention_id, dc.charge_id, dc.charge_as_written, ch.law, ch.article, ch.title_en, ch.title_original,
               ch.original_language, later.id as replaced_by, later.law as replaced_by_law,
               later.article as replaced_by_article, earlier.id as replaces, earlier.law as replaces_law,
               earlier.article as replaces_article
        from detention_charges dc join charges ch on ch.id = dc.charge_id
        left join charges later on later.id = ch.replaced_by left join charges earlier on earlier.replaced_by = ch.id
        where dc.detention_id in (select id from detentions where person_id = :id)""", id=person_id)
    for detention in detentions:
        detention["charges"] = [c for c in charges if c["detention_id"] == detention["id"]]
    return Response.html(await datasette.render_template("person.html", {
        "person": found[0],
        "released_on": (await one(datasette, "select max(released_on) as day from releases", "Release"))["day"],
        "latest_sentence_end": max((d["sentence_ends_on"] for d in detentions if d["sentence_ends_on"]), default=None),
        "detentions": one_row_per_detention(detentions),
        "events": await rows(datasette, """
            select * from events where person_id = :id
               or case_id in (select case_id from reprisals where person_id = :id and organization_id is null)
            order by date is null, date""", id=person_id),
        "reprisals": await reprisals(datasette, "person_id", person_id),
        "campaigns": await rows(datasette, """
            select c.*, s.language as source_language from campaigns c join sources s on s.id = c.source_id where
            c.source_id in (select source_id from records where person_id = :id) order by c.title""", id=person_id),
        "records": records,
        # The language each source writes in (its first), for the places shown as a source wrote them.
        "source_languages": {r["source_id"]: (r["source_language"] or "en").split(";")[0] for r in records},
    }, request=request))


def one_row_per_detention(detentions):
    """The sources' rows of one detention as one, each field a list of {value, precision, sources}, each charge once."""
    groups = {}
    for detention in detentions:
        groups.setdefault(detention["same_detention"] or detention["id"], []).append(detention)
    return [merged_detention(rows) for rows in groups.values()]


def merged_detention(rows):
    merged = {"id": rows[0]["id"], "kinds": list(dict.fromkeys(r["kind"] for r in rows)),
              "sources": list(dict.fromkeys(r["source_id"] for r in rows)),
              "refs": [(r["source_id"], r["upstream_ref"]) for r in rows], "charges": {}}
    for column in DETENTION_VALUES:
        values = {}
        for row in rows:
            if row[column] is not None:
                key = (row[column], row.get(f"{column}_precision"), row["sentence_months"] if column ==
                       "sentence_as_written" else None)
                values.setdefault(key, []).append(row["source_id"])
        merged[column] = [{"value": value, "precision": precision, "months": months, "sources": sources}
                          for (value, precision, months), sources in values.items()]
    for row in rows:
        for charge in row["charges"]:
            once = merged["charges"].setdefault(charge["charge_id"], {**charge, "sources": [], "as_written": []})
            once["sources"].append(row["source_id"])
            once["as_written"].append(charge["charge_as_written"])
    merged["charges"] = list(merged["charges"].values())
    return merged


async def reprisals(datasette, column, value):
    return await rows(datasette, f"""
        select r.*, k.title as case_title, k.summary as case_summary, k.sg_report_year, k.sg_case_reference
        from reprisals r join cases k on k.id = r.case_id where r.{column} = :value order by r.date""", value=value)


async def organization_page(datasette, request):
    organization_id = request.url_vars["id"]
    organization = await one(datasette, "select o.*, c.name as country_name from organizations o "
                                        "left join countries c on c.iso2 = o.country where o.id = :id",
                             "Organisation", id=organization_id)
    return Response.html(await datasette.render_template("organization.html", {
        "organization": organization,
        "signatures": await rows(datasette, """
            select s.*, c.title, c.title_original, c.kind, src.language as source_language from signatures s
            join campaigns c on c.id = s.campaign_id join sources src on src.id = c.source_id
            where s.organization_id = :id order by c.title""", id=organization_id),
        "reprisals": await reprisals(datasette, "organization_id", organization_id),
        "events": await rows(datasette, "select * from events where organization_id = :id order by date",
                             id=organization_id),
        "source": await one(datasette, "select * from sources where id = :id", "Source", id=organization["source_id"]),
    }, request=request))


async def campaign_page(datasette, request):
    campaign_id = request.url_vars["id"]
    campaign = await one(datasette, """
        select c.*, o.name as organizer_name, k.named_signatories, k.reported_signatories, k.reported_anonymous,
               s.language as source_language
        from campaigns c left join organizations o on o.id = c.organizer join sources s on s.id = c.source_id
        join campaign_signatory_counts k on k.campaign_id = c.id where c.id = :id""", "Campaign", id=campaign_id)
    return Response.html(await datasette.render_template("campaign.html", {
        "campaign": campaign,
        "signatures": await rows(datasette, """
            select s.*, o.name as organization_name from signatures s join organizations o on o.id = s.organization_id
            where s.campaign_id = :id order by s.position""", id=campaign_id),
        "statistics": await rows(datasette, "select * from statistics_compared where campaign_id = :id",
                                 id=campaign_id),
        "source": await one(datasette, "select * from sources where id = :id", "Source", id=campaign["source_id"]),
    }, request=request))


async def per_year(datasette, kind, key):
    """{series: detentions per year, sources: the sources they come from} of one country or charge."""
    return {name: await rows(datasette, sql.format(detentions=CHARTED[kind][1]), key=key)
            for name, sql in (("series", SERIES), ("sources", SERIES_SOURCES))}


async def charged(datasette, charge):
    """Who was charged under one article, latest first, with each source's date of that detention (same_detention)."""
    persons = await rows(datasette, """
        with charged as (
          select distinct d.person_id, d.same_detention from detention_charges dc
          join detentions d on d.id = dc.detention_id where dc.charge_id = :id),
        dated as (
          select c.person_id, max(d.detained_on) as latest,
                 group_concat(distinct d.detained_on || '|' || coalesce(d.detained_on_precision, '')) as dates
          from charged c join detentions d on d.same_detention = c.same_detention
          group by c.person_id, c.same_detention)
        select p.id as person_id, p.name as person_name, p.status, p.status_as_of, p.status_as_of_precision,
               max(dated.latest) as detained_on, dated.dates
        from dated join persons p on p.id = dated.person_id group by p.id
        order by detained_on is null, detained_on desc, p.name""", id=charge["id"])
    for person in persons:  # as on their page
        person["dates"] = sorted(date.split("|") for date in (person["dates"] or "").split(",") if date)
    return {"charge": charge, "count": len(persons), "persons": persons[:LISTED],
            **await per_year(datasette, "charge", charge["id"])}


async def charge_page(datasette, request):
    charge_id = request.url_vars["id"]
    charge = await one(datasette, "select ch.*, c.name as country_name from charges ch "
                                  "join countries c on c.iso2 = ch.country where ch.id = :id", "Charge", id=charge_id)
    equivalents = await rows(datasette, """
        select ch.*, case when ch.replaced_by = :id then 'predecessor' else 'successor' end as relation
        from charge_equivalents e join charges ch on ch.id = e.equivalent_id
        where e.charge_id = :id and e.equivalent_id != :id order by relation, ch.id""", id=charge_id)
    return Response.html(await datasette.render_template("charge.html", {
        "charge": charge, "equivalents": equivalents,
        "sections": [await charged(datasette, c) for c in [charge, *equivalents]]}, request=request))


async def home_data(datasette, reader=None):
    """The home page's figures, read through `reader` (Datasette by default, a startup_connection() at startup)."""
    if datasette in WORKED_OUT:
        return WORKED_OUT[datasette]
    reader = reader or datasette
    data = {name: await rows(reader, sql) for name, sql in HOME.items()}
    data["totals"], data["map_counts"] = data["totals"][0], data["map_counts"][0]
    data["charts"] = {kind: [{**top, **await per_year(reader, kind, top["key"])}
                             for top in await rows(reader, sql)] for kind, (sql, _) in CHARTED.items()}
    statuses = {}
    for row in data.pop("status_sources"):
        status = statuses.setdefault(row["status"], {"status": row["status"], "n": row["total"], "sources": []})
        status["sources"].append(row)
    data["by_status"] = list(statuses.values())
    if not datasette.get_database().is_mutable:
        WORKED_OUT[datasette] = data
    return data


async def home_page(datasette, request):
    """What Datasette's index view would give the template (its JSON alternate, its version), and the figures."""
    json_url = datasette.absolute_url(request, datasette.urls.path(path_with_format(request=request, format="json")))
    context = {"home": await home_data(datasette), "metadata": datasette.metadata(), "alternate_url_json": json_url,
               "datasette_version": __version__, "select_templates": ["*index.html"]}
    return Response.html(await datasette.render_template("index.html", context, request=request, view_name="index"),
                         headers={"Link": f'{json_url}; rel="alternate"; type="application/json+datasette"'})


@hookimpl
def startup(datasette):
    async def work_out_home_figures():
        with closing(startup_connection(datasette.get_database().path)) as reader:
            try:
                await home_data(datasette, reader)
            except sqlite3.OperationalError as error:  # over STARTUP_SECONDS: the first visitor's request tries again
                print(f"conscience: the home page's figures were not worked out at startup: {error}", file=sys.stderr)

    return None if datasette.get_database().is_mutable else work_out_home_figures


@hookimpl
def register_routes():
    pages = {"person": person_page, "organization": organization_page, "campaign": campaign_page, "charge": charge_page}
    return [(r"^/$", home_page), *((rf"^/{kind}/(?P<id>[^/]+)$", page) for kind, page in pages.items())]


@hookimpl
def extra_template_vars(template, database, table, datasette):
    if template != "table.html" or database != datasette.get_database().name or table != "persons_map":
        return {}

    async def inner():
        return {"map_counts": (await home_data(datasette))["map_counts"]}

    return inner
