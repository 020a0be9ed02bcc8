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
