"""Nothing invented: every transcribed name, charge and figure stands on a line of the archived seed document it cites.

The seed documents (../shared/seeds) are not in the repository: they are other people's texts. Where they are
beside the project, each value is looked for on its cited lines, and tests/fixtures/seed_citations.txt must say
exactly what was found (its checksums of each document, and a digest of each document, line and value found
there). Where they are not (a fresh clone, CI), each value is checked against that list: a value changed in raw/, or
moved to another line, has no digest there and fails, until someone with the documents regenerates the list:

    python -m tests.test_seeds    # rewrites tests/fixtures/seed_citations.txt from ../shared/seeds
"""

import hashlib
import sqlite3
import sys

import pytest

from scripts.read import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
CITATIONS = ROOT / "tests" / "fixtures" / "seed_citations.txt"
# What is transcribed from the documents, per table: the value, and the line(s) it cites ("line 12, 13").
TRANSCRIBED = {
    "signatures": "SELECT s.source_id, src.file, s.name_as_written, s.upstream_ref FROM signatures s",
    "names": "SELECT s.source_id, src.file, s.name_as_written, s.upstream_ref FROM records s",
    "charges": "SELECT s.source_id, src.file, s.charge_as_written, s.upstream_ref FROM detention_charges s",
    "figures": "SELECT s.source_id, src.file, CAST(s.value AS TEXT), s.upstream_ref FROM statistics s",
}
JOIN = " JOIN sources src ON src.id = s.source_id WHERE src.file IN ({})"


def digest(file, line, value):
    return hashlib.sha256(f"{file}\n{line}\n{value}".encode("utf-8")).hexdigest()[:24]


def read_citations():
    """({document: sha256}, {digest, ...}) as tests/fixtures/seed_citations.txt records them."""
    documents, found = {}, set()
    for line in CITATIONS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        kind, *fields = line.split()
        if kind == "document":
            documents[fields[0]] = fields[1]
        else:
            found.add(fields[0])
    return documents, found


def cited_lines(upstream_ref):
    return [int(n) for n in upstream_ref.split(" ", 1)[1].split(", ")]


def transcribed(conn, kind):
    documents, _ = read_citations()
    return conn.execute(TRANSCRIBED[kind] + JOIN.format(", ".join("?" * len(documents))), list(documents)).fetchall()


def found_in_documents(conn):
    """{document: sha256} of the seeds beside the project, and the digest of each value on the first cited line holding
    it; a value on none of its lines is an AssertionError naming it."""
    documents = {file: hashlib.sha256((SEEDS / file).read_bytes()).hexdigest()
                 for file in read_citations()[0] if (SEEDS / file).exists()}
    found = set()
    for kind in TRANSCRIBED:
        for source_id, file, value, ref in transcribed(conn, kind):
            lines = (SEEDS / file).read_text(encoding="utf-8").split("\n")
            on = [n for n in cited_lines(ref) if value in lines[n - 1]]
            assert on, (kind, source_id, value, ref)
            found.add(digest(file, on[0], value))
    return documents, found


def test_the_archived_copies_are_the_ones_the_sources_name(conn):
    documents, _ = read_citations()
    assert len(documents) == 5
    assert dict(conn.execute("SELECT file, sha256 FROM sources WHERE file IN (%s)" % ", ".join("?" * len(documents)),
                             list(documents)).fetchall()) == documents
    if SEEDS.exists():  # the list says exactly what the documents give
        assert found_in_documents(conn) == read_citations(), "regenerate it: python -m tests.test_seeds"


@pytest.mark.parametrize("kind,expected", [("signatures", 306), ("names", 17), ("charges", 26), ("figures", 12)])
def test_every_transcribed_value_is_on_a_line_it_cites(conn, kind, expected):
    rows = transcribed(conn, kind)
    assert len(rows) == expected
    if SEEDS.exists():
        found_in_documents(conn)  # looks for every value on its lines
    _, found = read_citations()
    missing = [(source_id, value, ref) for source_id, file, value, ref in rows
               if not any(digest(file, line, value) in found for line in cited_lines(ref))]
    assert missing == [], "not found on the cited line (or changed since tests/fixtures/seed_citations.txt was written)"


def write_citations(db):
    conn = sqlite3.connect(db)
    documents, found = found_in_documents(conn)
    CITATIONS.write_text("\n".join([
        "# What tests/test_seeds.py found in the archived seed documents (../shared/seeds), without their text: each",
        "# document's sha256, then for each transcribed value the first 24 hex digits of sha256(file \\n line \\n value)",
        "# of the first line it cites that holds it. Written by: python -m tests.test_seeds [conscience.db]",
        *[f"document {file} {sha}" for file, sha in sorted(documents.items())],
        *[f"found {value}" for value in sorted(found)]]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_citations(sys.argv[1] if len(sys.argv) > 1 else ROOT / "conscience.db")
