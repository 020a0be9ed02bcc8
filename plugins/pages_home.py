"""The home page (`/`): persons by status and country, top charges, latest events, reported figures, charts; and the
map page's counts (how many persons it places, how many it leaves off, known only by their country).

A route of ours rather than Datasette's index view, which the page does not use: that view checks the permission to
see every table, and on Datasette 0.65 each check copies the whole metadata (100 ms a home page made anew, the slowest
page of the hostile benchmark). `/.json` stays Datasette's."""

import weakref

from datasette import __version__, hookimpl
from datasette.utils import path_with_format
from datasette.utils.asgi import Response

QUERIES = {
    "map_counts": "select count(*) filter (where coordinate_precision = 'city') as city, "
                  "count(*) filter (where coordinate_precision = 'province') as province, "
                  "count(*) filter (where coordinate_precision is null or coordinate_precision = 'country') as unplaced "
                  "from persons",
    "totals": "select (select count(*) from persons) as persons, (select count(*) from records) as records, "
              "(select count(*) from sources) as sources, (select count(*) from organizations) as organizations, "
              "(select sum(persons) from withheld_counts) as withheld, "
              "(select count(*) from persons where status_may_be_stale = 1) as stale",
    # Each status's count split by the source the status comes from, with the dates the statuses are as of.
    "status_sources": "select p.status, p.source_id, count(*) as n, min(p.status_as_of) as first, "
                      "max(p.status_as_of) as last from persons p group by p.status, p.source_id "
                      "order by p.status, n desc, p.source_id",
    # Every source the counts draw on, with its date; an undated source (a list of pages, each dated) with the range
    # of the dates its statuses are as of.
    "sources": "select s.id, s.as_of, s.as_of_precision, count(*) as persons, min(p.status_as_of) as first, "
               "max(p.status_as_of) as last from persons p "
               "join sources s on s.id = p.source_id group by s.id order by persons desc, s.id",
    "by_country": "select p.country, c.name, count(*) as n from persons p left join countries c on c.iso2 = p.country "
                  "group by p.country order by n desc limit 12",
    "top_charges": "select dc.charge_id, ch.law, ch.article, ch.title_en, ch.title_original, ch.original_language, "
                   "count(distinct d.person_id) as n "
                   "from detention_charges dc join detentions d on d.id = dc.detention_id "
                   "join charges ch on ch.id = dc.charge_id group by dc.charge_id order by n desc limit 10",
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


async def rows(db, sql, **params):
    return [dict(row) for row in (await db.execute(sql, params)).rows]


# The database is served immutable, so the home page's figures cannot change while the server runs: they are worked
# out once, and a home page made anew (a visitor with a cookie, a flood that avoids the page cache) costs its template
# only. A mutable database is read every time.
WORKED_OUT = weakref.WeakKeyDictionary()  # Datasette instance -> figures


async def home_data(datasette):
    db = datasette.get_database()
    if db.is_mutable:
        return await figures(db)
    if datasette not in WORKED_OUT:
        WORKED_OUT[datasette] = await figures(db)
    return WORKED_OUT[datasette]


async def figures(db):
    data = {name: await rows(db, sql) for name, sql in QUERIES.items()}
    data["totals"], data["map_counts"] = data["totals"][0], data["map_counts"][0]
    data["by_status"] = by_status(data.pop("status_sources"))
    data["charts"] = {}
    for kind, (top_sql, detentions) in CHARTED.items():
        data["charts"][kind] = [
            {**top, "series": await rows(db, SERIES.format(detentions=detentions), key=top["key"]),
             "sources": await rows(db, SERIES_SOURCES.format(detentions=detentions), key=top["key"])}
            for top in await rows(db, top_sql)]
    return data


def by_status(status_sources):
    """[{status, n, sources: [{source_id, n, first, last}]}], most persons first."""
    statuses = {}
    for row in status_sources:
        status = statuses.setdefault(row["status"], {"status": row["status"], "n": 0, "sources": []})
        status["n"] += row["n"]
        status["sources"].append(row)
    return sorted(statuses.values(), key=lambda status: (-status["n"], status["status"]))


async def home_page(datasette, request):
    """What Datasette's index view would give the template (its JSON alternate, its version), and the figures."""
    json_url = datasette.absolute_url(request, datasette.urls.path(path_with_format(request=request, format="json")))
    context = {"home": await home_data(datasette), "metadata": datasette.metadata(), "alternate_url_json": json_url,
               "datasette_version": __version__, "select_templates": ["*index.html"]}
    return Response.html(await datasette.render_template("index.html", context, request=request, view_name="index"),
                         headers={"Link": f'{json_url}; rel="alternate"; type="application/json+datasette"'})


@hookimpl
def register_routes():
    return [(r"^/$", home_page)]


@hookimpl
def extra_template_vars(template, database, table, datasette):
    if template != "table.html" or database != datasette.get_database().name or table != "persons_map":
        return {}

    async def inner():
        return {"map_counts": (await home_data(datasette))["map_counts"]}

    return inner
