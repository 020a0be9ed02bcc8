"""Builds that cannot publish wrong data by accident: one at a time, nothing left behind, no silent shrink, and
no worker outliving a killed build (issue 20 §3-4)."""

import fcntl
import shutil
import signal
import subprocess
import sys
import time

import pytest

from scripts.build import main

from .conftest import ROOT


def build(raw, out, *args):
    main(["--raw", str(raw), "--out", str(out), *args])


def test_a_second_build_of_the_same_database_stops_at_once(raw, tmp_path):
    out = tmp_path / "conscience.db"
    with open(tmp_path / "conscience.db.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write("12345")
        lock.flush()
        started = time.perf_counter()
        with pytest.raises(SystemExit) as failure:
            build(raw, out)
    assert "another build is writing this database (process 12345)" in str(failure.value)
    assert time.perf_counter() - started < 5 and not out.exists()


def test_what_a_killed_build_left_is_removed_by_the_next(raw, tmp_path):
    out = tmp_path / "conscience.db"
    for leftover in (".tmp", ".stage", ".fts", ".fts-journal"):
        (tmp_path / f"conscience.db{leftover}").write_bytes(b"left by a killed build")
    (tmp_path / "conscience.db.release" / "2026-01-01-00000000").mkdir(parents=True)  # release files half made
    build(raw, out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("conscience")) == [
        "conscience.db", "conscience.db.lock", "conscience.release", "conscience.withholding-report.csv"]


@pytest.mark.slow
def test_a_database_far_smaller_than_the_one_it_replaces_needs_a_flag(lists_raw, tmp_path, monkeypatch):
    import scripts.build

    monkeypatch.setattr(scripts.build, "MAX_SHRINK", 0.002)  # the fixture lists are small beside the curated sources
    out = tmp_path / "conscience.db"
    build(lists_raw, out)
    before = out.read_bytes()
    shutil.rmtree(lists_raw / "cecc-ppd")  # as when a list fails its checksum in a non-strict build
    shutil.rmtree(lists_raw / "cppc-china")
    with pytest.raises(SystemExit) as failure:
        build(lists_raw, out)
    assert "sources with records there and none here: cecc-ppd, cppc-china" in str(failure.value)
    assert "--allow-shrink" in str(failure.value) and out.read_bytes() == before
    build(lists_raw, out, "--allow-shrink")
    assert out.read_bytes() != before


WORKER_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from scripts.stage.parallel import stage_in_parallel
from scripts.stage import Stage

def produce(select):
    for record in select(range(100_000)):
        time.sleep(0.01)
        yield from ()

stage = Stage({stage!r})
stage_in_parallel(stage, produce, workers=2)
"""


@pytest.mark.slow
def test_workers_die_with_a_killed_build(tmp_path):
    script = WORKER_SCRIPT.format(root=str(ROOT), stage=str(tmp_path / "test.stage"))
    build_process = subprocess.Popen([sys.executable, "-c", script])
    children = []
    for _ in range(100):
        children = children_of(build_process.pid)
        if len(children) == 2:
            break
        time.sleep(0.1)
    assert len(children) == 2
    build_process.send_signal(signal.SIGKILL)
    build_process.wait()
    time.sleep(0.5)
    assert [pid for pid in children if alive(pid)] == []


def children_of(pid):
    return [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_build_stopped_by_sigterm_leaves_no_worker_and_no_file(raw, tmp_path):
    """A CI timeout or a kill (SIGTERM): the build stops its workers and removes what it was writing."""
    out = tmp_path / "conscience.db"
    process = subprocess.Popen([sys.executable, "-m", "scripts.build", "--raw", str(raw), "--out", str(out)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stage = tmp_path / "conscience.db.stage"
    children = []
    for _ in range(6000):  # until the build has workers (adapting a list, or checking and writing beside the stage)
        children = children_of(process.pid) if stage.exists() else []
        if children or process.poll() is not None:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) != 0 and b"build stopped (signal 15)" in process.stderr.read()
    time.sleep(0.5)
    assert [pid for pid in children if alive(pid)] == []
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("conscience"))
    assert left in (["conscience.db.lock"], ["conscience.db.lock", "conscience.withholding-report.csv"])
