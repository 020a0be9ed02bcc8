"""Build conscience.db from raw/ and the fetched upstream files: `python -m scripts.build [--strict] [--out FILE]`.
Written to a temporary file renamed into place only when everything succeeded (a failed build leaves the previous
database untouched); the same inputs give the same bytes. The stages: ARCHITECTURE.md."""

import argparse
import fcntl
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
from contextlib import closing, contextmanager
from pathlib import Path

from pooch import file_hash

from scripts import link
from scripts.adapters import mapped
from scripts.common import BuildError
from scripts.derive import derive
from scripts.derive.changes import history, release_date, release_id
from scripts.link import cases, withhold
from scripts.link.withhold import traces_left
from scripts.places import CENTROIDS_SOURCE, Gazetteer, country_rows, province_point
from scripts.read import RAW, ROOT, Origin, curated, display_path, fetch, read_csv, read_source_yml, source_folders
from scripts.schema import CURATED_TABLES, REFERENCE_TABLES, TABLES, stored_columns
from scripts.stage import Stage
from scripts.stage.parallel import in_background, stage_in_parallel
from scripts.stage.validate import check_assertions, check_keys, validate_staged
from scripts.write import release, write

# What a build writes beside its database and removes when it ends: a killed build leaves them, the next removes them.
LEFTOVERS = (".tmp", ".stage", ".stage-journal", ".fts", ".fts-journal", ".release")
MAX_SHRINK = 0.1  # a new database with a tenth fewer persons than the one it replaces needs --allow-shrink


def build(out, strict=False, raw=RAW, previous=None, released_on=None, allow_shrink=False):
    """Build `out`, recording what changed since `previous`; return its row count per table."""
    out, raw = Path(out), Path(raw)
    with building(out), closing(Stage(out.with_name(out.name + ".stage"))) as stage:
        released_on = release_date(released_on)
        withheld, _, fetched = read_link_derive(stage, strict, raw, out, released_on)
        changes, releases = history(stage, previous, released_on, withheld, release_id(released_on, raw, fetched))
        for name, rows in (("changes", changes), ("releases", releases)):
            stage.add(name, ((Origin(name), row) for row in rows))
        stage.conn.commit()
        # The checks and the release's files read the stage in other processes while this one writes; nothing is
        # renamed or put in place before the checks pass and the written file holds no trace of a withheld person.
        with in_background(validate_staged, stage.path) as validated, release.written(stage.path, out) as files:
            def checked(tmp):
                validated()
                check_withheld(tmp, withheld)
                if not allow_shrink:
                    check_shrink(out, stage)
                files()
            try:
                write(stage, out, before_rename=checked)
            except Exception:
                validated()  # a write that failed on a maintainer's mistake: say it as the checks do
                raise
        return {name: stage.count(name) for name in TABLES}


@contextmanager
def building(out):
    """One build at a time writes `out` (a second stops at once); files a killed build left beside it are removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(out.name + ".lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise BuildError(display_path(out), None, None, None,
                             f"another build is writing this database (process {lock.read().strip() or 'unknown'})",
                             "Wait for it to finish, or stop it, then build again.") from None
        lock.truncate(0)  # written at the end, as the file is open to append
        lock.write(str(os.getpid()))
        lock.flush()
        remove_leftovers(out)
        try:
            yield
        finally:
            remove_leftovers(out)


def remove_leftovers(out):
    for leftover in LEFTOVERS:
        path = out.with_name(out.name + leftover)
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def read_link_derive(stage, strict, raw, out, released_on):
    """The build but for its history and writing; (withheld, the mapped lists' plans, the upstream lists fetched)."""
    priorities, plans, fetched = collect(stage, strict, raw)
    stage.index()
    check_keys(stage, ("sources", *REFERENCE_TABLES, *CURATED_TABLES, "records"))
    stage.add("data_quality", link.missing_references(stage.conn))
    withheld, candidates = link_and_withhold(stage, priorities, raw, out)
    stage.add("link_candidates", ((Origin("link"), row) for row in candidates))
    derive(stage, released_on, raw)
    return withheld, plans, fetched


@contextmanager
def previewed(raw=RAW, strict=False):
    """(stage, withheld, the mapped lists' plans) of the build but for its writing, in a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch, closing(Stage(Path(scratch) / "preview.stage")) as stage:
        withheld, plans, _ = read_link_derive(stage, strict, raw, Path(scratch) / "preview.db", release_date(None))
        yield stage, withheld, plans


def link_and_withhold(stage, priorities, raw, out):
    """(withheld, link_candidates rows). Requests are matched to persons as linking groups their records, so a record
    of a linked person withholds the person (or stops the build); one withheld alone is gone before linking for good."""
    requests = withhold.read_all(raw)
    staged_cases = {case for (case,) in stage.conn.execute("SELECT id FROM cases")}
    overrides = link.read_overrides(raw / "links.csv", stage.conn)
    linked = link.plan(stage, priorities, overrides)
    withheld = withhold.resolve(stage, requests, linked, {folder.name for folder in source_folders(raw)})
    if withheld.records:
        withhold.remove_records(stage, withheld.records)
        linked = link.plan(stage, priorities, overrides)
    candidates = link.apply(stage, linked)
    redactions = withhold.apply(stage, withheld, province_point)
    cases.merge(stage.conn, raw / "case_links.csv", staged_cases)
    # The maintainer's list of redactions, beside the database and never published.
    withhold.write_report(out.with_name(out.stem + ".withholding-report.csv"), redactions, requests)
    for origin, row in (contradictions := link.contradiction_rows(stage.conn, linked.contradictions)):
        print(f"warning: {origin.where()}, field '{row['field']}': {row['raw_value']} — {row['problem']}", flush=True)
    stage.add("data_quality", contradictions)
    records = {r for (r,) in stage.conn.execute("SELECT id FROM records")}
    return withheld, [c for c in candidates if c["record_id"] in records and c["candidate_record_id"] in records]


def check_shrink(out, stage):
    try:
        with closing(sqlite3.connect(f"file:{out}?mode=ro", uri=True)) as conn:
            before = conn.execute("SELECT count(*) FROM persons").fetchone()[0]
            had = {source for (source,) in conn.execute("SELECT DISTINCT source_id FROM records")}
    except sqlite3.Error:  # no database there, or not one of ours
        return
    if before and (persons := stage.count("persons")) < before * (1 - MAX_SHRINK):
        has = {source for (source,) in stage.conn.execute("SELECT DISTINCT source_id FROM records")}
        raise BuildError(display_path(out), None, None, None,
                         f"the new database would hold {persons:,} persons where the one it replaces holds "
                         f"{before:,}; sources with records there and none here: {', '.join(sorted(had - has)) or 'none'}",
                         "Nothing was replaced. Fetch the missing sources (make fetch), or, if the shrink is meant, "
                         "build again with --allow-shrink.")


def check_withheld(path, withheld):
    if left := traces_left(path, withheld.persons):
        request, where = left[0]
        origin = request.origin if request else Origin(display_path(path))
        raise origin.error("record", None, f"a trace of a withheld person is still in the database ({where}; "
                           f"{len(left)} in all)", "Nothing was published. Report this as a bug in scripts/link/withhold.py, "
                           "with the line number.")


def collect(stage, strict, raw):
    """Stage every source; ({source: linking priority}, {source: Plan} of the lists, upstream ids fetched)."""
    paths = fetch.fetch_all(strict, raw)
    for name in REFERENCE_TABLES:
        stage.add(name, curated.read_table(raw / "reference" / f"{name}.csv", TABLES[name]))
    stage.add("countries", country_rows(paths.get(CENTROIDS_SOURCE)))
    sources = [(folder, *read_source_yml(folder)) for folder in source_folders(raw)]
    # Every mapping checked against its file before any list is read.
    vocabularies, issue_categories = mapped.vocabularies(raw)
    plans = {meta["id"]: mapped.prepare(meta, folder, path, vocabularies, issue_categories) for folder, origin, meta in
             sources if meta.get("mapping") and (path := list_path(folder, origin, meta, paths))}
    context = None  # what adapters look values up in, built on first use: loading the gazetteer takes seconds
    for folder, origin, meta in sources:
        is_list = meta.get("adapter") or meta.get("mapping")
        path = list_path(folder, origin, meta, paths) if is_list else None
        # A list kept beside its source.yml is named by its own checksum, as a fetched one is by the declared one.
        checksum = {"sha256": file_hash(path)} if path and not meta.get("sha256") else {}
        stage.add("sources", [(origin, {**source_row(meta), **checksum})])
        if not is_list and not meta.get("sha256"):
            for name, rows in curated.read_curated_source(folder, meta).items():
                stage.add(name, rows)
        elif path:
            if context is None:
                capitals = {row["province"]: row["capital"] for _, row in read_csv(
                    raw / "reference" / "cn_province_capitals.csv", required=("province", "capital"))}
                countries = set().union(*(mapped.countries_named(plan) for plan in plans.values()))
                context = {"plans": plans, "gazetteer": Gazetteer(countries), "province_capitals": capitals}
            adapted = mapped.read_upstream(meta, folder, context)
            stage_in_parallel(stage, staged(stage, adapted, display_path(path)))
    stage.add_person_issues(list(plans))
    for _, origin, meta in sources:
        check_assertions(stage, origin, meta)
    return {meta["id"]: meta.get("priority", 0) for _, _, meta in sources}, plans, sorted(paths)


def list_path(folder, origin, meta, paths):
    """An upstream list's file (None if it could not be fetched), or the one beside its source.yml."""
    if meta.get("sha256"):
        return paths.get(meta["id"])
    path = folder / (meta.get("file") or "")
    if not meta.get("file") or not path.is_file():
        raise origin.error("file", meta.get("file"), "the list file is missing from the source's folder",
                           f"Put the file in {display_path(folder)}/ and name it in source.yml's file:.")
    return path


def staged(stage, adapt, where):
    def produce(select):
        for name, row in adapt(select):
            yield name, stage.values(name, Origin(f"{where} ({row['upstream_ref']})"), row)
    return produce


def source_row(meta):
    """The sources row of a source.yml; an archived copy's file and checksum stand for a list's."""
    archived = meta.get("archived_copy") or {}
    row = {name: meta.get(name) for name, _ in stored_columns(TABLES["sources"])}
    return {**row, "file": row["file"] or archived.get("file"), "sha256": row["sha256"] or archived.get("sha256")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true",
                        help="fail if any declared upstream source is missing or its checksum differs")
    parser.add_argument("--out", default=ROOT / "conscience.db", type=Path,
                        help="database to write (default: conscience.db)")
    parser.add_argument("--raw", default=RAW, type=Path, help="folder of sources to build from (default: raw/)")
    parser.add_argument("--previous", type=Path, help="the previous release's database, to record what changed")
    parser.add_argument("--release-date", help="this release's date, YYYY-MM-DD (default: the last commit's date)")
    parser.add_argument("--allow-shrink", action="store_true",
                        help=f"replace the database even if the new one has over {MAX_SHRINK:.0%}% fewer persons")
    parser.add_argument("--check-withheld", type=Path, metavar="DB",
                        help="build nothing: search DB for any trace of the persons raw/withheld.csv withholds")
    args = parser.parse_args(argv)
    if args.check_withheld:
        return check_withheld_command(args)
    # Stopped (kill, a CI timeout): its workers stopped and its files removed on the way out, as on a failure.
    stopped = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(
        f"build stopped (signal {number}); the previous {args.out.name}, if any, is unchanged."))
    try:
        counts = build(args.out, strict=args.strict, raw=args.raw, previous=args.previous,
                       released_on=args.release_date, allow_shrink=args.allow_shrink)
    except BuildError as exc:
        sys.exit(f"build failed: {exc}\nThe previous {args.out.name}, if any, is unchanged.")
    finally:
        signal.signal(signal.SIGTERM, stopped)
    print(f"built {args.out.name}: {', '.join(f'{name} {count}' for name, count in counts.items())}")


def check_withheld_command(args):
    """A release about to be published, or the live site's file, searched for traces of withheld persons."""
    try:
        with previewed(args.raw, args.strict) as (_, withheld, _):
            left = traces_left(args.check_withheld, withheld.persons)
    except BuildError as exc:
        sys.exit(f"check failed: {exc}")
    for request, where in left:
        print(f"{request.origin.where() if request else args.check_withheld}: trace left in {where}")
    if left:
        sys.exit(f"{args.check_withheld}: {len(left)} trace(s) of withheld persons. Do not publish it.")
    print(f"{args.check_withheld}: no trace of any withheld person")


if __name__ == "__main__":
    main()
