"""Fetch every upstream file from the mirror into an empty cache, then build everything: time and peak memory.

    python benchmarks/build_time.py [--runs 3]

Targets (issue: real upstream lists): under 60 s and under 2 GiB peak on the 2-core machine.
Each step runs in its own process; peak memory is the largest of the steps' peaks (benchmarks/memory.py).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from memory import run_measured  # benchmarks/, the script's folder, is on sys.path

ROOT = Path(__file__).resolve().parent.parent


def run_once():
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CONSCIENCE_CACHE": str(Path(tmp) / "cache")}
        seconds = peak = 0
        for step in (["-m", "scripts.read.fetch", "--strict"],
                     ["-m", "scripts.build", "--strict", "--out", str(Path(tmp) / "conscience.db")]):
            step_seconds, step_peak, process = run_measured([sys.executable, *step], cwd=ROOT, env=env,
                                                            stdout=subprocess.DEVNULL)
            if process.returncode:
                raise RuntimeError(f"{step} failed")
            seconds, peak = seconds + step_seconds, max(peak, step_peak)
        size = (Path(tmp) / "conscience.db").stat().st_size
    return seconds, peak, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once() for _ in range(args.runs)]
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs_seconds": [round(s, 1) for s, _, _ in runs],
        "best_seconds": round(min(s for s, _, _ in runs), 1),
        "peak_memory_mib": round(max(m for _, m, _ in runs)),
        "database_mib": round(runs[-1][2] / 2**20, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
