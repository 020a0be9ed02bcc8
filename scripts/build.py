"""Build conscience.db from raw/ and the fetched upstream files.

    python -m scripts.build [--strict] [--out conscience.db]

The database is written to a temporary file and renamed into place only when
everything succeeded, so a failed build leaves the previous database untouched.
The same inputs give the same bytes.
"""

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

import sqlite_utils

from . import adapters, countries, curated, fetch
from .changes import history, release_date
from .derive import derive
from .errors import BuildError
from .gazetteer import Gazetteer
from .link import link
from .rawfiles import RAW, ROOT, Origin, display_path, read_csv, read_source_yml, source_folders
from .schema import REFERENCE_TABLES, TABLES, foreign_keys, stored_columns
from .text import unspaced_substrings
from .validate import check_keys, key_of, validate
from .views import VIEWS
from .withhold import read_withheld, withhold

DEFAULT_OUT = ROOT / "conscience.db"
FTS_TOKENIZER = "unicode61 remove_diacritics 2"


def collect(strict=False, raw=RAW, previous=None, released_on=None):
    """Every row of every table, as {table: [(origin, row)]}, derived and validated.

    `previous` is the last release's database, to record what changed since; `released_on` this release's date.
    """
    raw = Path(raw)
    paths = fetch.fetch_all(strict, raw)
    tables = defaultdict(list)
    sources, priorities = {}, {}
    for name in REFERENCE_TABLES:
        tables[name].extend(curated.read_table(raw / "reference" / f"{name}.csv", TABLES[name]))
    tables["countries"] = countries.country_rows(paths.get(countries.SOURCE_ID))
    context = None  # built on first use: loading the gazetteer takes seconds
    for folder in source_folders(raw):
        origin, meta = read_source_yml(folder)
        sources[meta["id"]] = source_row(meta)
        priorities[meta["id"]] = meta.get("priority", 0)
        tables["sources"].append((origin, sources[meta["id"]]))
        if not (meta.get("adapter") or meta.get("mapping")):
            if not meta.get("sha256"):
                for name, rows in curated.read_curated_source(folder, meta).items():
                    tables[name].extend(rows)
            continue
        path = paths.get(meta["id"]) if meta.get("sha256") else local_list(folder, meta, origin)
        if path:
            where = display_path(path)
            context = context or upstream_context(tables, raw)
            for name, rows in adapters.read_upstream(meta, path, folder, context).items():
                blank = dict.fromkeys(column for column, _ in stored_columns(TABLES[name]))
                tables[name].extend((Origin(f"{where} ({row['upstream_ref']})"), {**blank, **row}) for row in rows)
    check_keys(tables, ("sources", *REFERENCE_TABLES, *curated.CURATED_TABLES, "records"))
    withheld = read_withheld(raw / "withheld.csv")
    withhold(tables, withheld)
    quarantine_unknown_charges(tables)
    tables["link_candidates"] = [(Origin("link"), row) for row in link(tables, priorities, raw / "links.csv")]
    derive(tables, sources, raw)
    changes, releases = history(tables, previous, release_date(released_on), withheld)
    tables["changes"] = [(Origin("changes"), row) for row in changes]
    tables["releases"] = [(Origin("releases"), row) for row in releases]
    validate(tables)
    return tables


def local_list(folder, meta, origin):
    """A list kept in raw/<source>/ itself (no upstream URL), read through its mapping or adapter."""
    path = folder / (meta.get("file") or "")
    if not meta.get("file") or not path.is_file():
        raise origin.error("file", meta.get("file"), "the list file is missing from the source's folder",
                           f"Put the file in {display_path(folder)}/ and name it in source.yml's file:.")
    return path


def upstream_context(tables, raw):
    """What upstream adapters look values up in: the gazetteer and reference tables."""
    capitals = {row["province"]: row["capital"] for _, row in
                read_csv(raw / "reference" / "cn_province_capitals.csv", required=("province", "capital"))}
    return {
        "gazetteer": Gazetteer({"CN", "HK", "MO", "AZ"}),
        "province_capitals": capitals,
        "issues": {row["id"]: row["category"] for _, row in tables["issue_categories"]},
    }


def quarantine_unknown_charges(tables):
    """An upstream statute missing from the charges reference is recorded, not fatal."""
    known = {row["id"] for _, row in tables["charges"]}
    kept = []
    for origin, row in tables["detention_charges"]:
        if row["charge_id"] in known or "_record" not in row:
            kept.append((origin, row))
            continue
        tables["data_quality"].append((origin, {
            "upstream_id": row["_record"][1], "field": "charge", "raw_value": row["charge_as_written"],
            "problem": f"statute {row['charge_id']} is not in the charges reference (raw/reference/charges.csv)",
            "source_id": row["source_id"], "upstream_ref": row["upstream_ref"], "_record": row["_record"]}))
    tables["detention_charges"] = kept


def source_row(meta):
    return {
        "id": meta["id"], "title": meta["title"], "publisher": meta["publisher"], "url": meta.get("url"),
        "licence": meta["licence"], "as_of": meta["as_of"], "as_of_precision": meta["as_of_precision"],
        "as_of_note": meta.get("as_of_note"), "language": meta["language"], "kind": meta["kind"],
        "description": meta["description"],
        "file": meta.get("file") or (meta.get("archived_copy") or {}).get("file"),
        "sha256": meta.get("sha256") or (meta.get("archived_copy") or {}).get("sha256"),
    }


def write(tables, out):
    """Write every table, index, full-text index and view to `out`, atomically."""
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        db = sqlite_utils.Database(tmp)
        for table in TABLES.values():
            create_table(db, table, tables[table.name])
        for table in TABLES.values():
            if table.fts:
                create_fts(db, table)
        for name, sql in VIEWS.items():
            db.create_view(name, sql.strip())
        db.execute("ANALYZE")  # statistics let SQLite choose, say, the name index for a filtered page sorted by name
        problems = db.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign key check failed: {problems[:5]}")
        db.close()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def create_table(db, table, rows):
    columns = dict(stored_columns(table))
    required = {c.name for c in table.columns if c.required}
    if table.provenance:
        required |= {"source_id", "upstream_ref"}
    db[table.name].create(columns, pk=table.pk, foreign_keys=foreign_keys(table), not_null=required)
    ordered = sorted((row for _, row in rows), key=lambda row: key_of(table, row))
    # Values are already of the declared types, so one prepared statement inserts them all (sqlite-utils'
    # insert_all would re-inspect every value, the slowest part of a large build).
    names = list(columns)
    db.conn.executemany(
        f"INSERT INTO [{table.name}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' * len(names))})",
        ([row.get(n) for n in names] for row in ordered))
    db.conn.commit()
    for column in table.indexes:
        db[table.name].create_index([column])


def create_fts(db, table):
    """A contentless FTS5 index whose rowids are the table's; 'unspaced' holds CJK substrings."""
    columns = list(table.fts) + ["unspaced"]
    db.execute(
        f"CREATE VIRTUAL TABLE [{table.name}_fts] USING fts5({', '.join(columns)}, "
        f"content='', tokenize='{FTS_TOKENIZER}')"
    )
    rows = db.execute(f"SELECT rowid, {', '.join(table.fts)} FROM [{table.name}] ORDER BY rowid").fetchall()
    db.conn.executemany(
        f"INSERT INTO [{table.name}_fts] (rowid, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})",
        [(*row, unspaced_substrings(*row[1:])) for row in rows],
    )
    db.conn.commit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true",
                        help="fail if any declared upstream source is missing or its checksum differs")
    parser.add_argument("--out", default=DEFAULT_OUT, type=Path, help="database to write (default: conscience.db)")
    parser.add_argument("--raw", default=RAW, type=Path, help="folder of sources to build from (default: raw/)")
    parser.add_argument("--previous", type=Path, help="the previous release's database, to record what changed")
    parser.add_argument("--release-date", help="this release's date, YYYY-MM-DD (default: the last commit's date)")
    args = parser.parse_args(argv)
    try:
        tables = collect(strict=args.strict, raw=args.raw, previous=args.previous, released_on=args.release_date)
        write(tables, args.out)
    except BuildError as exc:
        sys.exit(f"build failed: {exc}\nThe previous {args.out.name}, if any, is unchanged.")
    counts = ", ".join(f"{name} {len(tables[name])}" for name in TABLES)
    print(f"built {args.out.name}: {counts}")


if __name__ == "__main__":
    main()
