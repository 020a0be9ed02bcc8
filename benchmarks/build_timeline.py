"""When each stage of a build starts and ends: `python benchmarks/build_timeline.py [--persons 1000000] [--site CHECKOUT]`.

Builds seeded synthetic persons (benchmarks/synthetic.py, never published) with the checkout at --site and prints, in
wall-clock seconds from the start, when each stage ran. build_profile.py says where the CPU goes; this says which
stages the wall-clock time waits on (the lists are adapted on every core, the stages after them run on one).
The stages are timed by wrapping the build's own functions in the measured process, a benchmark's liberty only."""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402
from scale import measured_commit  # noqa: E402

# (module, function, what it is) of the build, in the order they start; each call prints "label<TAB>start<TAB>end",
# in second processes too (they are forked once the wrappers are in place), each line in one write: print() writes
# the line and its newline apart, and two processes' lines were found run together.
STAGES = [
    ("scripts.build", "collect", "lists read, adapted and staged (one worker per core)"),
    ("scripts.stage", "Stage.index", "stage indexes"),
    ("scripts.build", "check_keys", "key checks"),
    ("scripts.build", "link_and_withhold", "linking and withholding"),
    ("scripts.build", "derive", "derived columns"),
    ("scripts.build", "history", "changes since the previous release"),
    ("scripts.build", "write", "writing the database file, from here to its rename"),
    ("scripts.write", "create_table", "tables copied, indexed, analysed"),
    ("scripts.write", "write_indexes", "full-text indexes (a second process)"),
    ("scripts.build", "validate_staged", "checks of the staged rows (a second process)"),
    ("scripts.write", "copy_indexes", "full-text indexes copied in"),
    ("scripts.build", "check_withheld", "written file searched for withheld persons"),
    ("scripts.write.release", "write_tables", "release CSVs (two processes, from the stage)"),
    ("scripts.write.release", "write_package", "datapackage.json"),
]
MEASURED = """
import functools, importlib, os, sys, time
started = time.monotonic()
def timed(module, name, label):
    owner = importlib.import_module(module)
    if "." in name:
        owner, name = getattr(owner, name.split(".")[0]), name.split(".")[1]
    original = getattr(owner, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        begun = time.monotonic() - started
        try:
            return original(*args, **kwargs)
        finally:
            os.write(2, f"{label}\\t{begun:.1f}\\t{time.monotonic() - started:.1f}\\n".encode())  # one write: atomic
    setattr(owner, name, wrapper)
for stage in STAGES:
    timed(*stage)
from scripts import build
build.main(sys.argv[1:])
os.write(2, f"whole build\\t0.0\\t{time.monotonic() - started:.1f}\\n".encode())
"""


def timeline(site, persons, folder):
    """[(stage, {start, end, seconds, times})] of a build of `persons` synthetic persons, in the order of STAGES."""
    raw = synthetic.generate(folder, persons)
    result = subprocess.run([sys.executable, "-c", f"STAGES = {STAGES!r}\n{MEASURED}", "--raw", str(raw), "--out",
                             str(folder / "timed.db"), "--release-date", "2026-01-01"],
                            cwd=site, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(site)})
    stages, order = {}, [label for _, _, label in STAGES] + ["whole build"]
    # Found wherever they are: another process's print may have left half a line before one of ours.
    for label, start, end in re.findall(f"({'|'.join(map(re.escape, order))})\t([\\d.]+)\t([\\d.]+)\n", result.stderr):
        start, end = float(start), float(end)
        stage = stages.setdefault(label, {"start": start, "end": end, "seconds": 0.0, "times": 0})
        stage.update(end=max(stage["end"], end), seconds=stage["seconds"] + end - start, times=stage["times"] + 1)
    return sorted(stages.items(), key=lambda item: order.index(item[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--site", type=Path, default=ROOT, help="the checkout whose build is timed")
    args = parser.parse_args()
    commit = measured_commit(args.site)
    with tempfile.TemporaryDirectory() as tmp:
        stages = timeline(args.site.resolve(), args.persons, Path(tmp))
    print(f"Build of {args.persons:,} synthetic persons at {commit or args.site}: wall-clock seconds from its start\n")
    print("| stage | from | to | seconds |\n| --- | --- | --- | --- |")
    for label, stage in stages:
        calls = f" ({stage['times']} calls)" if stage["times"] > 1 else ""
        print(f"| {label}{calls} | {stage['start']:.1f} | {stage['end']:.1f} | {stage['seconds']:.1f} |")


if __name__ == "__main__":
    main()
