"""Withholding that cannot leak: a family's request removes the person everywhere, or the build stops and says why.

The upstream lists come from tests/fixtures/withholding (real rows: Qin Yongmin in CECC and CPPC, and two CECC
narratives that name him), so these tests need no mirror and no network. Each leak of issue 21 is a test here.
"""

import csv
import json
import re
import sqlite3

import pytest

from scripts.build import main
from scripts.link.withhold import (
    CJK,
    NAME_MARKER,
    WITHHELD_NAME,
    Person,
    Redactor,
    Request,
)
from scripts.read import Origin
from scripts.schema import TABLES
from scripts.write.release import folder_of

from .conftest import copy_curated_raw, make_datasette

HEADER = ["record", "level", "public_id", "note"]
QIN = ["Qin Yongmin", "秦永敏", "2004-02138", "cecc-ppd-2004-02138", "cppc-china-2", "PrisonerNum=2138",
       "cppc00283", "1953-08-11"]
RABKOVA = ["Marfa Rabkova", "玛法·拉布科娃", "marfa-rabkova"]
GIA = ["Nguyen Ngoc Gia", "nguyen-ngoc-gia", "ngoc-gia"]


def withhold(raw, *lines):
    with open(raw / "withheld.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(list(line) + [""] * (4 - len(line)) for line in lines)


def build(raw, out, *args):
    out.parent.mkdir(parents=True, exist_ok=True)
    main(["--raw", str(raw), "--out", str(out), *args])
    return out


def build_fails(raw, out):
    with pytest.raises(SystemExit) as failure:
        build(raw, out)
    assert not out.exists()
    return str(failure.value)


def traces(path, words):
    """The words found in the database file: its bytes as they are, and lower-cased (the full-text index folds)."""
    data = path.read_bytes()
    return [w for w in words if w.encode() in data or w.lower().encode() in data.lower()]


def indexed_terms(path):
    conn = sqlite3.connect(path)
    terms = set()
    for table in ("persons", "organizations", "charges"):
        conn.execute(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, {table}_fts, 'row')")
        terms |= {term for (term,) in conn.execute(f"SELECT term FROM temp.v_{table}")}
    return terms


def rows(path, sql, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_without_withholding_the_names_are_there(lists_raw, tmp_path):
    """The control for every test below: each trace they look for is in a build that withholds nobody."""
    published = build(lists_raw, tmp_path / "all.db")
    assert traces(published, QIN[:6] + RABKOVA + GIA[:2]) == QIN[:6] + RABKOVA + GIA[:2]
    assert {"rabkova", "yongmin", "秦永敏"} <= indexed_terms(published)


def test_a_typo_stops_the_build_naming_the_line(lists_raw, tmp_path):
    withhold(lists_raw, ["ishr-endreprisals/marfa-rabkowa"])
    message = build_fails(lists_raw, tmp_path / "out.db")
    assert "raw/withheld.csv, line 2, field 'record': value 'ishr-endreprisals/marfa-rabkowa'" in message
    assert "no such record" in message


@pytest.mark.slow
def test_an_unknown_source_stops_the_build(lists_raw, tmp_path):
    withhold(lists_raw, ["ishr-endreprisal/marfa-rabkova"])
    assert "there is no source 'ishr-endreprisal'" in build_fails(lists_raw, tmp_path / "out.db")


@pytest.mark.slow
def test_a_private_list_outside_the_repository_is_read_too(lists_raw, tmp_path, monkeypatch):
    private = tmp_path / "private-withheld.csv"
    private.write_text("record,level,public_id,note\nperson:cecc-ppd-2004-02138,,,kept out of the public repository\n")
    monkeypatch.setenv("CONSCIENCE_WITHHELD", str(private))
    assert traces(build(lists_raw, tmp_path / "out.db"), QIN) == []
    withhold(lists_raw, ["person:cppc-china-2"])  # the same person, in both lists
    message = build_fails(lists_raw, tmp_path / "again.db")
    assert f"{private}, line 2, field 'record'" in message and "already (" in message


@pytest.mark.slow
def test_an_unknown_person_and_an_unknown_level_stop_the_build(lists_raw, tmp_path):
    withhold(lists_raw, ["person:qin-yongmin"])
    assert "line 2, field 'record': value 'person:qin-yongmin' — no person has this id" in build_fails(
        lists_raw, tmp_path / "a.db")
    withhold(lists_raw, ["person:cecc-ppd-2004-02138", "hidden"])
    assert "field 'level': value 'hidden' — unknown level" in build_fails(lists_raw, tmp_path / "b.db")


@pytest.mark.slow
def test_withholding_one_record_of_a_linked_person_asks_for_the_person(lists_raw, tmp_path):
    withhold(lists_raw, ["cecc-ppd/2004-02138"])
    message = build_fails(lists_raw, tmp_path / "out.db")
    assert "the person this record names is also known through cppc-china/2" in message
    assert "person:" in message and "record only" in message


def test_a_person_known_to_two_sources_leaves_no_trace(lists_raw, tmp_path):
    withhold(lists_raw, ["person:cecc-ppd-2004-02138", "", "", "test: at the family's request"])
    out = build(lists_raw, tmp_path / "site" / "conscience.db")
    assert traces(out, QIN) == []
    assert not {"yongmin", "秦永敏"} & indexed_terms(out)
    assert rows(out, "PRAGMA freelist_count") == [(0,)]
    # Other people's narratives stay, redacted where they name him: the link to his record goes with his name.
    (zhao,) = rows(out, "SELECT summary FROM persons WHERE id = 'cecc-ppd-2016-00069'")[0]
    assert "Zhao is the wife of democracy advocate [name withheld], whom Wuhan police detained" in zhao
    assert "Zhao married [name withheld] in December 2013" in zhao
    (raw,) = rows(out, "SELECT raw FROM records WHERE id = 'cecc-ppd/2016-00069'")[0]
    assert "Zhao married [name withheld] in December 2013" in raw
    # The maintainer's report lists each redaction, beside the database and not in it.
    report = list(csv.DictReader(open(out.with_name("conscience.withholding-report.csv"), encoding="utf-8")))
    assert {(r["table"], r["row"], r["column"]) for r in report} >= {
        ("persons", "cecc-ppd-2016-00069", "summary"), ("records", "cecc-ppd/2016-00069", "raw"),
        ("persons", "cecc-ppd-2015-00338", "summary")}
    assert {r["withheld_csv_line"] for r in report} == {"2"}
    # The release's downloads are made from the file once it has been searched: no trace in any of them either.
    downloads = [path for path in folder_of(out).rglob("*") if path.is_file()]
    assert len(downloads) == len(TABLES) + 1 and [path for path in downloads if traces(path, QIN)] == []


def test_no_release_file_is_made_when_the_last_check_finds_a_trace(lists_raw, tmp_path, monkeypatch):
    import scripts.build

    monkeypatch.setattr(scripts.build, "traces_left", lambda path, persons: [(None, "persons, a name")])
    out = tmp_path / "site" / "conscience.db"
    assert "a trace of a withheld person is still in the database" in build_fails(lists_raw, out)
    assert [path.name for path in out.parent.iterdir() if "release" in path.name] == []


@pytest.mark.slow
def test_withholding_a_record_only_keeps_the_person(lists_raw, tmp_path):
    withhold(lists_raw, ["cecc-ppd/2004-02138", "record only"])
    out = build(lists_raw, tmp_path / "out.db")
    assert rows(out, "SELECT id, name FROM persons WHERE name = 'Qin Yongmin'") == [("cppc-china-2", "Qin Yongmin")]
    assert rows(out, "SELECT count(*) FROM records WHERE source_id = 'cecc-ppd' AND upstream_id = '2004-02138'") == [(0,)]
    assert traces(out, ["2004-02138"]) == []


@pytest.mark.slow
def test_curated_text_naming_the_person_is_redacted(lists_raw, tmp_path):
    withhold(lists_raw, ["rfa-2021-04-22/nguyen-ngoc-gia"])
    out = build(lists_raw, tmp_path / "out.db")
    contexts = rows(out, "SELECT context FROM charge_citations WHERE context LIKE 'Named by%'")
    assert len(contexts) == 4 and all(c.startswith(f"Named by {NAME_MARKER}") for (c,) in contexts)
    assert traces(out, GIA[:2]) == []


@pytest.mark.slow
def test_a_curated_person_and_their_reprisal_leave_no_trace(lists_raw, tmp_path):
    withhold(lists_raw, ["ishr-endreprisals/marfa-rabkova"])
    out = build(lists_raw, tmp_path / "out.db")
    assert traces(out, RABKOVA + ["Rabkov"]) == []
    assert "rabkova" not in indexed_terms(out)


@pytest.mark.slow
def test_history_keeps_no_trace_after_an_id_change(lists_raw, tmp_path):
    persons = lists_raw / "rfa-2021-04-22" / "persons.csv"
    original = persons.read_text(encoding="utf-8")
    persons.write_text(original.splitlines()[0] + "\n", encoding="utf-8")  # r1: without him
    r1 = build(lists_raw, tmp_path / "r1" / "conscience.db", "--release-date", "2026-01-01")
    persons.write_text(original.replace("nguyen-ngoc-gia,", "ngoc-gia,", 1), encoding="utf-8")
    r2 = build(lists_raw, tmp_path / "r2" / "conscience.db", "--release-date", "2026-02-01", "--previous", str(r1))
    persons.write_text(original, encoding="utf-8")
    r3 = build(lists_raw, tmp_path / "r3" / "conscience.db", "--release-date", "2026-03-01", "--previous", str(r2))
    titles = [t for (t,) in rows(r3, "SELECT title FROM changes")]
    assert "Nguyen Ngoc Gia added (released)" in titles and "Nguyen Ngoc Gia is no longer listed" in titles
    withhold(lists_raw, ["person:nguyen-ngoc-gia"])
    r4 = build(lists_raw, tmp_path / "r4" / "conscience.db", "--release-date", "2026-04-01", "--previous", str(r3))
    assert [t for (t,) in rows(r4, "SELECT title FROM changes") if "Gia" in t] == []
    assert rows(r4, "SELECT count(*) FROM changes WHERE person_id IN ('ngoc-gia', 'nguyen-ngoc-gia')") == [(0,)]
    assert traces(r4, GIA) == []
    # Releases are counted afresh: the scrubbed history does not count what it removed.
    assert rows(r4, "SELECT released_on, changes FROM releases") == [
        ("2026-01-01", 0), ("2026-02-01", 0), ("2026-03-01", 0)]


@pytest.mark.slow
async def test_an_anonymous_case_is_published_without_name_or_narrative(lists_raw, tmp_path, metadata):
    withhold(lists_raw, ["person:cecc-ppd-2004-02138", "anonymous", "anonymous-3f9a1c"])
    out = build(lists_raw, tmp_path / "site" / "conscience.db")
    assert traces(out, QIN) == []
    (person,) = rows(out, "SELECT name, name_native, summary, place, coordinate_precision, name_withheld, birth_year "
                          "FROM persons WHERE id = 'anonymous-3f9a1c'")
    assert person == (WITHHELD_NAME, None, None, None, "province", 1, None)
    assert rows(out, "SELECT detained_on, detained_on_precision, sentence_months, place FROM detentions "
                     "WHERE person_id = 'anonymous-3f9a1c' AND detained_on IS NOT NULL") == [("2015-01", "month", 156.0, None)]
    assert rows(out, "SELECT DISTINCT upstream_ref FROM records WHERE person_id = 'anonymous-3f9a1c'") == [("withheld",)]
    page = await make_datasette(out, metadata).client.get("/person/anonymous-3f9a1c")
    assert page.status_code == 200 and WITHHELD_NAME in page.text.replace("&#39;", "'")
    assert "Qin" not in page.text and "2004-02138" not in page.text


@pytest.mark.slow
async def test_a_person_counted_only_is_counted_and_nowhere_else(lists_raw, tmp_path, metadata):
    withhold(lists_raw, ["person:cecc-ppd-2004-02138", "counts only"])
    out = build(lists_raw, tmp_path / "site" / "conscience.db")
    assert traces(out, QIN) == []
    assert rows(out, "SELECT country, status, persons FROM withheld_counts") == [("CN", "detained", 1)]
    home = await make_datasette(out, metadata).client.get("/")
    assert "counted but not published" in home.text


@pytest.mark.slow
def test_a_person_counted_only_still_counts_beside_the_sources_figures(lists_raw, tmp_path):
    def political_prisoners(db):
        return rows(db, "SELECT dataset_count FROM statistics_compared WHERE metric = 'political prisoners'")[0][0]

    published = political_prisoners(build(lists_raw, tmp_path / "all.db"))
    withhold(lists_raw, ["person:nguyen-lan-thang", "counts only"])
    out = build(lists_raw, tmp_path / "counted.db")
    assert traces(out, ["Nguyễn Lân Thắng", "Nguyen Lan Thang", "Lâng"]) == []
    assert political_prisoners(out) == published


@pytest.mark.slow
def test_the_last_check_stops_a_build_that_would_leak(lists_raw, tmp_path, monkeypatch):
    """Should redaction miss a trace, nothing is published: the check of the written file stops the build."""
    import scripts.link.withhold

    monkeypatch.setattr(scripts.link.withhold, "redact", lambda stage, persons: [])
    withhold(lists_raw, ["person:cecc-ppd-2004-02138"])
    out = tmp_path / "out.db"
    out.write_bytes(b"the previous release")
    with pytest.raises(SystemExit) as failure:
        build(lists_raw, out)
    assert "raw/withheld.csv, line 2, field 'record' — a trace of a withheld person is still in the database" \
        in str(failure.value)
    assert "Qin" not in str(failure.value)  # messages go to public CI logs: they never name the person
    assert out.read_bytes() == b"the previous release"


def person(names, ids=(), chinese=False, surnames=(), listed_in="raw/withheld.csv"):
    return Person(Request(Origin(listed_in, 2), "person:x", "withhold", None), set(), names=set(names),
                  ids=set(ids), surnames=set(surnames), chinese=chinese)


@pytest.mark.parametrize("text, expected", [
    ("Liu, a co-founder with Qin Yongmin, said Qin's lawyer", "Liu, a co-founder with [name withheld], said [name withheld]'s lawyer"),
    ("QIN YONG-MIN was held", "[name withheld] was held"),
    ('see <a href="http://x/?n=2138">Qin Yongmin</a> and <a href="http://x/?n=9">Liu</a>',
     'see [name withheld] and <a href="http://x/?n=9">Liu</a>'),
    ("Qinghai officials; Qin was not named", "Qinghai officials; Qin was not named"),  # a surname alone names nobody
    ("秦永敏的妻子", "[name withheld]的妻子"),
    ("record 2004-02138 and 2004-021385", "record [record withheld] and 2004-021385"),
])
def test_redaction_replaces_names_links_and_ids_only(text, expected):
    redactor = Redactor([person({"Qin Yongmin", "秦永敏"}, {"2004-02138"}, chinese=True, surnames={"qin"})])
    assert redactor.redact(text)[0] == expected


def test_two_persons_on_the_same_line_of_the_public_and_the_private_list_are_each_redacted_by_surname():
    redactor = Redactor([person({"Qin Yongmin"}, surnames={"qin"}),
                         person({"Tran Huynh Duy Thuc"}, surnames={"thuc"}, listed_in="/private/withheld.csv")])
    text, found = redactor.redact("Qin Yongmin wrote; later Qin said. Tran Huynh Duy Thuc agreed; Thuc was tried.")
    assert text == "[name withheld] wrote; later [name withheld] said. [name withheld] agreed; [name withheld] was tried."
    assert {line for line, _ in found} == {2}  # the maintainer's report names the line of each request


def test_redaction_folds_diacritics_and_leaves_english_words_alone():
    redactor = Redactor([person({"Nguyễn Văn Hé"}, surnames={"he"})])
    assert redactor.redact("Nguyen Van He said he was tired")[0] == "[name withheld] said he was tired"


# Issue 27: every person a reprisal case names, withheld at once, at each level; the cases' ids, report references
# and the pages of their own (an ISHR entry about them) go with them.

@pytest.fixture(scope="module")
def reprisal_targets(tmp_path_factory):
    """The curated sources' build withholding nobody, and how each person a reprisal case names is known in it:
    (raw folder, that build, {person id: their names, record addresses, report references and upstream ids})."""
    tmp = tmp_path_factory.mktemp("reprisal-targets")
    raw = copy_curated_raw(tmp / "raw")
    published = build(raw, tmp / "all.db", "--release-date", "2026-11-29")
    conn = sqlite3.connect(published)
    targets = sorted({p for (p,) in conn.execute("SELECT person_id FROM reprisals WHERE person_id IS NOT NULL")})
    in_set = json.dumps(targets)
    others_names = {n for (n,) in conn.execute("SELECT name FROM persons WHERE id NOT IN (SELECT value FROM "
                                               "json_each(?))", (in_set,))}
    own_cases = {c for (c,) in conn.execute(
        "SELECT case_id FROM reprisals GROUP BY case_id HAVING sum(person_id IS NULL OR person_id NOT IN "
        "(SELECT value FROM json_each(?))) = 0", (in_set,))}
    shared = set()  # pages that rows about anyone else cite too: they stay those rows' source
    for name, table in TABLES.items():
        if not table.provenance or name == "records":
            continue
        cursor = conn.execute(f"SELECT * FROM [{name}]")
        for row in (dict(zip([d[0] for d in cursor.description], values)) for values in cursor):
            theirs = (row.get("person_id") in targets or (name == "persons" and row["id"] in targets)
                      or (name == "cases" and row["id"] in own_cases) or row.get("case_id") in own_cases)
            if not theirs:
                shared |= set((row["upstream_ref"] or "").split("; "))
    known = {}
    for person in targets:
        names = {n for (name, native, alternates) in conn.execute(
            "SELECT name, name_native, alternate_names FROM persons WHERE id = ?", (person,))
            for n in (name, native, *json.loads(alternates or "[]")) if n and len(n) > 5 and n not in others_names}
        addresses = {url for (url,) in conn.execute("SELECT url FROM records WHERE person_id = ?", (person,))
                     if url and url not in shared}
        references = {ref for (ref,) in conn.execute(
            "SELECT c.sg_case_reference FROM cases c WHERE c.sg_case_reference IS NOT NULL AND c.id IN "
            "(SELECT case_id FROM reprisals WHERE person_id = ?) AND NOT EXISTS (SELECT 1 FROM reprisals r WHERE "
            "r.case_id = c.id AND (r.person_id IS NULL OR r.person_id NOT IN (SELECT value FROM json_each(?))))",
            (person, in_set))}
        upstream = {u for (u,) in conn.execute("SELECT upstream_id FROM records WHERE person_id = ?", (person,))
                    if len(u) >= 6 and not u.isdigit()}
        known[person] = names | addresses | references | upstream
    conn.close()
    return raw, published, known


def leaks(path, known):
    """{person: the ways they are known that are still in the file}."""
    found = {person: traces(path, sorted(words)) for person, words in known.items()}
    return {person: words for person, words in found.items() if words}


@pytest.mark.slow
@pytest.mark.parametrize("level", ["anonymous", "withhold"])
def test_every_person_a_reprisal_case_names_can_be_withheld_at_once(reprisal_targets, tmp_path, level):
    raw, published, known = reprisal_targets
    assert len(known) >= 40 and leaks(published, known) == {p: traces(published, sorted(w)) for p, w in known.items()}
    withhold(raw, *([f"person:{person}", level, f"anonymous-t{n}" if level == "anonymous" else ""]
                    for n, person in enumerate(sorted(known))))
    out = build(raw, tmp_path / "out.db")
    assert leaks(out, known) == {}
    if level == "anonymous":
        assert rows(out, "SELECT count(*) FROM persons WHERE name_withheld = 1") == [(len(known),)]
        assert rows(out, "SELECT count(*) FROM cases WHERE sg_case_reference IS NULL AND upstream_ref = 'withheld' "
                         "AND title LIKE '%withheld%'")[0][0] >= 20


@pytest.mark.slow
async def test_the_issues_three_persons_leave_no_trace_on_any_page_with_the_history(reprisal_targets, tmp_path,
                                                                                  metadata):
    """Alkhawaja and Cao Shunli anonymous, Jiang Tianyong withheld, in one build that records changes since the last."""
    raw, published, known = reprisal_targets
    three = {"abdulhadi-alkhawaja", "cao-shunli", "jiang-tianyong"}
    assert three <= set(known)
    withhold(raw, ["person:abdulhadi-alkhawaja", "anonymous", "anonymous-a1"],
             ["person:cao-shunli", "anonymous", "anonymous-c2"], ["person:jiang-tianyong"])
    out = build(raw, tmp_path / "site" / "conscience.db", "--previous", str(published), "--release-date", "2026-12-06")
    assert leaks(out, {p: known[p] for p in three}) == {}
    ds = make_datasette(out, metadata)
    words = sorted({w for p in three for w in known[p]})
    for path in ["/", "/conscience/cases", "/conscience/reprisals", "/conscience/changes", "/search?q=Khawaja",
                 "/person/anonymous-a1", "/person/anonymous-c2", "/conscience/feed_changes.atom", "/about"]:
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        assert [w for w in words if w.lower() in response.text.lower()] == [], path


@pytest.mark.slow
def test_a_name_on_a_private_line_that_is_not_the_records_stops_the_build(lists_raw, tmp_path, monkeypatch):
    """A typo in a record id may be another real id: the name beside it tells (the message names neither)."""
    private = tmp_path / "private-withheld.csv"
    private.write_text("record,level,public_id,name,note\nperson:cecc-ppd-2004-02138,,,Qin Yongmin,\n")
    monkeypatch.setenv("CONSCIENCE_WITHHELD", str(private))
    assert traces(build(lists_raw, tmp_path / "out.db"), QIN) == []
    private.write_text("record,level,public_id,name,note\nperson:cecc-ppd-2004-02138,,,Qin Yongming,\n")
    message = build_fails(lists_raw, tmp_path / "again.db")
    assert f"{private}, line 2, field 'name'" in message and "not a name of the person" in message
    assert "Qin" not in message
    withhold(lists_raw, ["person:cecc-ppd-2004-02138", "", "", "", "Qin Yongmin"])
    monkeypatch.delenv("CONSCIENCE_WITHHELD")
    (lists_raw / "withheld.csv").write_text("record,level,public_id,note,name\nperson:cecc-ppd-2004-02138,,,,"
                                            "Qin Yongmin\n")
    assert "would be published with the repository" in build_fails(lists_raw, tmp_path / "public.db")


def test_no_served_file_names_a_real_person(conn):
    """Templates (with their translations and vocabularies) and metadata.yml give no real person as an example:
    were that person withheld, every page would name them."""
    from scripts.common import fold
    from scripts.link.withhold import served_files

    names = set()
    for name, native in conn.execute("SELECT name, name_native FROM persons"):
        names |= {n for n in (native,) if n and CJK.search(n) and len(n) >= 3}
        if name and len(fold(name).split()) >= 2 and len(fold(name)) >= 9:
            names.add(fold(name).lower())
    for path in served_files():
        text = path.read_text(encoding="utf-8")
        folded = fold(text).lower()
        found = [n for n in names if (n in text if CJK.search(n) else re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])",
                                                                                 folded))]
        assert found == [], path
