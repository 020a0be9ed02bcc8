"""Nothing invented: transcribed names stand on the line of the archived seed that each row cites."""

import hashlib

import pytest

from scripts.rawfiles import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.exists(), reason="the archived seed documents are not beside the project")


def transcribed(conn):
    """Sources transcribed from an archived seed document (upstream lists are checked by checksum instead)."""
    return {id_ for id_, file in conn.execute("SELECT id, file FROM sources") if file and (SEEDS / file).exists()}


def seed_lines(conn, source_id):
    (file,) = conn.execute("SELECT file FROM sources WHERE id = ?", (source_id,)).fetchone()
    return (SEEDS / file).read_text(encoding="utf-8").split("\n")


def cited_lines(upstream_ref):
    return [int(n) for n in upstream_ref.split(" ", 1)[1].split(", ")]


def test_archived_copies_match_their_checksums(conn):
    checked = 0
    for source_id, file, sha in conn.execute("SELECT id, file, sha256 FROM sources"):
        if source_id in transcribed(conn):
            assert hashlib.sha256((SEEDS / file).read_bytes()).hexdigest() == sha
            checked += 1
    assert checked == 5


def test_every_signature_is_on_its_cited_line(conn):
    rows = conn.execute("SELECT source_id, name_as_written, upstream_ref FROM signatures").fetchall()
    assert len(rows) == 306
    for source_id, name, ref in rows:
        lines = seed_lines(conn, source_id)
        assert any(name in lines[n - 1] for n in cited_lines(ref)), (name, ref)


def test_every_name_as_written_is_on_a_cited_line(conn):
    for source_id, name, ref in conn.execute("SELECT source_id, name_as_written, upstream_ref FROM records"):
        if source_id not in transcribed(conn):
            continue
        lines = seed_lines(conn, source_id)
        assert any(name in lines[n - 1] for n in cited_lines(ref)), (name, ref)


def test_every_charge_as_written_is_on_a_cited_line(conn):
    for source_id, written, ref in conn.execute(
        "SELECT source_id, charge_as_written, upstream_ref FROM detention_charges"
    ):
        if source_id not in transcribed(conn):
            continue
        lines = seed_lines(conn, source_id)
        assert any(written in lines[n - 1] for n in cited_lines(ref)), (written, ref)


def test_every_figure_is_on_its_cited_line(conn):
    for source_id, value, ref in conn.execute("SELECT source_id, value, upstream_ref FROM statistics"):
        if source_id not in transcribed(conn):
            continue
        lines = seed_lines(conn, source_id)
        assert any(str(value) in lines[n - 1] for n in cited_lines(ref)), (value, ref)
