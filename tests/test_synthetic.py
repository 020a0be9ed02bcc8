"""The synthetic benchmark generator: its lists build through the real adapters, and say they are synthetic."""

import sqlite3
import sys

from scripts.build import main as build
from scripts.read import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402  (benchmarks/ is not a package)


def test_generated_lists_build_and_are_marked_synthetic(tmp_path):
    raw = synthetic.generate(tmp_path, persons=300, seed=7)
    build(["--raw", str(raw), "--out", str(tmp_path / "conscience.db"), "--release-date", "2026-01-01"])
    conn = sqlite3.connect(tmp_path / "conscience.db")
    counts = dict(conn.execute("SELECT source_id, count(*) FROM records GROUP BY 1").fetchall())
    assert counts == {"synthetic-cecc": 210, "synthetic-list": 90}
    titles = [title for (title,) in conn.execute("SELECT title FROM sources WHERE id LIKE 'synthetic-%'")]
    assert len(titles) == 2 and all("SYNTHETIC" in title for title in titles)
    assert conn.execute("SELECT count(*) FROM data_quality WHERE problem LIKE 'unknown status code%'").fetchone()[0] > 0
    assert (tmp_path / "flat.csv").read_text(encoding="utf-8").count("\n") == 301


def test_the_same_seed_gives_the_same_lists(tmp_path):
    first = synthetic.generate(tmp_path / "a", persons=50, seed=3)
    second = synthetic.generate(tmp_path / "b", persons=50, seed=3)
    for name in ("synthetic-cecc/records.csv", "synthetic-list/list.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
