"""Scale, speed and load at 10k / 100k / 1M synthetic persons (run on demand, not by the tests).

    python benchmarks/scale.py [--scales 10k,100k,1M] [--requests 50] [--load-seconds 30] [--clients 50]

For each scale: build our pipeline and a naive csvs-to-sqlite load of the same people (time, rows/s,
peak memory, size); serve the database with our configuration and with Datasette's defaults through a
real `datasette serve` on loopback and time each endpoint (p50/p95 over --requests requests), beside the
same SQL run directly in sqlite3 (the floor); 50 concurrent clients for 30 s (bounded, loopback only);
the server's peak memory; and table pages while hostile ?sql= queries run. Our server sends a page asked
for again as it made it the first time (plugins/responses.py), so each of its figures is measured
twice: as sent, and made anew for every request (a request with a cookie is never answered from memory). Writes docs/benchmarks.json
(raw numbers) and docs/benchmarks.md (a table with machine, versions and date).
"""

import argparse
import asyncio
import csv
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402
from memory import run_measured  # noqa: E402

from scripts.settings import as_flags

SCALES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
BIN = Path(sys.executable).parent
COLUMN_FACETS = ("status", "country", "sex")
ARRAY_FACETS = ("categories", "charges")
FIVE_FACETS = "&".join([f"_facet={c}" for c in COLUMN_FACETS] + [f"_facet_array={c}" for c in ARRAY_FACETS])
MADE_ANEW = {"cookie": "benchmark=made-anew"}  # plugins/responses.py answers requests with cookies anew
STATUSES = [row["id"] for row in csv.DictReader((ROOT / "raw" / "reference" / "statuses.csv").read_text("utf-8").splitlines())]
HOSTILE = [
    "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
    "select count(*) from persons a, persons b",
    "with recursive c(x) as (select 1 union all select x + 1 from c limit 100000000) "
    "select count(*) from c where printf('%d', x) like '%9%8%7%6%5%4%3%2%1%'",
]


def measured(command, env=None):
    """(seconds, peak MiB of all its processes) of a command run to completion."""
    seconds, peak, process = run_measured(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE)
    if process.returncode:
        raise RuntimeError(f"{command[:3]} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, peak


def build(work, persons):
    raw = synthetic.generate(work, persons)
    ours = work / "site" / "conscience.db"
    ours.parent.mkdir(exist_ok=True)
    seconds, peak = measured([sys.executable, "-m", "scripts.build", "--raw", str(raw), "--out", str(ours),
                              "--release-date", "2026-01-01"])
    naive = work / "naive.db"
    naive_seconds, naive_peak = measured([str(BIN / "csvs-to-sqlite"), str(work / "flat.csv"), str(naive)])
    subprocess.run([str(BIN / "datasette"), "inspect", str(ours), "--inspect-file", str(work / "site" / "inspect.json")],
                   check=True)
    return ours, {
        "ours": {"seconds": seconds, "rows_per_second": round(persons / seconds), "peak_mib": peak,
                 "database_mib": round(ours.stat().st_size / 2**20, 1),
                 "answers": "persons, records, detentions, charges, sources, search in any script, links, map"},
        "csvs_to_sqlite": {"seconds": naive_seconds, "rows_per_second": round(persons / naive_seconds),
                           "peak_mib": naive_peak, "database_mib": round(naive.stat().st_size / 2**20, 1),
                           "answers": "one flat table: no normalised charges, statuses, search or provenance"},
        "ratio_seconds": round(seconds / naive_seconds, 1),
    }


def serve(database, configured):
    """(the server process, its address, seconds until it answered) for `datasette serve` on the database."""
    port = free_port()
    command = [str(BIN / "datasette"), "serve", "-i", str(database), "--host", "127.0.0.1", "--port", str(port)]
    if configured:
        command += ["--metadata", str(ROOT / "metadata.yml"), "--plugins-dir", str(ROOT / "plugins"),
                    "--template-dir", str(ROOT / "templates"), "--inspect-file",
                    str(database.parent / "inspect.json"), *as_flags()]
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            return server, base, round(time.perf_counter() - started, 1)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("datasette did not start")


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentiles(samples):
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1)}


def latency(client, base, paths, requests, headers=None):
    """p50/p95 over `requests` requests cycling through `paths`, after one first (cold) request."""
    paths = [paths] if isinstance(paths, str) else paths
    started = time.perf_counter()
    client.get(base + paths[0], headers=headers)
    first_ms = round((time.perf_counter() - started) * 1000, 1)
    samples, errors = [], 0
    for number in range(requests):
        started = time.perf_counter()
        response = client.get(base + paths[number % len(paths)], headers=headers)
        samples.append(time.perf_counter() - started)
        errors += response.status_code >= 400
    return {**percentiles(samples), "first_ms": first_ms, "errors": errors, "path": paths[0]}


def as_sent_and_made_anew(client, base, paths, requests):
    """latency() as the server sends its pages, with the same made anew for every request beside it."""
    result = latency(client, base, paths, requests)
    anew = latency(client, base, paths, requests, headers=MADE_ANEW)
    result["made_anew"] = {key: anew[key] for key in ("p50_ms", "p95_ms", "errors")}
    return result


def with_site_functions(conn):
    """The SQL functions the site's queries use (plugins/pages_search.py's search_terms, name_key), as the server has them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("search_plugin", ROOT / "plugins" / "pages_search.py")
    search = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(search)
    search.prepare_connection(conn)
    return conn


def direct(database, sql, params, requests):
    conn = with_site_functions(sqlite3.connect(f"file:{database}?immutable=1", uri=True))
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        for statement in sql:
            conn.execute(statement, params).fetchall()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def group_bys(where=""):
    """The five facets' GROUP BYs, as Datasette's column and array facets count them."""
    return [f"select {c}, count(*) from persons {where} group by {c} order by 2 desc limit 31" for c in COLUMN_FACETS] + [
        f"select j.value, count(*) from persons, json_each(persons.{c}) j {where} group by 1 order by 2 desc limit 31"
        for c in ARRAY_FACETS]


# A value for each parameter the canned queries take (a search, an article, any country, release or event type).
QUERY_PARAMETERS = {"q": "Liu", "article": "105", "country": "", "release": "", "event": ""}


def endpoints(database, metadata, configured):
    """(name, paths, direct SQL statements, params) for every measured request.

    Our persons page already shows the five facets (metadata.yml's defaults); Datasette's defaults are asked
    for them in the URL. The last filtered page changes its filter on every request, so no count is remembered.
    """
    conn = sqlite3.connect(database)
    person = conn.execute("select id from persons order by rowid limit 1 offset 7").fetchone()[0]
    conn.close()
    five = "" if configured else FIVE_FACETS
    filters = [urllib.parse.urlencode({"status": status, "sex": sex, "status_confirmed": confirmed, **birth})
               for status in STATUSES for sex in ("male", "female") for confirmed in (0, 1)
               for birth in ({}, {"birth_year__isnull": 1})]
    rows = "select * from persons order by name limit 101"
    out = [
        ("table JSON", "/conscience/persons.json?_size=50", [rows.replace("101", "51"), "select count(*) from persons"], {}),
        ("table page", "/conscience/persons" + ("" if configured else "?_nofacet=1"), [rows], {}),
        ("five-facet page", f"/conscience/persons?{five}", [rows] + group_bys(), {}),
        ("filtered facet page", f"/conscience/persons?status=detained&{five}",
         [rows.replace("order", "where status = 'detained' order")] + group_bys("where status = 'detained'"), {}),
        ("filtered facet page, new filter each time", [f"/conscience/persons?{f}&{five}" for f in filters],
         [rows.replace("order", "where status = 'released' and sex = 'male' order")]
         + group_bys("where status = 'released' and sex = 'male'"), {}),
        ("full-text search", "/conscience/persons.json?_search=Nguyen+Lan",
         ["select * from persons where rowid in (select rowid from persons_fts where persons_fts match "
          "'\"Nguyen\" \"Lan\"') order by name limit 51"], {}),
        ("person page", f"/person/{person}" if configured else f"/conscience/persons/{person}",
         ["select * from persons where id = :id", "select * from detentions where person_id = :id",
          "select * from records where person_id = :id"], {"id": person}),
    ]
    for name, query in metadata["databases"]["conscience"]["queries"].items():
        asked = {k: v for k, v in QUERY_PARAMETERS.items() if re.search(rf"(?<![\w:]):{k}\b", query["sql"])}
        path = f"/conscience/{name}.json?{urllib.parse.urlencode(asked)}" if configured else \
            "/conscience.json?" + urllib.parse.urlencode({"sql": query["sql"], **asked})
        # Datasette fills _site_url itself (plugins/feeds.py's magic parameter); SQLite is given every parameter.
        out.append((f"query {name}", path, [query["sql"]], {**asked, "_site_url": "http://localhost:8001"}))
    return out


async def load(base, paths, clients, seconds, headers=None):
    """`clients` concurrent clients requesting `paths` in turn for `seconds` seconds (loopback only); each error
    counted by what it was and where: "503 /conscience/persons?..." or "ReadTimeout /person/..."."""
    done, failed, deadline = 0, Counter(), time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        async def worker(offset):
            nonlocal done
            index = offset
            while time.perf_counter() < deadline:
                path = paths[index % len(paths)]
                try:
                    response = await client.get(base + path, headers=headers)
                    if response.status_code >= 500:
                        failed[f"{response.status_code} {path}"] += 1
                except httpx.HTTPError as error:
                    failed[f"{type(error).__name__} {path}"] += 1
                done += 1
                index += 1
        await asyncio.gather(*(worker(i) for i in range(clients)))
    return {"clients": clients, "seconds": seconds, "requests": done, "errors": sum(failed.values()),
            "errors_by_kind": dict(failed.most_common()), "requests_per_second": round(done / seconds, 1)}


def peak_memory_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return None


def under_hostile_load(base, requests):
    """Table JSON and table page latency (as sent and made anew) while hostile ?sql= queries run in background
    threads."""
    stop = threading.Event()

    def attack(sql):
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                client.get(base + "/conscience.json", params={"sql": sql})

    threads = [threading.Thread(target=attack, args=(sql,), daemon=True) for sql in HOSTILE]
    for thread in threads:
        thread.start()
    with httpx.Client(timeout=30) as client:
        hostile = client.get(base + "/conscience.json", params={"sql": HOSTILE[0]})
        result = {name: as_sent_and_made_anew(client, base, path, requests)
                  for name, path in (("table JSON", "/conscience/persons.json?_size=50"),
                                     ("table page", "/conscience/persons"))}
    stop.set()
    result["hostile_status"] = hostile.status_code
    result["hostile_message"] = " ".join(re.sub(r"<[^>]+>", "", hostile.json().get("error", "")).split())[:100]
    return result


def measure_site(database, configured, args):
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text())
    server, base, start_seconds = serve(database, configured)
    try:
        with httpx.Client(timeout=60) as client:
            timings = {}
            for name, path, sql, params in endpoints(database, metadata, configured):
                timings[name] = (as_sent_and_made_anew if configured else latency)(client, base, path, args.requests)
                timings[name]["direct_sqlite"] = direct(database, sql, params, args.requests)
        paths = [timings[name]["path"] for name in ("table page", "table JSON", "filtered facet page", "full-text search",
                                                     "person page")]
        result = {"start_seconds": start_seconds, "latency": timings,
                  "load": asyncio.run(load(base, paths, args.clients, args.load_seconds)),
                  "server_peak_mib": peak_memory_mib(server.pid)}
        if configured:
            result["load_made_anew"] = asyncio.run(load(base, paths, args.clients, args.load_seconds, MADE_ANEW))
            result["server_peak_mib"] = peak_memory_mib(server.pid)
            result["under_hostile_queries"] = under_hostile_load(base, args.requests)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def versions():
    from importlib.metadata import version

    return {"python": platform.python_version(), "datasette": version("datasette"),
            "sqlite-utils": version("sqlite-utils"), "csvs-to-sqlite": version("csvs-to-sqlite"),
            "sqlite": sqlite3.sqlite_version}


def targets(result):
    """The issue's targets at 1M persons, checked against one scale's results: (target, measured, met), and for
    requests the same made anew for each request (None where that does not apply)."""
    build, ours = result["build"]["ours"], result["ours"]
    latency = ours["latency"]

    def within(name, limit_ms):
        return [(f"{measured['p95_ms']} ms", measured["p95_ms"] <= limit_ms)
                for measured in (latency[name], latency[name]["made_anew"])]

    facets = latency["five-facet page"]
    floor = facets["direct_sqlite"]["p95_ms"]
    checks = [
        ("build ≤ 120 s", (f"{build['seconds']} s", build["seconds"] <= 120), None),
        ("build peak memory ≤ 2 GiB", (f"{build['peak_mib']} MiB", build["peak_mib"] <= 2048), None),
        ("table page p95 ≤ 20 ms", *within("table page", 20)),
        (f"five-facet page p95 ≤ 1.5 × direct SQLite ({floor} ms)", *within("five-facet page", 1.5 * floor)),
        ("search p95 ≤ 50 ms", *within("full-text search", 50)),
        ("person page p95 ≤ 30 ms", *within("person page", 30)),
        ("50 clients for 30 s, zero errors", (f"{ours['load']['errors']} errors", ours["load"]["errors"] == 0),
         (f"{ours['load_made_anew']['errors']} errors", ours["load_made_anew"]["errors"] == 0)),
        ("server memory ≤ 500 MiB", (f"{ours['server_peak_mib']} MiB", ours["server_peak_mib"] <= 500), None),
    ]
    return [{"target": target, "measured": sent[0], "met": bool(sent[1]),
             "made_anew": anew and {"measured": anew[0], "met": bool(anew[1])}} for target, sent, anew in checks]


def git(repository, *command):
    return subprocess.run(["git", *command], cwd=repository, capture_output=True, text=True).stdout.strip()


def load_average():
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def measured_commit(repository):
    """The commit a benchmark measured, saying so when the working tree differed from it (the benchmarks' own reports
    aside: make bench writes docs/benchmarks.* before it runs benchmarks/hostile.py)."""
    changed = git(repository, "status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":(exclude,glob)docs/benchmarks.*", ":(exclude,glob)docs/hostile*")
    return git(repository, "rev-parse", "--short", "HEAD") + (" with uncommitted changes" if changed else "")


def yes_no(met):
    return "yes" if met else "no"


def markdown(report):
    lines = [f"# Benchmarks ({report['date']}, commit {report['commit']})", "",
             f"Machine: {report['machine']}; load average before {report['load_before']}. Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
             "", "Synthetic persons (benchmarks/synthetic.py), never published. Latency p50 / p95 in ms over "
             f"{report['requests']} requests through `datasette serve` on loopback, after a first request (its time in "
             "brackets: ours remembers facet counts after it, and counts the default ones at startup); direct SQLite "
             "is the floor. Our server sends a page asked for again as it made it the first time "
             "(plugins/responses.py); \"made anew\" is the same requests with a cookie, which it always answers anew, "
             "measured just after (so facet counts are already remembered).",
             ""]
    for scale, result in report["scales"].items():
        b = result["build"]
        lines += [f"## {scale} persons", "",
                  f"Build: ours {b['ours']['seconds']} s ({b['ours']['rows_per_second']:,} rows/s, "
                  f"{b['ours']['peak_mib']} MiB peak, {b['ours']['database_mib']} MiB); csvs-to-sqlite "
                  f"{b['csvs_to_sqlite']['seconds']} s ({b['csvs_to_sqlite']['peak_mib']} MiB peak, "
                  f"{b['csvs_to_sqlite']['database_mib']} MiB) — ratio {b['ratio_seconds']}×. "
                  f"csvs-to-sqlite answers: {b['csvs_to_sqlite']['answers']}.", "",
                  "| endpoint | ours p50 / p95 (first) | ours made anew p50 / p95 | defaults p50 / p95 (first) "
                  "| direct SQLite p50 / p95 |",
                  "| --- | --- | --- | --- | --- |"]
        ours, defaults = result["ours"]["latency"], result["defaults"]["latency"]
        for name in ours:
            o, a, d = ours[name], ours[name]["made_anew"], defaults.get(name, {})
            lines.append(f"| {name} | {o['p50_ms']} / {o['p95_ms']} ({o['first_ms']}) | {a['p50_ms']} / {a['p95_ms']} | "
                         f"{d.get('p50_ms', '')} / {d.get('p95_ms', '')} ({d.get('first_ms', '')}) | "
                         f"{o['direct_sqlite']['p50_ms']} / {o['direct_sqlite']['p95_ms']} |")
        for label, site, key in (("ours", "ours", "load"), ("ours, made anew", "ours", "load_made_anew"),
                                 ("defaults", "defaults", "load")):
            site = result[site]
            l = site[key]
            lines.append(f"\n{label}: {l['clients']} clients for {l['seconds']} s: {l['requests']} requests "
                         f"({l['requests_per_second']}/s), {l['errors']} errors"
                         + "".join(f" ({count} × {kind})" for kind, count in l.get("errors_by_kind", {}).items())
                         + f"; server peak {site['server_peak_mib']} MiB, "
                         f"ready {site.get('start_seconds', '?')} s after it was started.")
        lines += ["", "| target (for 1M persons) | measured | met | made anew | met |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {t['target']} | {t['measured']} | {yes_no(t['met'])} | "
                  + (f"{t['made_anew']['measured']} | {yes_no(t['made_anew']['met'])} |" if t["made_anew"] else " | |")
                  for t in result["targets"]]
        h = result["ours"]["under_hostile_queries"]
        lines.append("\nWhile three hostile ?sql= queries run: " + "; ".join(
            f"{name} p50 / p95 {h[name]['p50_ms']} / {h[name]['p95_ms']} ms "
            f"(made anew {h[name]['made_anew']['p50_ms']} / {h[name]['made_anew']['p95_ms']})"
            for name in ("table JSON", "table page"))
            + f"; a hostile query answers {h['hostile_status']}: \"{h['hostile_message']}\".\n")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10k,100k,1M", help="10k, 100k, 1M, or a number of persons")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    report = {"date": datetime.now(timezone.utc).date().isoformat(), "commit": measured_commit(ROOT),
              "load_before": load_average(), "requests": args.requests,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB",
              "versions": versions(), "scales": {}}
    for scale in args.scales.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            database, build_result = build(Path(tmp), SCALES.get(scale) or int(scale))
            report["scales"][scale] = {"build": build_result,
                                       "ours": measure_site(database, True, args),
                                       "defaults": measure_site(database, False, args)}
            report["scales"][scale]["targets"] = targets(report["scales"][scale])
        print(json.dumps({scale: report["scales"][scale]["build"]}, indent=1), flush=True)
    args.out.mkdir(exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (args.out / "benchmarks.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
