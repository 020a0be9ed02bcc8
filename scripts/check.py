"""Preview what the build will do with one list: `make check SOURCE=raw/<id>` (`python -m scripts.check raw/<id>`).
All of raw/ goes through the build's read_link_derive; the list's report: rows read, fields filled, data_quality, the
first records as stored, links and candidates for review, contradictions. An error stops it as it stops the build."""

import argparse
import json
import sys
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path

from scripts import link
from scripts.build import previewed
from scripts.common import BuildError
from scripts.read import RAW, Origin, display_path

SHOWN = 3


def check(folder, raw=RAW, out=sys.stdout):
    """Print the report for the list in `folder` (a folder of `raw`); return its figures; raise BuildError."""
    folder, raw = Path(folder).resolve(), Path(raw).resolve()
    if folder.parent != raw:
        raise Origin(display_path(folder)).error(None, None, f"the folder is not in {display_path(raw)}",
                                                 "make check previews the build, which reads the lists of raw/: "
                                                 "put the list's folder there.")
    with previewed(raw) as (stage, _, plans):
        if folder.name not in plans:
            raise Origin(display_path(folder / "source.yml")).error(
                "mapping", None, "the source has no mapping (or its file could not be fetched): it is not a list",
                "Curated folders are checked by make build.")
        return report(stage.conn, folder.name, plans[folder.name], out)


def report(conn, source, plan, out):
    say = partial(print, file=out)
    figures = {"rows": sum(1 for _ in plan.file.rows()), **{table: conn.execute(
        f"SELECT count(*) FROM [{table}] WHERE source_id = ?", (source,)).fetchone()[0] for table in
        ("persons", "records", "detentions", "detention_charges", "events", "person_issues", "data_quality")}}
    say(f"{source}: {figures['rows']} rows read, {figures['records']} records")
    say("\nFields filled (share of rows that give a value):")
    for table in ("persons", "detentions", "records", "events", "detention_charges", "person_issues"):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])") if not row[1].startswith("_")
                   and row[1] not in ("source_id", "upstream_ref", "id", "raw") and not row[1].endswith("_precision")]
        filled = conn.execute(f"SELECT {', '.join(f'count([{c}])' for c in columns)} FROM [{table}] WHERE source_id = ?",
                              (source,)).fetchone()
        if figures[table]:
            say(f"  {table} ({figures[table]}): " + ", ".join(f"{c} {100 * n / figures[table]:.0f}%"
                                                              for c, n in zip(columns, filled) if n))
    problems = defaultdict(list)
    for ref, field, value, problem in conn.execute("SELECT upstream_ref, field, raw_value, problem FROM data_quality "
                                                   "WHERE source_id = ? ORDER BY rowid", (source,)):
        problems[problem].append(f"{ref}, column '{field}': {(v := repr(value))[:120]}{'…' if len(v) > 120 else ''}")
    say(f"\nValues that went to data_quality: {figures['data_quality']}")
    for problem, found in sorted(problems.items(), key=lambda item: -len(item[1])):
        say(f"  {len(found)} × {problem}")
        for where in found[:SHOWN]:
            say(f"      {where}")
    say(f"\nThe first {SHOWN} records as they will be stored:")
    for (person,) in conn.execute("SELECT DISTINCT person_id FROM records WHERE source_id = ? ORDER BY rowid LIMIT ?",
                                  (source, SHOWN)).fetchall():
        say(f"  persons: {rows(conn, 'SELECT * FROM persons WHERE id = ?', person)[0]}")
        for table, where in (("detentions", "person_id = ?"), ("events", "person_id = ?"),
                             ("detention_charges", "detention_id IN (SELECT id FROM detentions WHERE person_id = ?)")):
            for row in rows(conn, f"SELECT * FROM [{table}] WHERE {where} AND source_id = ?", person, source):
                say(f"    {table}: {row}")
    linked = conn.execute("""SELECT r.id, r.link_method, group_concat(o.id, ', ') FROM records AS r
        JOIN records AS o ON o.person_id = r.person_id AND o.id != r.id WHERE r.source_id = ? GROUP BY r.id
        ORDER BY r.rowid""", (source,)).fetchall()
    figures["linked"] = Counter(method for _, method, _ in linked)
    say(f"\nLinks it makes with the other lists: {len(linked)} records linked")
    for method, count in figures["linked"].most_common():
        say(f"  {count} × {'(the other record joins this one)' if method == 'defines the person' else method}")
    for record, _, others in linked[:SHOWN * 2]:
        say(f"      {record} = {others}")
    candidates = conn.execute("SELECT record_id, candidate_record_id, score, evidence FROM link_candidates WHERE ? IN "
                              "(substr(record_id, 1, instr(record_id, '/') - 1), substr(candidate_record_id, 1, "
                              "instr(candidate_record_id, '/') - 1)) ORDER BY rowid", (source,)).fetchall()
    figures["candidates"] = len(candidates)
    say(f"Candidates for review (a score of {link.CANDIDATE_AT} to {link.LINK_AT - 1}, or more where both persons already "
        f"hold a record of one same list): {len(candidates)}")
    for record, other, score, evidence in candidates[:SHOWN * 2]:
        say(f"      {record} ? {other} (score {score}: {evidence})")
    contradictions = conn.execute("SELECT upstream_ref, field, raw_value, problem FROM data_quality WHERE source_id = ? "
                                  "AND problem LIKE ?", (source, f"linked to %{link.DIFFER}")).fetchall()
    figures["contradictions"] = len(contradictions)
    for ref, field, value, problem in contradictions:
        say(f"warning: {ref}, field '{field}': {value} — {problem}")
    return figures


def rows(conn, sql, *params):
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [json.dumps({n: v for n, v in zip(names, values) if v is not None and not n.startswith("_")
                        and n not in ("source_id", "raw")}, ensure_ascii=False) for values in cursor]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the source's folder, e.g. raw/cppc-china")
    parser.add_argument("--raw", type=Path, default=RAW, help="the folder of sources the build reads (default: raw/)")
    args = parser.parse_args(argv)
    try:
        check(args.source, args.raw)
    except BuildError as exc:
        sys.exit(f"check failed: {exc}")


if __name__ == "__main__":
    main()
