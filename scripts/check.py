"""Check one list alone, in seconds, before building: `make check SOURCE=raw/<id>`.

    python -m scripts.check raw/<id> [--db conscience.db]

Reads the source's file through its mapping (or adapter) without any other list and prints a report: rows read,
how often each field is filled, the values that went to data_quality grouped by problem, the first records as
they would be stored, and the links and candidates they would make with the lists of the last built database.
Exits non-zero on any error, which names the file, line, column and value, as the build does.
"""

import argparse
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from scripts import adapters, link
from scripts.adapters import mapped
from scripts.build import (
    DEFAULT_OUT,
    list_path,
    quarantine_unknown_charges,
    upstream_context,
)
from scripts.common import BuildError
from scripts.read import (
    RAW,
    Origin,
    curated,
    display_path,
    fetch,
    read_source_yml,
    source_folders,
)
from scripts.schema import REFERENCE_TABLES, TABLES
from scripts.stage import Stage
from scripts.stage.validate import check_keys

SHOWN_RECORDS = 3
EXAMPLES = 3
LINKED_TABLES = ("persons", "records", "detentions")  # what linking reads of the other lists


def check(folder, db=DEFAULT_OUT, raw=RAW, out=sys.stdout):
    """Print the report for the list in `folder`; raise BuildError on a fault."""
    folder = Path(folder).resolve()
    origin, meta = read_source_yml(folder)
    if not (meta.get("mapping") or meta.get("adapter")):
        raise origin.error("mapping", None, "the source has no mapping or adapter: it is not a list",
                           "Curated folders are checked by make build.")
    path = fetch.fetch_one(meta) if meta.get("sha256") else list_path(folder, origin, meta, {})
    plans = {meta["id"]: mapped.prepare(meta, folder, path, *mapped.vocabularies(raw))} if meta.get("mapping") else {}
    adapt = adapters.read_upstream(meta, path, folder, upstream_context(raw, plans))
    with tempfile.TemporaryDirectory() as scratch:
        stage = Stage(Path(scratch) / "check.stage")
        try:
            for name in REFERENCE_TABLES:
                stage.add(name, curated.read_table(raw / "reference" / f"{name}.csv", TABLES[name]))
            where = display_path(path)
            stage.add_each((name, Origin(f"{where} ({row['upstream_ref']})"), row) for name, row in adapt(iter))
            check_keys(stage, ("persons", "records", "detentions", "detention_charges", "events"))
            quarantine_unknown_charges(stage)
            report(stage, meta["id"], plans.get(meta["id"]), out)
            reported = stage.count("data_quality")
            others = copy_other_lists(stage, db, meta["id"])
            priorities = defaultdict(int, {m["id"]: m.get("priority", 0)
                                           for m in (read_source_yml(f)[1] for f in source_folders(raw))})
            candidates = []
            if others:
                stage.add("data_quality", link.missing_references(stage.conn))
                overrides = link.read_overrides(raw / "links.csv", stage.conn)
                candidates = link.apply(stage, link.plan(stage, priorities, overrides))
            report_links(stage, meta["id"], candidates, db if others else None, out)
            for ref, field, value, problem in stage.conn.execute(
                    "SELECT upstream_ref, field, raw_value, problem FROM data_quality WHERE rowid > ?", (reported,)):
                print(f"  {ref}, column '{field}': {value!r} — {problem}", file=out)
        finally:
            stage.close()


def report(stage, source_id, plan, out):
    conn = stage.conn
    count = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    rows = sum(1 for _ in plan.file.rows()) if plan else count
    print(f"{source_id}: {rows} rows read, {count} records", file=out)
    print("\nFields filled (share of rows that give a value):", file=out)
    for table in ("persons", "detentions", "records", "events", "detention_charges", "person_issues"):
        total = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
        if not total:
            continue
        columns = [c for c in stage.public[table] if c not in ("source_id", "upstream_ref", "id", "raw")
                   and not c.endswith("_precision")]
        filled = conn.execute(f"SELECT {', '.join(f'count([{c}])' for c in columns)} FROM [{table}]").fetchone()
        shown = ", ".join(f"{c} {100 * n / total:.0f}%" for c, n in zip(columns, filled) if n)
        print(f"  {table} ({total}): {shown}", file=out)
    problems = defaultdict(list)
    for field, value, problem, ref in conn.execute("SELECT field, raw_value, problem, upstream_ref FROM data_quality "
                                                   "ORDER BY rowid"):
        problems[problem].append((ref, field, value))
    print(f"\nValues that went to data_quality: {sum(map(len, problems.values()))}", file=out)
    for problem, found in sorted(problems.items(), key=lambda item: -len(item[1])):
        print(f"  {len(found)} × {problem}", file=out)
        for ref, field, value in found[:EXAMPLES]:
            print(f"      {ref}, column '{field}': {value!r}", file=out)
    print(f"\nThe first {SHOWN_RECORDS} records as they would be stored:", file=out)
    for (person_id,) in conn.execute("SELECT id FROM persons ORDER BY rowid LIMIT ?", (SHOWN_RECORDS,)).fetchall():
        print(f"  persons: {stored(stage, 'persons', 'id', person_id)}", file=out)
        for table in ("detentions", "events", "person_issues"):
            for row in conn.execute(f"SELECT rowid FROM [{table}] WHERE person_id = ?", (person_id,)).fetchall():
                print(f"    {table}: {stored(stage, table, 'rowid', row[0])}", file=out)
                if table == "detentions":
                    detention_id = conn.execute("SELECT id FROM detentions WHERE rowid = ?", row).fetchone()[0]
                    for charge in conn.execute("SELECT rowid FROM detention_charges WHERE detention_id = ?",
                                               (detention_id,)).fetchall():
                        print(f"      detention_charges: {stored(stage, 'detention_charges', 'rowid', charge[0])}",
                              file=out)


def stored(stage, table, key, value):
    columns = stage.public[table]
    row = stage.conn.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table}] WHERE [{key}] = ?",
                             (value,)).fetchone()
    return json.dumps({c: v for c, v in zip(columns, row) if v is not None and c not in ("source_id", "raw")},
                      ensure_ascii=False)


def copy_other_lists(stage, db, source_id):
    """Stage the records of every other source in the last built database, with their persons and detentions.

    A person is staged as of the source of its first other record (a published person merged with this list's
    record may carry this source's id). Returns the number of rows staged."""
    if not Path(db).exists():
        return 0
    conn = stage.conn
    conn.execute("ATTACH DATABASE ? AS built", (f"file:{db}?mode=ro",))
    try:
        owners = dict(conn.execute("SELECT person_id, min(source_id) FROM built.records WHERE source_id != ? "
                                   "GROUP BY person_id", (source_id,)).fetchall())
        wanted = {"persons": "id IN (SELECT person_id FROM built.records WHERE source_id != :source)",
                  "records": "source_id != :source",
                  "detentions": "source_id != :source"}
        for table in LINKED_TABLES:
            cursor = conn.execute(f"SELECT * FROM built.[{table}] WHERE {wanted[table]}", {"source": source_id})
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, values)) for values in cursor.fetchall()]
            if table == "persons":
                rows = [{**row, "source_id": owners[row["id"]]} for row in rows]
            stage.add(table, ((Origin(str(db)), {**row, "_record": (row["source_id"], None)}) for row in rows))
        staged = sum(conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0] for table in LINKED_TABLES)
    finally:
        conn.commit()
        conn.execute("DETACH DATABASE built")
    return staged


def report_links(stage, source_id, candidates, db, out):
    if db is None:
        print("\nLinks: no built database to link against (run make build once).", file=out)
        return
    linked = stage.conn.execute("""
        SELECT r.id, r.link_method, group_concat(o.id, ', ') FROM records AS r JOIN records AS o
        ON o.person_id = r.person_id AND o.id != r.id
        WHERE r.source_id = ? GROUP BY r.id ORDER BY r.rowid""", (source_id,)).fetchall()
    methods = Counter(method if method != "defines the person" else "(the other record joins this one)"
                      for _, method, _ in linked)
    print(f"\nLinks it would make with the lists of {display_path(db)}: {len(linked)} records linked", file=out)
    for method, count in methods.most_common():
        print(f"  {count} × {method}", file=out)
    for record_id, method, others in linked[:SHOWN_RECORDS * 2]:
        print(f"      {record_id} = {others}", file=out)
    mine = [c for c in candidates if source_id in (c["record_id"].split("/")[0], c["candidate_record_id"].split("/")[0])]
    print(f"Candidates for review: {len(mine)}", file=out)
    for candidate in mine[:SHOWN_RECORDS * 2]:
        print(f"      {candidate['record_id']} ? {candidate['candidate_record_id']} "
              f"(score {candidate['score']}: {candidate['evidence']})", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the source's folder, e.g. raw/cppc-china")
    parser.add_argument("--db", type=Path, default=DEFAULT_OUT, help="a built database to link against")
    args = parser.parse_args(argv)
    try:
        check(args.source, args.db)
    except BuildError as exc:
        sys.exit(f"check failed: {exc}")


if __name__ == "__main__":
    main()
