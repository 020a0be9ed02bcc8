"""What each plugin that replaces part of Datasette buys: the persons page made anew, with and without it.

    python benchmarks/patches.py DATABASE [--inspect-file inspect.json] [--requests 100] [--rounds 3]
        [--variants all,-cell_values,...] [--plugins-dir plugins] [--templates-dir templates]

DATABASE is a built conscience.db (for 1M persons: benchmarks/synthetic.py, then scripts.build and `datasette
inspect`, as benchmarks/scale.py does). Each variant is the site's plugins/ and templates/ with some files left
out, copied to a temporary folder, and measured in a fresh process (a plugin that rebinds a Datasette function
would otherwise stay in place): in-process through Datasette's test client, then through a real `datasette
serve` on loopback. Every request carries a cookie, so plugins/responses.py makes the page anew each time.
Beside the time a request takes (p50, p95), the CPU time the site spent on it (in-process: the median per request;
the server: its CPU time over all requests, per request), which another process's load on a shared machine
changes much less. Variants are measured in turn, round after round, so that changes in load fall on all of them;
the range between rounds is printed beside each median. Prints a Markdown table and writes JSON to --out.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.settings import SETTINGS, as_flags

PAGE = "/conscience/persons"
MADE_ANEW = {"cookie": "benchmark=made-anew"}
# The variants' names: "all" is the site as it is; "-x" leaves out plugins/x.py (or templates/x.html with
# "-templates/x.html"); "+" joins several.
DEFAULT_VARIANTS = "all"


def variant_files(variant):
    """The files a variant leaves out, relative to the project (plugins/x.py or templates/x)."""
    if variant == "all":
        return []
    left_out = []
    for part in variant.split("+"):
        name = part.lstrip("-")
        left_out.append(name if "/" in name else f"plugins/{name}.py")
    return left_out


def prepared(variant, work, plugins_dir, templates_dir):
    """(plugins folder, templates folder) of a variant, copied under `work`."""
    folder = work / variant.replace("/", "_")
    plugins, templates = folder / "plugins", folder / "templates"
    shutil.copytree(plugins_dir, plugins, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(templates_dir, templates)
    for path in variant_files(variant):
        kind, _, name = path.partition("/")
        target = (plugins if kind == "plugins" else templates) / name
        if not target.exists():
            raise SystemExit(f"variant {variant}: {path} does not exist")
        target.unlink()
    return plugins, templates


def percentiles(samples):
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2)}


IN_PROCESS = """
import asyncio, json, sys, time, yaml
sys.path.insert(0, {root!r})
from datasette.app import Datasette
settings, inspect_file, requests = {settings!r}, {inspect_file!r}, {requests!r}

async def main():
    ds = Datasette(immutables=[{database!r}], metadata=yaml.safe_load(open({metadata!r})), settings=settings,
                   plugins_dir={plugins!r}, template_dir={templates!r},
                   inspect_data=json.load(open(inspect_file)) if inspect_file else None)
    await ds.invoke_startup()
    for _ in range(10):  # warm up: templates compiled, facet counts remembered
        response = await ds.client.get({page!r}, headers={headers!r})
        assert response.status_code == 200, response.status_code
    samples, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await ds.client.get({page!r}, headers={headers!r})
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
    print(json.dumps([samples, cpu]))

asyncio.run(main())
"""


def in_process(database, inspect_file, plugins, templates, requests):
    script = IN_PROCESS.format(root=str(ROOT), settings=SETTINGS, inspect_file=inspect_file and str(inspect_file),
                               requests=requests, database=str(database), metadata=str(ROOT / "metadata.yml"),
                               plugins=str(plugins), templates=str(templates), page=PAGE, headers=MADE_ANEW)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    samples, cpu = json.loads(done.stdout.splitlines()[-1])
    return {**percentiles(samples), "cpu_ms": round(statistics.median(cpu) * 1000, 2)}


def cpu_seconds(pid):
    """CPU time a process has used (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def through_server(database, inspect_file, plugins, templates, requests):
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(Path(sys.executable).parent / "datasette"), "serve", "-i", str(database), "--metadata",
               str(ROOT / "metadata.yml"), "--plugins-dir", str(plugins), "--template-dir", str(templates),
               *as_flags(), "--host", "127.0.0.1", "--port", str(port)]
    if inspect_file:
        command += ["--inspect-file", str(inspect_file)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=60) as client:
            for _ in range(300):
                try:
                    client.get(base + "/-/versions.json")
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            for _ in range(10):
                assert client.get(base + PAGE, headers=MADE_ANEW).status_code == 200
            samples, cpu_before = [], cpu_seconds(server.pid)
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(base + PAGE, headers=MADE_ANEW)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200
            cpu_per_request = (cpu_seconds(server.pid) - cpu_before) / requests
        return {**percentiles(samples), "cpu_ms": round(cpu_per_request * 1000, 2)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def summary(runs):
    """Median over rounds of each percentile, and the range between rounds."""
    out = {}
    for key in ("p50_ms", "p95_ms", "cpu_ms"):
        values = [run[key] for run in runs]
        out[key] = round(statistics.median(values), 1)
        out[key.replace("ms", "range")] = [round(min(values), 1), round(max(values), 1)]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--inspect-file", type=Path)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--plugins-dir", type=Path, default=ROOT / "plugins")
    parser.add_argument("--templates-dir", type=Path, default=ROOT / "templates")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    variants = args.variants.split(",")
    results = {variant: {"in_process": [], "server": []} for variant in variants}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {variant: prepared(variant, Path(tmp), args.plugins_dir, args.templates_dir) for variant in variants}
        for number in range(args.rounds):
            for variant in variants:
                plugins, templates = folders[variant]
                measured = (in_process(args.database, args.inspect_file, plugins, templates, args.requests),
                            through_server(args.database, args.inspect_file, plugins, templates, args.requests))
                for mode, value in zip(("in_process", "server"), measured):
                    results[variant][mode].append(value)
                print(f"round {number + 1} {variant}: in-process {measured[0]}, server {measured[1]}", flush=True)
    report = {variant: {mode: summary(runs) for mode, runs in modes.items()} | {"runs": modes}
              for variant, modes in results.items()}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("\n| variant | in-process p50 (range) | p95 (range) | CPU (range) | server p50 (range) | p95 (range) | CPU (range) |"
          "\n| --- | --- | --- | --- | --- | --- | --- |")
    for variant, result in report.items():
        cells = [f"{result[mode][key]} ({result[mode][key.replace('ms', 'range')][0]}–"
                 f"{result[mode][key.replace('ms', 'range')][1]})"
                 for mode in ("in_process", "server") for key in ("p50_ms", "p95_ms", "cpu_ms")]
        print(f"| {variant} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
