"""Columns the build computes from what raw/ says: folded names, links, coordinates, facets."""

import json
import re
from collections import defaultdict
from pathlib import Path

from .rawfiles import RAW, read_csv
from .dates import year_of
from .text import fold, slugify

def derive(tables, sources, raw=RAW):
    """Fill derived columns in place. `sources` maps source id to its sources row."""
    resolve_signatories(tables, Path(raw) / "reference" / "organization_aliases.csv")
    organization_names(tables)
    default_as_of(tables, sources)
    for _, row in tables["detentions"]:
        row["detained_year"] = year_of(row["detained_on"])
    for _, row in tables["events"]:
        row["year"] = year_of(row["date"])
    person_facets(tables)
    number_data_quality(tables)


def name_key(name):
    """Two spellings of an organisation with the same key are the same organisation."""
    return re.sub(r"[^a-z0-9]+", "", fold(name).lower())


def resolve_signatories(tables, aliases_path):
    """Link each signature to an organisation: an alias, a same-key name, or a new organisation."""
    by_key = {}
    for _, org in tables["organizations"]:
        for name in [org["name"], org.get("_name_as_written")]:
            if name:
                by_key.setdefault(name_key(name), org["id"])
    taken = {org["id"] for _, org in tables["organizations"]}
    aliases = {}
    for origin, row in read_csv(aliases_path, required=("name_as_written", "organization_id")):
        if row["organization_id"] not in taken:
            raise origin.error("organization_id", row["organization_id"], "no organisation has this id",
                               "Use the id of an organisation defined in a source's organizations.csv.")
        aliases[row["name_as_written"]] = row["organization_id"]
    for origin, signature in tables["signatures"]:
        written = signature["name_as_written"]
        if written in aliases:
            signature["organization_id"] = aliases[written]
            continue
        key = name_key(written)
        if key not in by_key:
            by_key[key] = unique_id(slugify(written), taken)
            tables["organizations"].append((origin, {
                "id": by_key[key], "name": written, "name_native": None, "country": None, "description": None,
                "source_id": signature["source_id"], "upstream_ref": signature["upstream_ref"],
            }))
        signature["organization_id"] = by_key[key]


def unique_id(slug, taken):
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


def organization_names(tables):
    written = defaultdict(set)
    for _, org in tables["organizations"]:
        if org.get("_name_as_written"):
            written[org["id"]].add(org["_name_as_written"])
    for _, signature in tables["signatures"]:
        written[signature["organization_id"]].add(signature["name_as_written"])
    for _, org in tables["organizations"]:
        org["name_folded"] = fold(org["name"])
        names = sorted(written[org["id"]])
        org["names_as_written"] = json.dumps(names, ensure_ascii=False) if names else None


def default_as_of(tables, sources):
    """A status or figure with no date of its own is as of its source's date."""
    for table, column in (("persons", "status_as_of"), ("statistics", "as_of")):
        for _, row in tables[table]:
            if not row[column]:
                source = sources[row["source_id"]]
                row[column], row[column + "_precision"] = source["as_of"], source["as_of_precision"]


def person_facets(tables):
    centroids = {c["iso2"]: (c["latitude"], c["longitude"]) for _, c in tables["countries"]}
    detention_person = {d["id"]: d["person_id"] for _, d in tables["detentions"]}
    charges = defaultdict(set)
    for _, link in tables["detention_charges"]:
        charges[detention_person.get(link["detention_id"])].add(link["charge_id"])
    sources = defaultdict(set)
    for _, record in tables["records"]:
        sources[record["person_id"]].add(record["source_id"])
    for _, person in tables["persons"]:
        person["name_folded"] = fold(person["name"])
        if person.get("latitude") is None:
            latitude, longitude = centroids.get(person["country"], (None, None))
            person["latitude"], person["longitude"] = latitude, longitude
            person["coordinate_precision"] = "country" if latitude is not None else None
        person["charges"] = json.dumps(sorted(charges[person["id"]])) if charges[person["id"]] else None
        person["sources"] = json.dumps(sorted(sources[person["id"]]))


def number_data_quality(tables):
    rows = sorted(tables["data_quality"], key=lambda item: (item[1]["source_id"], item[1]["upstream_id"],
                                                            item[1]["field"], item[1]["problem"]))
    for number, (_, row) in enumerate(rows, start=1):
        row["id"] = number
    tables["data_quality"] = rows
