"""Columns the build computes from what raw/ says: signatories' organisations, coordinates, facets, status dates and
flags, summaries as text and links, the sources' accounts of one detention grouped, implausible values noted."""

import json
import re
from collections import defaultdict
from functools import lru_cache
from html import unescape
from pathlib import Path

import nh3

from scripts.common import ascii_key, fold, json_list, slugify, unique_id
from scripts.places import Provinces
from scripts.read import RAW, Origin, read_csv


def derive(stage, released_on, raw=RAW):
    signatories(stage, Path(raw) / "reference" / "organization_aliases.csv")
    place_in_provinces(stage, Path(raw) / "reference")
    stage.conn.create_function("summary_text", 1, lambda summary: text_and_links(summary)[0], deterministic=True)
    stage.conn.create_function("summary_links", 1, lambda summary: text_and_links(summary)[1], deterministic=True)
    for sql in UPDATES.values():
        stage.conn.execute(sql, {"released_on": released_on})
    same_detentions(stage)
    note_implausible_values(stage)
    stage.conn.execute("""
        UPDATE data_quality SET id = numbered.id FROM (
            SELECT rowid AS staged, row_number() OVER (ORDER BY source_id, upstream_id, field, problem, rowid) AS id
            FROM data_quality
        ) AS numbered WHERE numbered.staged = data_quality.rowid""")  # numbered in a stable order


def signatories(stage, aliases_path):
    """Link each signature to an organisation (an alias, a same-key name, or a new one); record names as written."""
    organizations, signatures = list(stage.rows("organizations")), list(stage.rows("signatures"))
    by_key = {}
    for _, org in organizations:
        for name in filter(None, [org["name"], org.get("_name_as_written")]):
            by_key.setdefault(ascii_key(name), org["id"])
    taken = {org["id"] for _, org in organizations}
    aliases = {}
    for origin, row in read_csv(aliases_path, required=("name_as_written", "organization_id")):
        if row["organization_id"] not in taken:
            raise origin.error("organization_id", row["organization_id"], "no organisation has this id",
                               "Use the id of an organisation defined in a source's organizations.csv.")
        aliases[row["name_as_written"]] = row["organization_id"]
    written = defaultdict(set, {org["id"]: {org["_name_as_written"]} for _, org in organizations
                                if org.get("_name_as_written")})
    for origin, signature in signatures:
        name, key = signature["name_as_written"], ascii_key(signature["name_as_written"])  # same key: same organisation
        if name not in aliases and key not in by_key:
            by_key[key] = unique_id(slugify(name), taken)
            organizations.append((origin, {
                "id": by_key[key], "name": name, "name_native": None, "country": None, "description": None,
                "source_id": signature["source_id"], "upstream_ref": signature["upstream_ref"],
            }))
        signature["organization_id"] = aliases.get(name) or by_key[key]
        written[signature["organization_id"]].add(name)
    for _, org in organizations:
        org["name_folded"] = fold(org["name"])
        org["names_as_written"] = json_list(sorted(written[org["id"]]))
    stage.replace("organizations", organizations)
    stage.replace("signatures", signatures)


def place_in_provinces(stage, reference):
    """Persons placed in a province or a known prison, where a country lists its provinces (scripts/places.py)."""
    for path in sorted(reference.glob("*_provinces.csv")):
        country = path.name.split("_")[0].upper()
        prisons = reference / f"{country.lower()}_prisons.csv"
        provinces = Provinces(country, [row for _, row in read_csv(path, required=("province", "capital"))],
                              [row for _, row in read_csv(prisons, required=("prison", "province"))]
                              if prisons.exists() else [])
        for rowid, place in stage.conn.execute("SELECT rowid, place FROM persons WHERE country = ? AND place IS NOT "
                                               "NULL AND latitude IS NULL", (country,)).fetchall():
            if point := provinces.point(place):
                stage.conn.execute("UPDATE persons SET latitude = ?, longitude = ?, coordinate_precision = 'province' "
                                   "WHERE rowid = ?", (*point, rowid))


# The columns filled from other tables, in this order.
NO_DATE = "ifnull(status_as_of, '') = ''"
CENTROID = "FROM countries AS c WHERE c.iso2 = persons.country AND c.latitude IS NOT NULL"
UPDATES = {
    # A figure with no date of its own is as of its source's date (as a person's status is, below).
    "statistics_dated": """
        UPDATE statistics SET as_of = s.as_of, as_of_precision = s.as_of_precision
        FROM sources AS s WHERE s.id = statistics.source_id AND ifnull(statistics.as_of, '') = ''""",
    # One pass over persons (each pass rewrites every row): undated status as of its source; unplaced people at their
    # country's centroid; sources from the one record (json_array writes as json_list does); summary to text and links
    # (after withholding, which redacts summaries as the source gave them).
    "person_columns": f"""
        UPDATE persons SET
            status_as_of = iif({NO_DATE}, s.as_of, status_as_of),
            status_as_of_precision = iif({NO_DATE}, s.as_of_precision, status_as_of_precision),
            latitude = iif(latitude IS NULL, (SELECT c.latitude {CENTROID}), latitude),
            longitude = iif(latitude IS NULL, (SELECT c.longitude {CENTROID}), longitude),
            coordinate_precision = iif(latitude IS NULL, (SELECT 'country' {CENTROID}), coordinate_precision),
            sources = json_array(persons.source_id),
            summary = summary_text(summary), summary_links = summary_links(summary)
        FROM sources AS s WHERE s.id = persons.source_id""",
    # A deceased person's status is dated by a death event, not the list's date (Liu Xiaobo: "deceased" in CECC's export
    # of 2020-07-23, died 2017-07-13): the most precise, then earliest; the event keeps its source, named on the page.
    "dated_by_death": """
        UPDATE persons SET status_as_of = death.date, status_as_of_precision = death.date_precision
        FROM (SELECT person_id, date, date_precision, row_number() OVER (
                  PARTITION BY person_id ORDER BY length(date) DESC, date, id) AS nth
              FROM events WHERE event_type = 'death' AND ifnull(date, '') != '') AS death
        WHERE death.person_id = persons.id AND death.nth = 1 AND persons.status = 'deceased'""",
    # The charges and sources facets: each person's charges, and the sources of a person linked from several.
    "charges_facet": """
        UPDATE persons SET charges = per_person.charges FROM (
            SELECT d.person_id, sorted_set(dc.charge_id) AS charges
            FROM detention_charges AS dc JOIN detentions AS d ON d.id = dc.detention_id GROUP BY d.person_id
        ) AS per_person WHERE per_person.person_id = persons.id""",
    "sources_facet": """
        UPDATE persons SET sources = per_person.sources FROM (
            SELECT person_id, sorted_set(source_id) AS sources FROM records
            WHERE person_id IN (SELECT person_id FROM records GROUP BY person_id HAVING count(*) > 1)
            GROUP BY person_id
        ) AS per_person WHERE per_person.person_id = persons.id""",
    # The label_column shown for a charge id: law, article, title (the 1999 and 2015 codes share titles, not articles).
    "charge_labels": "UPDATE charges SET label = law || ifnull(', art. ' || nullif(article, ''), '') || ': ' || title_en",
    # Still "detained", latest sentence ended before this release and not detained since: flagged, never re-labelled.
    # Against the release's date, not the clock, so a build is the same whenever it runs; at the end date's precision.
    "stale_statuses": """
        UPDATE persons SET status_may_be_stale = iif(status = 'detained' AND ends.latest IS NOT NULL
            AND ends.latest < substr(:released_on, 1, length(ends.latest))
            AND NOT EXISTS (SELECT 1 FROM detentions d WHERE d.person_id = persons.id
                            AND substr(d.detained_on, 1, length(ends.latest)) > substr(ends.latest, 1, length(d.detained_on))),
            1, 0)
        FROM (SELECT p.id, (SELECT max(sentence_ends_on) FROM detentions WHERE person_id = p.id) AS latest
              FROM persons p) AS ends
        WHERE ends.id = persons.id""",
}


# Values that cannot be right, kept as given, noted in data_quality, shown as warnings: (table, field, condition on
# the row `t` and its source `s`, what is wrong).
IMPLAUSIBLE = [
    ("detentions", "released_on", "t.released_on < substr(t.detained_on, 1, length(t.released_on))",
     "released before the date of detention"),
    ("detentions", "sentenced_on", "t.sentenced_on < substr(t.detained_on, 1, length(t.sentenced_on))",
     "sentenced before the date of detention"),
    ("detentions", "detained_on", "substr(t.detained_on, 1, length(s.as_of)) > s.as_of",
     "after the date of the source that reports it"),
    ("detentions", "age_at_detention", "t.age_at_detention NOT BETWEEN 5 AND 110", "not a plausible age"),
    ("persons", "birth_year", "t.birth_year > CAST(substr(s.as_of, 1, 4) AS INTEGER) OR t.birth_year < 1880",
     "not a plausible year of birth for the source's date"),
]
SHOWN_WARNINGS = 5  # printed one by one; the rest counted


def note_implausible_values(stage):
    found = [(field, problem, row) for table, field, condition, problem in IMPLAUSIBLE
             for row in stage.conn.execute(f"""
        SELECT t._file, t._line, coalesce(t._record_upstream, t.id), t.[{field}], t.source_id, t.upstream_ref,
               t._record_source, t._record_upstream
        FROM [{table}] AS t JOIN sources AS s ON s.id = t.source_id
        WHERE t.[{field}] IS NOT NULL AND ({condition}) ORDER BY t.rowid""").fetchall()]
    for field, problem, (file, line, _, value, *_) in found[:SHOWN_WARNINGS]:
        print(f"warning: {Origin(file, line).where()}, field '{field}': value {value!r} — {problem}; kept as given "
              f"and noted in data_quality", flush=True)
    if len(found) > SHOWN_WARNINGS:
        print(f"warning: {len(found) - SHOWN_WARNINGS} more implausible values, kept as given: see "
              f"data_quality (problem LIKE 'implausible%')", flush=True)
    stage.add("data_quality", ((Origin(file, line), {
        "upstream_id": upstream_id, "field": field, "raw_value": str(value), "problem": f"implausible: {problem}",
        "source_id": source_id, "upstream_ref": upstream_ref, "_record": (record_source, record_upstream)})
        for field, problem, (file, line, upstream_id, value, source_id, upstream_ref, record_source, record_upstream)
        in found))


# CECC's narratives are HTML (`<A HREF="http://…">sentenced</A>`, `&rsquo;`): a summary is stored as text so every
# format shows words, its http(s) links beside it ([{"text": …, "url": …}]) for the person page. nh3 keeps only <a href>
# to http(s) (script and style go with their contents; no attribute but href), in the one form LINK reads.
LINK = re.compile(r'<a(?: href="([^"]*)")?>([^<]*)</a>')


@lru_cache(maxsize=4096)  # the build asks for the text and the links of each summary
def text_and_links(summary):
    """(plain text, links as a JSON array or None) of a summary that may hold HTML."""
    if not summary:
        return summary, None
    safe = nh3.clean(summary, tags={"a"}, attributes={"a": {"href"}, "*": set()},
                     url_schemes={"http", "https"}, url_relative="deny", link_rel=None)
    links = [{"text": unescape(words), "url": unescape(href).strip()} for href, words in LINK.findall(safe)
             if unescape(href).strip() and unescape(words).strip()]
    text = unescape(LINK.sub(lambda link: link[2], safe)).strip()
    return text, json.dumps(links, ensure_ascii=False) if links else None


# Each source gives its own row for one detention (CECC's, ISHR's, CPPC's of Jiang Tianyong's of 2016-11-21): one
# person's rows of several sources are one when dates of detention agree at the precision both give and no sentence,
# end or release is before another's detention. The leading row (main source, else best dated) names the group.
LATER_DATES = ("sentenced_on", "sentence_ends_on", "released_on")


def same_detentions(stage):
    """detentions.same_detention: each row's own id, or that of the row leading the detention it describes."""
    conn = stage.conn
    conn.execute("UPDATE detentions SET same_detention = id")
    rows = conn.execute(f"""
        SELECT d.id, d.person_id, d.source_id, d.detained_on, {', '.join(f'd.{c}' for c in LATER_DATES)},
               d.source_id = p.source_id AS led
        FROM detentions d JOIN persons p ON p.id = d.person_id
        WHERE d.person_id IN (SELECT person_id FROM detentions GROUP BY person_id HAVING count(DISTINCT source_id) > 1)
        ORDER BY d.person_id, led DESC, d.detained_on IS NULL, length(d.detained_on) DESC, d.source_id, d.id""")
    by_person = defaultdict(list)
    for row in rows:
        by_person[row[1]].append(dict(zip(("id", "person_id", "source_id", "detained_on", *LATER_DATES, "led"), row)))
    conn.executemany("UPDATE detentions SET same_detention = ? WHERE id = ?",
                     ((lead, member) for detentions in by_person.values()
                      for lead, member in grouped(detentions) if lead != member))


def grouped(detentions):
    """(lead id, member id) for each detention of one person, in lead order."""
    groups = []
    for detention in detentions:
        fits = [group for group in groups if all(agree(detention, other) for other in group)
                and detention["source_id"] not in {other["source_id"] for other in group}]
        if len(fits) > 1 and not detention["detained_on"]:
            fits = closest(fits)
        if len(fits) == 1:
            fits[0].append(detention)
        else:
            groups.append([detention])
    return [(group[0]["id"], member["id"]) for group in groups for member in group]


def closest(groups):
    """A row with no date of detention fits the latest detention that began before its own dates."""
    starts = sorted((group[0]["detained_on"] or "", n) for n, group in enumerate(groups))
    latest = [n for start, n in starts if start == starts[-1][0]]
    return [groups[latest[0]]] if len(latest) == 1 and starts[-1][0] else []


def agree(one, other):
    starts = one["detained_on"], other["detained_on"]
    if all(starts) and (before(*starts) or before(*reversed(starts))):
        return False
    return not any(start["detained_on"] and later[column] and before(later[column], start["detained_on"])
                   for start, later in ((one, other), (other, one)) for column in LATER_DATES)


def before(a, b):
    """a is before b at the precision both give (2015 is not before 2015-06)."""
    return a[:len(b)] < b[:len(a)]
