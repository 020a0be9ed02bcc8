"""The release's downloads, a CSV per table and a Frictionless Data Package, in conscience.release/<release id>/ (served
by plugins/pages_releases.py): made from the finished stage while scripts/write copies it into the database file."""

import csv
import json
import os
import shutil
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

import yaml
from pooch import file_hash

from scripts.read import ROOT
from scripts.schema import TABLES, foreign_keys, pk_columns, stored_columns
from scripts.stage.parallel import in_background

# Table Schema types of the schema's kinds; a date may be partial ("2016", "2016-11"), so it is a string beside its
# _precision column, and a JSON column holds an object or an array (its description says which).
TYPES = {str: "string", int: "integer", float: "number"}
KINDS = {"list": "array", "json": "any"}
LICENCE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
           "title": "Creative Commons Attribution 4.0 International (the compilation); each source keeps its own "
                    "terms: see the sources resource"}


def folder_of(database):
    return Path(database).with_name(Path(database).stem + ".release")


@contextmanager
def written(stage_path, out):
    """Yield a function putting in place the release's files, made meanwhile from the stage (whose tables the
    database is a copy of, in the same key order) in two processes: records' and detentions' CSVs in one, the other
    tables' in the other (about half the work each at 1M persons). Never put in place if the block raises."""
    files = out.with_name(out.name + ".release")
    shutil.rmtree(files, ignore_errors=True)
    with closing(sqlite3.connect(f"file:{stage_path}?mode=ro", uri=True)) as conn:
        release, released_on = conn.execute("SELECT id, released_on FROM releases ORDER BY released_on DESC").fetchone()
    (folder := files / release).mkdir(parents=True)
    first = ["records", "detentions"]
    with in_background(write_tables, stage_path, folder, first) as records, \
            in_background(write_tables, stage_path, folder, [name for name in TABLES if name not in first]) as rest:
        def put_files_in_place():
            write_package(stage_path, folder, records() + rest(), release, released_on)
            put_in_place(files, folder_of(out))
        yield put_files_in_place


def write_tables(database, release_folder, names):
    """The named tables' CSVs in the release's folder; their Data Resources."""
    described = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["conscience"]["tables"]
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        conn.text_factory = bytes  # write_csv joins each row's fields as they are stored
        return [resource(TABLES[name], write_csv(conn, TABLES[name], release_folder / f"{name}.csv"),
                         described.get(name, {})) for name in names]


def write_package(database, release_folder, resources, release, released_on):
    """The release's datapackage.json, its resources in the schema's order of tables."""
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        sources = conn.execute("SELECT title, publisher, url FROM sources ORDER BY id").fetchall()
    package = {
        "profile": "tabular-data-package", "name": "conscience", "id": f"conscience-{release}",
        "title": metadata["title"], "description": metadata["description"],
        "version": release, "created": f"{released_on}T00:00:00Z", "licenses": [LICENCE],
        "keywords": ["prisoners of conscience", "human rights defenders", "reprisals", "political prisoners"],
        "sources": [{"title": f"{title} ({publisher})", **({"path": url} if url and url.startswith("http") else {})}
                    for title, publisher, url in sources],
        "resources": sorted(resources, key=lambda resource: list(TABLES).index(resource["name"])),
    }
    (release_folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=1) + "\n",
                                                     encoding="utf-8")


def put_in_place(built, folder):
    old = folder.with_name(folder.name + "-old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.rename(folder, old)
    os.rename(built, folder)
    shutil.rmtree(old, ignore_errors=True)


def write_csv(conn, table, path):
    """The table as CSV (RFC 4180, UTF-8, a header row, NULL empty) in key order, byte for byte as csv.writer writes
    it: SQLite quotes the text and Python joins the bytes (csv.writer scans each character of a record's kilobyte of
    upstream JSON: 20 s for a million records, 11 s so). A float is written by Python, whose shortest form SQLite's 15
    digits are not. `conn` gives text as bytes. Its path."""
    columns = stored_columns(table)
    fields, order = (", ".join(csv_field(f"[{name}]", kind) for name, kind in columns),
                     ", ".join(f"[{c}]" for c in pk_columns(table)))
    rows = conn.execute(f"SELECT {fields} FROM [{table.name}] ORDER BY {order}")
    with open(path, "wb") as handle:
        handle.write(",".join(name for name, _ in columns).encode() + b"\r\n")
        for row in rows:
            try:
                handle.write(b",".join(row) + b"\r\n")
            except TypeError:  # a float among the row's fields
                handle.write(b",".join([v if v.__class__ is bytes else repr(v).encode() for v in row]) + b"\r\n")
    return path


def csv_field(column, kind):
    """SQL giving the column's field as csv.writer writes it (quoted where it holds a quote, comma or line break), or
    its value for Python to write where it is a float."""
    if kind is float:
        return f"ifnull({column}, '')"
    if kind is int:
        return f"CASE typeof({column}) WHEN 'real' THEN {column} ELSE ifnull(CAST({column} AS TEXT), '') END"
    return (f"""CASE WHEN {column} IS NULL THEN '' WHEN instr({column}, '"') """
            f"""THEN '"' || replace({column}, '"', '""') || '"' """
            f"""WHEN instr({column}, ',') OR instr({column}, '\n') OR instr({column}, '\r') """
            f"""THEN '"' || {column} || '"' ELSE {column} END""")


def resource(table, path, meta):
    """The Data Resource of a table's CSV: its columns' types and descriptions (metadata.yml), keys and checksum."""
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
            "mediatype": "text/csv", "encoding": "utf-8", "bytes": path.stat().st_size,
            "hash": f"sha256:{file_hash(path)}",
            "schema": {"fields": fields, "primaryKey": list(pk_columns(table)), "foreignKeys": keys}}

