"""How many readers one server serves: a reader's mix of pages, from memory and made anew, at rising concurrency.

    .venv/bin/python benchmarks/readers.py [--database conscience.db] [--seconds 20] [--clients 1,10,50]

Serves a copy of the database with the site's configuration (`datasette serve`, as benchmarks/scale.py does), then
for each number of clients sends, for --seconds, a mix of what readers ask for: the home page, person, organisation
and charge pages (200 different persons), table pages with a filter, a search, the API's JSON and CSV. First as the
site sends a page asked for again (plugins/responses.py: every path was asked for once before), then made anew
for every request (a request with a cookie). Prints JSON: requests per second, p50 / p95 / p99 latency, errors,
with the machine's load average, the date and the commit; docs/scaling.md reads it.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from scale import BIN, MADE_ANEW, percentiles, serve  # noqa: E402


def reader_paths(database):
    """A reader's pages: each kind in the proportion a visit has them (persons most), 200 different persons."""
    conn = sqlite3.connect(database)
    persons = [pid for (pid,) in conn.execute("select id from persons order by random() limit 200")]
    charges = [cid for (cid,) in conn.execute("select distinct charge_id from detention_charges limit 20")]
    organizations = [oid for (oid,) in conn.execute("select id from organizations limit 20")]
    conn.close()
    paths = [f"/person/{pid}" for pid in persons] + [f"/charge/{cid}" for cid in charges]
    paths += [f"/organization/{oid}" for oid in organizations]
    paths += ["/", "/about", "/search?q=Nguyen", "/conscience/persons?country=CN&status=detained",
              "/conscience/persons.json?country=VN&_shape=array", "/conscience/persons.csv?country=BY"] * 5
    return paths


async def load(base, paths, clients, seconds, headers=None):
    """`clients` clients asking for `paths` in turn for `seconds`: requests per second and latency."""
    samples, errors, deadline = [], 0, time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as client:
        async def reader(offset):
            nonlocal errors
            index = offset
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    errors += (await client.get(base + paths[index % len(paths)], headers=headers)).status_code >= 400
                except httpx.HTTPError:
                    errors += 1
                samples.append(time.perf_counter() - started)
                index += 7
        await asyncio.gather(*(reader(i) for i in range(clients)))
    ordered = sorted(samples)
    return {"clients": clients, "requests_per_second": round(len(samples) / seconds, 1), "errors": errors,
            **percentiles(samples), "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=ROOT / "conscience.db")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", default="1,10,50")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "conscience.db"
        shutil.copy(args.database, database)
        subprocess.run([str(BIN / "datasette"), "inspect", str(database), "--inspect-file",
                        str(Path(folder) / "inspect.json")], check=True)
        paths = reader_paths(database)
        server, base, _ = serve(database, configured=True)
        try:
            with httpx.Client(timeout=60) as client:
                for path in paths:  # each page asked for once: from then on it is sent as made
                    client.get(base + path)
            result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                               text=True).stdout.strip(),
                      "machine": f"{platform.machine()}, {os.cpu_count()} cores", "pages": len(set(paths)),
                      "load_average_before": os.getloadavg()}
            for name, headers in (("as sent", None), ("made anew", MADE_ANEW)):
                result[name] = [asyncio.run(load(base, paths, int(n), args.seconds, headers))
                                for n in args.clients.split(",")]
            result["load_average_after"] = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
