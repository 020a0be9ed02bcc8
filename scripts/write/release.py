"""The release's downloads, beside its database: a CSV per table and a Frictionless Data Package describing them.

conscience.db's are in conscience.release/<release id>/, made from the written file once the search for withheld
persons' traces has passed (scripts/build.py) and put in place just before the database, whose releases table names
the id. The SQLite file itself is the database (served at /releases/<id>/conscience.db by plugins/pages_releases.py).
"""

import csv
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import yaml

from scripts.read import ROOT
from scripts.schema import TABLES, foreign_keys, stored_columns

# Table Schema types of the schema's kinds; a date may be partial ("2016", "2016-11"), so it is a string beside its
# _precision column, and a JSON column holds an object or an array (its description says which).
TYPES = {str: "string", int: "integer", float: "number"}
KINDS = {"list": "array", "json": "any"}
LICENCE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
           "title": "Creative Commons Attribution 4.0 International (the compilation); each source keeps its own "
                    "terms: see the sources resource"}


def folder_of(database):
    """conscience.db's release folder: conscience.release."""
    return Path(database).with_name(Path(database).stem + ".release")


def current(database):
    """(id, date) of the database's latest release."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, released_on FROM releases ORDER BY released_on DESC LIMIT 1").fetchone()
    finally:
        conn.close()


def start(database, folder):
    """folder/<id>/ made anew for the database's latest release; its path."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / current(database)[0]).mkdir(parents=True)
    return folder / current(database)[0]


def write_tables(database, release_folder, names):
    """The named tables' CSVs in the release's folder; their Data Resources."""
    with open(ROOT / "metadata.yml", encoding="utf-8") as handle:
        described = yaml.safe_load(handle)["databases"]["conscience"]["tables"]
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return [resource(TABLES[name], write_csv(conn, TABLES[name], release_folder / f"{name}.csv"),
                         described.get(name, {})) for name in names]
    finally:
        conn.close()


def write_package(database, release_folder, resources):
    """The release's datapackage.json, its resources in the schema's order of tables."""
    with open(ROOT / "metadata.yml", encoding="utf-8") as handle:
        metadata = yaml.safe_load(handle)
    release, released_on = current(database)
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        sources = conn.execute("SELECT title, publisher, url FROM sources ORDER BY id").fetchall()
    finally:
        conn.close()
    resources = sorted(resources, key=lambda resource: list(TABLES).index(resource["name"]))
    package = datapackage(metadata, release, released_on, resources, sources)
    (release_folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=1) + "\n",
                                                     encoding="utf-8")


def put_in_place(built, folder):
    """The folder `built` becomes `folder`, the one it replaces removed."""
    old = folder.with_name(folder.name + "-old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.rename(folder, old)
    os.rename(built, folder)
    shutil.rmtree(old, ignore_errors=True)


def write_csv(conn, table, path):
    """The table as CSV (RFC 4180, UTF-8, a header row, NULL empty) in key order; (path, its sha256)."""
    columns = [name for name, _ in stored_columns(table)]
    order = ", ".join(f"[{c}]" for c in ((table.pk,) if isinstance(table.pk, str) else table.pk))
    digest = hashlib.sha256()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in conn.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table.name}] ORDER BY {order}"):
            writer.writerow(row)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path, digest.hexdigest()


def resource(table, written, meta):
    """The Data Resource of a table's CSV: its columns' types and descriptions (metadata.yml), keys and checksum."""
    path, sha256 = written
    declared = {c.name: c for c in table.columns}
    fields = []
    for name, python_type in stored_columns(table):
        column = declared.get(name)
        field = {"name": name, "type": KINDS.get(column.kind, TYPES[python_type]) if column else TYPES[python_type],
                 "description": meta.get("columns", {}).get(name, "")}
        if name in ("source_id", "upstream_ref") and table.provenance or column and column.required:
            field["constraints"] = {"required": True}
        fields.append(field)
    keys = [{"fields": column, "reference": {"resource": "" if target == table.name else target, "fields": key}}
            for column, target, key in foreign_keys(table)]
    return {"name": table.name, "path": path.name, "title": meta.get("title", table.name),
            "description": meta.get("description", ""), "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "bytes": path.stat().st_size, "hash": f"sha256:{sha256}",
            "schema": {"fields": fields, "primaryKey": [table.pk] if isinstance(table.pk, str) else list(table.pk),
                       "foreignKeys": keys}}


def datapackage(site, release, released_on, resources, sources):
    return {
        "profile": "tabular-data-package", "name": "conscience", "id": f"conscience-{release}",
        "title": site["title"], "description": site["description"],
        "version": release, "created": f"{released_on}T00:00:00Z", "licenses": [LICENCE],
        "keywords": ["prisoners of conscience", "human rights defenders", "reprisals", "political prisoners"],
        "sources": [{"title": f"{title} ({publisher})", **({"path": url} if url and url.startswith("http") else {})}
                    for title, publisher, url in sources],
        "resources": resources,
    }
