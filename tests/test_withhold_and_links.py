"""Withheld records appear nowhere in the database file; maintainers can force or forbid a link."""

import csv
import shutil

import pytest

from scripts.build import main
from scripts.rawfiles import RAW

pytestmark = pytest.mark.skipif(not (RAW.parent.parent / "shared" / "data").exists(), reason="no upstream mirror")


@pytest.fixture
def raw_with_cppc(raw):
    shutil.copytree(RAW / "cppc-china", raw / "cppc-china")
    return raw


def append(path, *rows):
    with open(path, "a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def build(raw, out):
    main(["--raw", str(raw), "--out", str(out)])
    return out.read_bytes()


WITHHELD_TRACES = {
    ("cppc-china", "4"): ["王炳章", "Wang Bingzhang", "cppc00003"],
    ("ishr-endreprisals", "marfa-rabkova"): ["Marfa Rabkova", "玛法·拉布科娃", "marfa-rabkova", "Rabkova"],
}


@pytest.mark.parametrize("record", WITHHELD_TRACES)
def test_a_withheld_record_is_nowhere_in_the_database_file(raw_with_cppc, tmp_path, record):
    traces = [t.encode("utf-8") for t in WITHHELD_TRACES[record]]
    published = build(raw_with_cppc, tmp_path / "before.db")
    assert all(t in published for t in traces[:2])  # the control: before withholding, the name is there
    append(raw_with_cppc / "withheld.csv", [*record, "test: at the family's request"])
    withheld = build(raw_with_cppc, tmp_path / "after.db")
    assert [t for t in traces if t in withheld] == []


def people_sharing_records(db, record_id):
    import sqlite3

    conn = sqlite3.connect(db)
    (person,) = conn.execute("SELECT person_id FROM records WHERE id = ?", (record_id,)).fetchone()
    return {r for (r,) in conn.execute("SELECT id FROM records WHERE person_id = ?", (person,))}


def test_maintainers_can_forbid_and_force_links(raw_with_cppc, tmp_path):
    build(raw_with_cppc, tmp_path / "auto.db")
    jiang_cppc = "cppc-china/494"
    assert people_sharing_records(tmp_path / "auto.db", "ishr-endreprisals/jiang-tianyong") == {
        "ishr-endreprisals/jiang-tianyong", jiang_cppc}
    append(raw_with_cppc / "links.csv",
           ["ishr-endreprisals/jiang-tianyong", jiang_cppc, "different", "test: forbid"],
           ["rfa-2021-04-22/nguyen-ngoc-gia", "cppc-china/5", "same", "test: force (false on purpose, test only)"])
    build(raw_with_cppc, tmp_path / "decided.db")
    assert people_sharing_records(tmp_path / "decided.db", jiang_cppc) == {jiang_cppc}
    assert people_sharing_records(tmp_path / "decided.db", "cppc-china/5") == {
        "rfa-2021-04-22/nguyen-ngoc-gia", "cppc-china/5"}
