"""Hostile load: each attack of issue 20 for 30 s against a real server, readers measured meanwhile.

    python benchmarks/hostile.py [--scales real,1M] [--seconds 30] [--site ROOT]

For each scale (`real`: the database built from raw/; `1M`: benchmarks/synthetic.py's million persons) the
database is served as `make serve` serves it (the configuration of the repository at --site, the current one by
default, so an older checkout can be measured the same way). Each attack runs ATTACKERS clients, each with an
address of its own (the Fly-Client-IP header the site trusts), for --seconds seconds, while READERS clients
ask for pages made anew (table page, table JSON, person page, search, a canned query) and a visitor sends a
trivial ?sql= query every two seconds. Measured: the readers' latency and errors, the visitor's answers, the
attackers' answers (status, slowest), the server's memory (peak during, and a few seconds after), how long after
the attack a new visitor's query is answered, and at the end how long the server takes to stop on SIGTERM
during an attack. Writes docs/hostile.json and docs/hostile.md.
"""

import argparse
import collections
import json
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
from scale import SCALES, free_port, percentiles, synthetic  # noqa: E402

BIN = Path(sys.executable).parent
ATTACKERS = 20
READERS = 4
TIMEOUT = 120  # seconds a client waits for any answer: longer is counted as no answer
MADE_ANEW = {"cookie": "benchmark=made-anew"}
ATTACKS = {
    "slow function per row (?sql=)": [("/conscience.json", {
        "sql": "select count(*) from persons where length(randomblob(1000000)) > 0"})],
    "slow function per row (_where=)": [("/conscience/persons.json", {
        "_size": "1", "_where": "length(randomblob(1000000)) > 0"})],
    "gigabytes asked for": [("/conscience.json", {"sql": sql}) for sql in (
        "select zeroblob(200000000)", "select randomblob(1000000000)", "select printf('%.*c', 1000000000, 'x')",
        "select count(printf('%.*c', 100000000 + length(name), 'x')) from persons")],
    "1,000 facets": [("/conscience/persons.json?" + "&".join(["_facet=country"] * 1000), {})],
    "runaway ?sql= queries": [("/conscience.json", {"sql": sql}) for sql in (
        "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
        "select count(*) from persons a, persons b",
        "with recursive c(x) as (select 1 union all select x + 1 from c limit 100000000) "
        "select count(*) from c where printf('%d', x) like '%9%8%7%6%5%4%3%2%1%'")],
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
    """Threads each sending requests in a loop until stopped; what they got back: (status or None, seconds)."""

    def __init__(self, count, requests, headers, pause=0.0):
        self.stopped, self.answers, self.pause = threading.Event(), [], pause
        self.threads = [threading.Thread(target=self.run, args=(n, requests, headers(n)), daemon=True)
                        for n in range(count)]

    def run(self, n, requests, headers):
        with httpx.Client(timeout=TIMEOUT, headers=headers) as client:
            index = n
            while not self.stopped.is_set():
                path, params = requests[index % len(requests)]
                started = time.perf_counter()
                try:
                    status = client.get(path, params=params or None).status_code  # {} would drop the query string
                except httpx.HTTPError:
                    status = None
                self.answers.append((path, status, time.perf_counter() - started))
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


def reader_requests(base, database):
    person = sqlite3.connect(database).execute("select id from persons order by rowid limit 1 offset 7").fetchone()[0]
    return [(base + path, {}) for path in ("/conscience/persons", "/conscience/persons.json?_size=50", f"/person/{person}",
                                           "/conscience/persons.json?_search=Nguyen+Lan",
                                           "/conscience/detained_under_article.json?article=105&country=")]


def summary(answers):
    statuses = collections.Counter("no answer" if status is None else status for _, status, _ in answers)
    times = [seconds for _, _, seconds in answers]
    return {"requests": len(answers), "statuses": dict(sorted(statuses.items(), key=str)),
            **(percentiles(times) if times else {}), "max_s": round(max(times), 2) if times else None}


def attack(base, server, database, name, seconds):
    readers = Clients(READERS, reader_requests(base, database), lambda n: {**MADE_ANEW, "fly-client-ip": f"reader-{n}"})
    visitor = Clients(1, [(base + "/conscience.json", {"sql": "select count(*) from sources"})],
                      lambda n: {**MADE_ANEW, "fly-client-ip": "visitor"}, pause=2)
    attackers = Clients(ATTACKERS, [(base + path, params) for path, params in ATTACKS[name]],
                        lambda n: {"fly-client-ip": f"attacker-{n}"})
    peak, stop_sampling = [rss_mib(server.pid) or 0], threading.Event()

    def sample():
        while not stop_sampling.wait(0.2):
            peak[0] = max(peak[0], rss_mib(server.pid) or 0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    readers.start(), visitor.start(), attackers.start()
    time.sleep(seconds)
    attackers.stop(wait=False)
    stopped = time.perf_counter()
    recovered = first_answer(base, stopped)
    readers.stop(), visitor.stop(), attackers.stop()
    time.sleep(5)
    stop_sampling.set()
    reader_times = [s for _, status, s in readers.answers if status is not None]
    return {"readers": summary(readers.answers), "reader_errors": sum(1 for _, status, _ in readers.answers
                                                                        if status is None or status >= 500),
            "readers_over_1s": sum(1 for s in reader_times if s > 1), "visitor": summary(visitor.answers),
            "attackers": summary(attackers.answers), "server_peak_mib": peak[0],
            "server_mib_after": rss_mib(server.pid), "new_visitor_answered_after_s": recovered}


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


def stop_during_attack(base, server):
    attackers = Clients(ATTACKERS, [(base + path, params) for path, params in ATTACKS["runaway ?sql= queries"]],
                        lambda n: {"fly-client-ip": f"attacker-{n}"}).start()
    time.sleep(5)
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
    raw = synthetic.generate(work, SCALES[scale])
    out = work / "site" / "conscience.db"
    out.parent.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "scripts.build", "--raw", str(raw), "--out", str(out), "--release-date",
                    "2026-01-01"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def measure(database, site, seconds):
    results = {}
    for name in ATTACKS:
        server, base = serve(database, site)
        try:
            results[name] = attack(base, server, database, name, seconds)
            print(name, json.dumps(results[name]), flush=True)
        finally:
            server.kill()
            server.wait()
    server, base = serve(database, site)
    results["stops on SIGTERM during an attack, s"] = stop_during_attack(base, server)
    return results


def markdown(report):
    lines = [f"# Hostile load ({report['date']})", "", f"Machine: {report['machine']}; site measured: {report['site']}. "
             f"Each attack: {ATTACKERS} clients with addresses of their own for {report['seconds']} s, while "
             f"{READERS} readers ask for pages made anew and a visitor sends a trivial ?sql= every 2 s. Times in "
             "seconds; latency p50 / p95 in ms.", ""]
    for scale, results in report["scales"].items():
        lines += [f"## {scale}", "", "| attack | readers p50 / p95 / max | reader errors | readers over 1 s | "
                  "visitor answers | attackers' answers (slowest) | server peak / after, MiB | new visitor answered after |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, r in results.items():
            if not isinstance(r, dict):
                continue
            lines.append(f"| {name} | {r['readers'].get('p50_ms')} / {r['readers'].get('p95_ms')} / "
                         f"{r['readers']['max_s']} s | {r['reader_errors']} | {r['readers_over_1s']} | "
                         f"{r['visitor']['statuses']} | {r['attackers']['statuses']} ({r['attackers']['max_s']} s) | "
                         f"{r['server_peak_mib']} / {r['server_mib_after']} | {r['new_visitor_answered_after_s']} s |")
        lines += ["", f"Stopped by SIGTERM during an attack after {results['stops on SIGTERM during an attack, s']} s "
                      "(None: not within two minutes).", ""]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="real,1M")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--site", type=Path, default=ROOT, help="the repository whose configuration is served")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    report = {"date": datetime.now(timezone.utc).date().isoformat(), "seconds": args.seconds,
              "site": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.site, capture_output=True,
                                     text=True).stdout.strip() or str(args.site),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "scales": {}}
    for scale in args.scales.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            report["scales"][scale] = measure(database_for(scale, Path(tmp)), args.site.resolve(), args.seconds)
    args.out.mkdir(exist_ok=True)
    suffix = "" if args.site.resolve() == ROOT else "-" + report["site"]
    (args.out / f"hostile{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"hostile{suffix}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
