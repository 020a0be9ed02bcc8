"""Where a build spends its CPU: `python benchmarks/build_profile.py [--persons 100000] [--site CHECKOUT]`.

Builds seeded synthetic persons (benchmarks/synthetic.py, never published) with the checkout at --site (this one by
default, or any other commit's, to compare) under py-spy, sampling every process of the build, and prints the share
of the samples each stage of the build took, then the functions of ours that took the most. Shares of CPU samples,
not wall-clock time: the lists are adapted on every core while the rest runs on one (docs/performance.md)."""

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402
from scale import measured_commit  # noqa: E402

# (stage, the functions that mark it); a sample goes to the stage of the deepest marking function on its stack.
STAGES = [
    ("reading and adapting the lists (one worker per core)", {"stage_in_parallel", "adapt_chunks"}),
    ("gazetteer and the lists' plans", {"upstream_context", "prepare", "vocabularies"}),
    ("stage indexes and key checks", {"Stage.index", "check_keys", "missing_references"}),
    ("linking and withholding", {"link_and_withhold"}),
    ("derived columns", {"derive"}),
    ("tables copied, indexed, analysed", {"create_table"}),
    ("full-text indexes", {"write_indexes", "copy_indexes"}),
    ("checks of the written file", {"validate_staged", "check_withheld", "traces_left"}),
    ("release CSVs", {"write_tables", "write_csv", "write_package"}),
]


def profile(site, persons, folder, rate):
    """py-spy's raw samples ("frame;frame;... count" lines) of a build of `persons` synthetic persons."""
    raw = synthetic.generate(folder, persons)
    samples = folder / "samples.txt"
    py_spy = Path(sys.executable).with_name("py-spy")  # installed beside Python by benchmarks/requirements.txt
    subprocess.run([str(py_spy), "record", "--subprocesses", "--rate", str(rate), "--format", "raw", "--output",
                    str(samples), "--", sys.executable, "-m", "scripts.build", "--raw", str(raw), "--out",
                    str(folder / "profiled.db"), "--release-date", "2026-01-01"],
                   cwd=site, check=True, capture_output=True)
    return samples.read_text().splitlines()


def shares(lines):
    """({stage: samples}, {function of ours: samples in it or in what it called outside our code}, all samples)."""
    stages, functions, total = collections.Counter(), collections.Counter(), 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        names = [frame.split(" (")[0] for frame in frames]
        stage = next((label for name in reversed(names) for label, marks in STAGES if name in marks), "other")
        stages[stage] += int(count)
        ours = next((frame for frame in reversed(frames) if "scripts/" in frame), None)
        if ours:
            functions[ours.split(":")[0] + ")"] += int(count)
        total += int(count)
    return stages, functions, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--site", type=Path, default=ROOT, help="the checkout whose build is profiled")
    parser.add_argument("--rate", type=int, default=50, help="samples per second and process")
    parser.add_argument("--top", type=int, default=15, help="how many of our functions to list")
    args = parser.parse_args()
    commit = measured_commit(args.site)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        lines = profile(args.site.resolve(), args.persons, Path(tmp), args.rate)
        seconds = time.monotonic() - started
    stages, functions, total = shares(lines)
    print(f"Build of {args.persons:,} synthetic persons at {commit or args.site}, under py-spy ({seconds:.0f} s, "
          f"{total:,} samples at {args.rate}/s; load average after {os.getloadavg()[0]:.2f})\n")
    print("| stage | share of CPU samples |\n| --- | --- |")
    # Every stage, those no sample caught too (a build of a few hundred persons can end a stage between two samples).
    for stage, count in stages.most_common() + [(label, 0) for label, _ in STAGES if label not in stages]:
        print(f"| {stage} | {count / total:.1%} |")
    print("\n| function of ours (with the library code it calls) | share |\n| --- | --- |")
    for name, count in functions.most_common(args.top):
        print(f"| `{name}` | {count / total:.1%} |")


if __name__ == "__main__":
    main()
