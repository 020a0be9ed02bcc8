"""Maintainers force or forbid a link in raw/links.csv; a line naming no record stops the build.

Built on the CECC and CPPC extracts of tests/fixtures/withholding (no mirror needed): Qin Yongmin's two records
link on their own (romanised name, birth year, only match in each list).
"""

import csv
import sqlite3

import pytest

from scripts.build import main


def append(path, *rows):
    with open(path, "a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def build(raw, out):
    main(["--raw", str(raw), "--out", str(out)])
    return out


def people_sharing_records(db, record_id):
    conn = sqlite3.connect(db)
    (person,) = conn.execute("SELECT person_id FROM records WHERE id = ?", (record_id,)).fetchone()
    return {r for (r,) in conn.execute("SELECT id FROM records WHERE person_id = ?", (person,))}


@pytest.mark.slow
def test_maintainers_can_forbid_and_force_links(lists_raw, tmp_path):
    qin_cecc, qin_cppc = "cecc-ppd/2004-02138", "cppc-china/2"
    assert people_sharing_records(build(lists_raw, tmp_path / "auto.db"), qin_cecc) == {qin_cecc, qin_cppc}
    append(lists_raw / "links.csv",
           [qin_cecc, qin_cppc, "different", "test: forbid"],
           ["rfa-2021-04-22/nguyen-ngoc-gia", qin_cppc, "same", "test: force (false on purpose, test only)"])
    decided = build(lists_raw, tmp_path / "decided.db")
    assert people_sharing_records(decided, qin_cecc) == {qin_cecc}
    assert people_sharing_records(decided, qin_cppc) == {"rfa-2021-04-22/nguyen-ngoc-gia", qin_cppc}
