"""Hostile load: each attack of issues 20 and 27 for 60 s against a real server, readers measured meanwhile.

    python benchmarks/hostile.py [--scales real,1M] [--seconds 60] [--attackers 20] [--readers 20] [--reader-pause 1]
                                 [--site ROOT]

For each scale (`real`: the database built from raw/; `1M`: benchmarks/synthetic.py's million persons; a number:
that many synthetic persons) the database is served as `make serve` serves it (the configuration of the repository
at --site, the current one by default, so an older checkout can be measured the same way). Each attack runs
--attackers clients, each with an address of its own (the Fly-Client-IP header the site trusts) and asking for
every answer made anew, for --seconds seconds, while --readers clients ask for pages made anew, each spending
--reader-pause seconds on a page (the home page, table page, table JSON, person page, search, a canned query) and
a visitor sends a trivial ?sql= query every two seconds.
Measured: the readers' latency and errors, the visitor's answers, the attackers' answers (status and time, for each
request), the server's memory (peak during, and a few seconds after), the machine's load, how long after the attack
a new visitor's query is answered, and at the end how long the server takes to stop on SIGTERM during an attack.
Each attack is held to issue 27's targets (TARGETS). Writes docs/hostile.json and docs/hostile.md.
"""

import argparse
import collections
import json
import math
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.append(str(ROOT / "plugins"))  # last: the limits hostile answers are held to
import sql_gate  # noqa: E402
import sql_limits  # noqa: E402
from scale import (BIN, HOSTILE as RUNAWAY, MADE_ANEW, SCALES, free_port, git, load_average,  # noqa: E402
                   measured_commit, percentiles, synthetic)

from scripts.settings import SETTINGS  # noqa: E402

TIMEOUT = 120  # seconds a client waits for any answer: longer is counted as no answer
AFTER_SECONDS = 5  # the server's memory is read again this long after an attack (at most the attack's length)

# How long a hostile request may take to be answered, by the site's own bounds:
AT_ONCE_S = 1.0  # refused before any work (plugins/sql_gate.py's bounds on parameters): "a 4xx in under a second"
# Through plugins/sql_gate.py: in line, then run to the time limit (and the watchdog's grace) or refused after a pause.
GATED_S = (sql_gate.WAIT_SECONDS + sql_gate.SLOWED_SECONDS + SETTINGS["sql_time_limit_ms"] / 1000
           + sql_limits.GRACE_SECONDS)
# What answers a request may get. SQL a visitor writes takes turns (plugins/sql_gate.py): a 429 or 503 says it was
# not run yet, with Retry-After; a 400 or 500 for a query that should have answered is the failure issue 27 §0 and §6
# found (an innocent query refused as "took too long").
REFUSED = frozenset(range(400, 500)) | {503}
ANSWERED = frozenset({200})
ANSWERED_IN_TURN = ANSWERED | {429, 503}
EXPECTED = {REFUSED: "refused (4xx, 503)", ANSWERED: "answered (200)",
            ANSWERED_IN_TURN: "answered (200) or not yet run (429, 503)"}
Ask = collections.namedtuple("Ask", "label path params expected limit_s")


def sql(query, expected=REFUSED):
    return Ask(f"?sql={query}", "/conscience.json", {"sql": query}, expected, GATED_S)


def persons_json(label, query_string, limit_s):
    return Ask(label, "/conscience/persons.json?" + query_string, {}, REFUSED, limit_s)


ATTACKS = {
    # issue 20
    "slow function per row (?sql=)": [sql("select count(*) from persons where length(randomblob(1000000)) > 0")],
    "slow function per row (_where=)": [Ask("_where=length(randomblob(1000000)) > 0", "/conscience/persons.json", {
        "_size": "1", "_where": "length(randomblob(1000000)) > 0"}, REFUSED, GATED_S)],
    "gigabytes asked for": [
        sql("select zeroblob(200000000)"), sql("select randomblob(1000000000)"),
        # answered by design: plugins/sql_limits.py makes a printf longer than a value may be NULL at once, without
        # SQLite's loop (a count of them is 0)
        sql("select printf('%.*c', 1000000000, 'x')", ANSWERED_IN_TURN),
        sql("select count(printf('%.*c', 100000000 + length(name), 'x')) from persons", ANSWERED_IN_TURN)],
    "1,000 facets": [persons_json("1,000 × _facet=country", "&".join(["_facet=country"] * 1000), AT_ONCE_S)],
    "runaway ?sql= queries": [sql(query) for query in RUNAWAY],
    # issue 27
    "§0 a reader's search and query cut at the row limit": [
        Ask("/search?q=Tibetan", "/search", {"q": "Tibetan"}, ANSWERED_IN_TURN, None),  # searches take turns
        sql("select * from person_issues", ANSWERED_IN_TURN)],
    "§1 6,000-6,500 parameters (51 KB GET)": [
        persons_json(f"{count:,} × p<n>=1", "&".join(f"p{n}=1" for n in range(count)), AT_ONCE_S)
        for count in (6000, 6500)],
    "§4 percent-encoded facets": [
        persons_json("1,000 × %5Ffacet=country", "&".join(["%5Ffacet=country"] * 1000), AT_ONCE_S),
        persons_json("250 × %5Ffacet=country", "&".join(["%5Ffacet=country"] * 250), GATED_S)],
    "§5 zeroblob rows (25 MB of blobs)": [sql("select zeroblob(250000) from records limit 100")],
    "§6 stopped queries between innocent ones": [
        sql("select randomblob(200000) from persons"), sql("select count(*) from sources", ANSWERED_IN_TURN),
        sql("select count(*) from persons a, persons b"), sql("select count(*) from sources", ANSWERED_IN_TURN)],
}
# Issue 27's targets, for each attack.
TARGETS = {
    "server RSS ≤ 500 MiB": lambda r: r["server_peak_mib"] <= 500,
    "readers' p95 ≤ 1 s": lambda r: r["readers"].get("p95_ms", math.inf) <= 1000,
    "0 reader errors": lambda r: r["reader_errors"] == 0,
    "every hostile answer as expected, within its limit": lambda r: all(
        a["unexpected"] == 0 and a["over_limit"] == 0 for a in r["asks"].values()),
}


def serve(database, site):
    port = free_port()
    settings = subprocess.run([sys.executable, "-m", "scripts.settings"], cwd=site, capture_output=True, text=True,
                              check=True).stdout.split()
    command = [str(BIN / "datasette"), "serve", "-i", str(database), "--metadata", str(site / "metadata.yml"),
               "--plugins-dir", str(site / "plugins"), "--template-dir", str(site / "templates"), *settings,
               "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/-/versions.json", timeout=1)
            return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def rss_mib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except FileNotFoundError:
        return None


class Clients:
    """Threads each sending requests in a loop until stopped; what they got back: (request's index, status or None,
    seconds)."""

    def __init__(self, count, base, asks, headers, pause=0.0):
        self.stopped, self.answers, self.pause = threading.Event(), [], pause
        self.threads = [threading.Thread(target=self.run, args=(n, base, asks, headers(n)), daemon=True)
                        for n in range(count)]

    def run(self, n, base, asks, headers):
        with httpx.Client(timeout=TIMEOUT, headers=headers) as client:
            index = n
            while not self.stopped.is_set():
                ask = asks[index % len(asks)]
                started = time.perf_counter()
                try:  # {} would drop the query string
                    status = client.get(base + ask.path, params=ask.params or None).status_code
                except httpx.HTTPError:
                    status = None
                self.answers.append((index % len(asks), status, time.perf_counter() - started))
                index += 1
                self.stopped.wait(self.pause)

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self, wait=True):
        self.stopped.set()
        for thread in self.threads if wait else ():
            thread.join(timeout=TIMEOUT + 5)


def reader_asks(database):
    person = sqlite3.connect(database).execute("select id from persons order by rowid limit 1 offset 7").fetchone()[0]
    return [Ask(path, path, {}, ANSWERED, None) for path in (
        "/", "/conscience/persons", "/conscience/persons.json?_size=50", f"/person/{person}",
        "/conscience/persons.json?_search=Nguyen+Lan", "/conscience/detained_under_article.json?article=105&country=")]


def summary(answers):
    statuses = collections.Counter("no answer" if status is None else status for _, status, _ in answers)
    times = [seconds for _, _, seconds in answers]
    return {"requests": len(answers), "statuses": dict(sorted(statuses.items(), key=str)),
            **(percentiles(times) if times else {}), "max_s": round(max(times), 2) if times else None}


def held_to(asks, answers):
    """Each request's answers against what it may get and how long it may take."""
    held = {}
    for index, ask in enumerate(asks):
        mine = [answer for answer in answers if answer[0] == index]
        held[ask.label] = {**summary(mine), "expected": EXPECTED[ask.expected], "limit_s": ask.limit_s,
                           "unexpected": sum(1 for _, status, _ in mine if status not in ask.expected),
                           "over_limit": sum(1 for _, _, s in mine if ask.limit_s is not None and s > ask.limit_s)}
    return held


def attack(base, server, database, name, args):
    pages = reader_asks(database)
    readers = Clients(args.readers, base, pages, lambda n: {**MADE_ANEW, "fly-client-ip": f"reader-{n}"},
                      pause=args.reader_pause)
    visitor = Clients(1, base, [sql("select count(*) from sources", ANSWERED_IN_TURN)],
                      lambda n: {**MADE_ANEW, "fly-client-ip": "visitor"}, pause=2)
    attackers = Clients(args.attackers, base, ATTACKS[name], lambda n: {**MADE_ANEW, "fly-client-ip": f"attacker-{n}"})
    peak, stop_sampling = [rss_mib(server.pid) or 0], threading.Event()

    def sample():
        while not stop_sampling.wait(0.2):
            peak[0] = max(peak[0], rss_mib(server.pid) or 0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    readers.start(), visitor.start(), attackers.start()
    time.sleep(args.seconds)
    attackers.stop(wait=False)
    stopped = time.perf_counter()
    recovered = first_answer(base, stopped)
    readers.stop(), visitor.stop(), attackers.stop()
    time.sleep(min(AFTER_SECONDS, args.seconds))
    stop_sampling.set()
    result = {"readers": summary(readers.answers),
              "reader_errors": sum(1 for _, status, _ in readers.answers if status != 200),
              "readers_over_1s": sum(1 for _, _, s in readers.answers if s > 1),
              "reader_pages": held_to(pages, readers.answers), "visitor": summary(visitor.answers),
              "attackers": summary(attackers.answers), "asks": held_to(ATTACKS[name], attackers.answers),
              "server_peak_mib": peak[0], "server_mib_after": rss_mib(server.pid),
              "new_visitor_answered_after_s": recovered, "load_1min_after": os.getloadavg()[0]}
    return {**result, "targets": {target: "PASS" if met(result) else "FAIL" for target, met in TARGETS.items()}}


def first_answer(base, since):
    """Seconds from `since` until a new visitor's trivial query is answered 200 (None: not within TIMEOUT)."""
    with httpx.Client(timeout=TIMEOUT, headers={"fly-client-ip": "after-the-attack"}) as client:
        while time.perf_counter() - since < TIMEOUT:
            try:
                if client.get(base + "/conscience.json", params={"sql": "select 1"}).status_code == 200:
                    return round(time.perf_counter() - since, 2)
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    return None


def stop_during_attack(base, server, args):
    attackers = Clients(args.attackers, base, ATTACKS["runaway ?sql= queries"],
                        lambda n: {"fly-client-ip": f"attacker-{n}"}).start()
    time.sleep(min(AFTER_SECONDS, args.seconds))
    server.send_signal(signal.SIGTERM)
    started = time.perf_counter()
    try:
        server.wait(timeout=TIMEOUT)
        took = round(time.perf_counter() - started, 2)
    except subprocess.TimeoutExpired:
        server.kill()
        took = None
    attackers.stop(wait=False)
    return took


def database_for(scale, work):
    if scale == "real":
        out = work / "real" / "conscience.db"
        out.parent.mkdir()
        subprocess.run([sys.executable, "-m", "scripts.build", "--out", str(out)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        return out
    raw = synthetic.generate(work, SCALES.get(scale) or int(scale))
    out = work / "site" / "conscience.db"
    out.parent.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "scripts.build", "--raw", str(raw), "--out", str(out), "--release-date",
                    "2026-01-01"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def measure(database, site, args):
    results = {}
    for name in ATTACKS:
        server, base = serve(database, site)
        try:
            results[name] = attack(base, server, database, name, args)
            print(name, json.dumps(results[name]), flush=True)
        finally:
            server.kill()
            server.wait()
    server, base = serve(database, site)
    results["stops on SIGTERM during an attack, s"] = stop_during_attack(base, server, args)
    return results


def limit(seconds):
    return "—" if seconds is None else f"{seconds:g} s"


def markdown(report):
    lines = [f"# Hostile load ({report['date']}, commit {report['site']})", "",
             f"Machine: {report['machine']}, shared: load average (1, 5, 15 min) `{report['load']['before']}` before "
             f"the run, `{report['load']['after']}` after it. Each attack: {report['attackers']} clients with "
             f"addresses of their own, asking for every answer made anew, for {report['seconds']} s, while "
             f"{report['readers']} readers ask for pages made anew, each reading a page for "
             f"{report.get('reader_pause', 0):g} s before the next (the home page, the persons page and its JSON, a "
             "person page, a search, a canned query) and a visitor sends a trivial ?sql= every 2 s; the clients run "
             "on the same machine as the server. Latency p50 / p95 in ms, other times in seconds. A reader's error is "
             "any answer but a 200. A hostile request's limit is the longest the site's own bounds allow: "
             f"{AT_ONCE_S:g} s for one refused before any work (too many parameters), {GATED_S:g} s for one through "
             f"plugins/sql_gate.py ({sql_gate.WAIT_SECONDS} s in line, then the {SETTINGS['sql_time_limit_ms']} ms "
             f"time limit and the watchdog's {sql_limits.GRACE_SECONDS} s grace, or the "
             f"{sql_gate.SLOWED_SECONDS} s pause before a refusal to a client that keeps asking).", ""]
    for scale, results in report["scales"].items():
        attacks = {name: r for name, r in results.items() if isinstance(r, dict)}
        lines += [f"## {scale}", "", "| attack | readers p50 / p95 / max | reader errors | readers over 1 s | "
                  "visitor answers | attackers' answers (slowest) | server peak / after, MiB | new visitor answered "
                  "after | load (1 min) after |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, r in attacks.items():
            lines.append(f"| {name} | {r['readers'].get('p50_ms')} / {r['readers'].get('p95_ms')} / "
                         f"{r['readers']['max_s']} s | {r['reader_errors']} | {r['readers_over_1s']} | "
                         f"{r['visitor']['statuses']} | {r['attackers']['statuses']} ({r['attackers']['max_s']} s) | "
                         f"{r['server_peak_mib']} / {r['server_mib_after']} | {r['new_visitor_answered_after_s']} s | "
                         f"{r['load_1min_after']:.1f} |")
        lines += ["", "Targets (issue 27):", "", "| attack | " + " | ".join(TARGETS) + " |",
                  "| --- |" + " --- |" * len(TARGETS)]
        lines += [f"| {name} | " + " | ".join(r["targets"][t] for t in TARGETS) + " |" for name, r in attacks.items()]
        lines += ["", "Each hostile request:", "", "| attack | request | expected | limit | answers | slowest | "
                  "outside what was expected | over its limit |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, r in attacks.items():
            for label, a in r["asks"].items():
                lines.append(f"| {name} | `{label}` | {a['expected']} | {limit(a['limit_s'])} | {a['statuses']} | "
                             f"{a['max_s']} s | {a['unexpected']} | {a['over_limit']} |")
        lines += ["", f"Stopped by SIGTERM during an attack after {results['stops on SIGTERM during an attack, s']} s "
                      "(None: not within two minutes).", ""]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="real,1M", help="real, 1M, or a number of synthetic persons")
    parser.add_argument("--seconds", type=int, default=60, help="how long each attack lasts")
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--reader-pause", type=float, default=1.0,
                        help="seconds a reader spends on a page before asking for the next (0: back to back)")
    parser.add_argument("--site", type=Path, default=ROOT, help="the repository whose configuration is served")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    commit = git(args.site, "rev-parse", "--short", "HEAD")
    report = {"date": datetime.now(timezone.utc).date().isoformat(), "seconds": args.seconds,
              "attackers": args.attackers, "readers": args.readers, "reader_pause": args.reader_pause,
              "site": measured_commit(args.site) if commit else str(args.site),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "load": {"before": load_average()},
              "scales": {}}
    for scale in args.scales.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            report["scales"][scale] = measure(database_for(scale, Path(tmp)), args.site.resolve(), args)
    report["load"]["after"] = load_average()
    args.out.mkdir(exist_ok=True)
    suffix = "" if args.site.resolve() == ROOT else "-" + commit
    (args.out / f"hostile{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"hostile{suffix}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
