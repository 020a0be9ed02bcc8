"""Each benchmark runs, at a tiny scale, so that none breaks unseen (make bench runs them at 10k, 100k and 1M)."""

import json
import subprocess
import sys

import pytest

from scripts.read import ROOT

pytestmark = pytest.mark.slow


def test_the_scale_benchmark_runs_end_to_end_at_a_tiny_scale(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--scales", "300", "--requests", "2",
                    "--load-seconds", "1", "--clients", "2", "--out", str(tmp_path)], check=True, cwd=ROOT,
                   capture_output=True, timeout=900)
    report = json.loads((tmp_path / "benchmarks.json").read_text())
    ours = report["scales"]["300"]["ours"]
    assert ours["latency"]["query search"]["errors"] == 0 and "direct_sqlite" in ours["latency"]["query search"]
    assert (tmp_path / "benchmarks.md").read_text().count("|") > 20
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    assert report["commit"].startswith(head.strip()), "a benchmark names the commit it measured"


def test_the_hostile_load_benchmark_runs_every_attack_at_a_tiny_scale(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "hostile.py"), "--scales", "300", "--seconds", "1",
                    "--attackers", "2", "--readers", "2", "--out", str(tmp_path)], check=True, cwd=ROOT,
                   capture_output=True, timeout=900)
    attacks = {name: r for name, r in json.loads((tmp_path / "hostile.json").read_text())["scales"]["300"].items()
               if isinstance(r, dict)}
    assert len(attacks) >= 10 and all(r["reader_errors"] == 0 and r["asks"] for r in attacks.values())
    assert all(set(r["targets"].values()) <= {"PASS", "FAIL"} and len(r["targets"]) == 4 for r in attacks.values())
    page = (tmp_path / "hostile.md").read_text()
    assert page.count("| PASS") + page.count("| FAIL") == 4 * len(attacks)


def test_the_build_profile_runs_at_a_tiny_scale():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "build_profile.py"), "--persons", "300",
                             "--top", "3"], check=True, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "| reading and adapting the lists" in result.stdout and "| function of ours" in result.stdout


def test_the_build_timeline_runs_at_a_tiny_scale_and_times_every_stage():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "build_timeline.py"), "--persons", "300"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]  # once, two processes' lines ran together: say so if again
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 15 and rows[-1].startswith("| whole build | 0.0 |")
