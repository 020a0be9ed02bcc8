"""Changes between releases and the feeds made from them, on a small synthetic fixture.

SYNTHETIC TEST DATA: the "test-synthetic" source below invents people and organisations for these
tests only. It is written into a temporary copy of raw/ and never reaches the published database.
"""

import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from scripts.build import main
from scripts.write.release import folder_of

from .conftest import check_atom_feed, copy_curated_raw, make_datasette

SOURCE_YML = """id: test-synthetic
title: Synthetic test fixture (not real data)
publisher: Conscience tests
licence: Test fixture
as_of: "2026-01-01"
language: en
kind: test fixture
description: Invented records for testing changes and feeds. Not real people.
"""
PERSONS = "id,name,country,status,source_line\n"
STATE_1 = {
    "persons.csv": PERSONS + "synthetic-a,Synthetic Person A,VN,detained,1\nsynthetic-c,Synthetic Person C,VN,unknown,2\n",
    "detentions.csv": "id,person_id,kind,detained_on,source_line\nsynthetic-a-1,synthetic-a,detention,2025-05,1\n",
    "campaigns.csv": "id,title,kind,country,description,source_line\n"
                     "synthetic-campaign,Synthetic Campaign,petition,VN,A test petition.,3\n",
    "signatures.csv": "campaign_id,name_as_written,source_line\nsynthetic-campaign,Synthetic Org One,4\n",
}
STATE_2 = {  # one release, one new arrest (with a charge), one new signatory, one status correction
    **STATE_1,
    "persons.csv": PERSONS + "synthetic-a,Synthetic Person A,VN,released,1\nsynthetic-c,Synthetic Person C,VN,at risk,2\n"
                             "synthetic-b,Synthetic Person B,VN,detained,5\n",
    "detentions.csv": STATE_1["detentions.csv"] + "synthetic-b-1,synthetic-b,detention,2026-01-15,5\n",
    "detention_charges.csv": "detention_id,charge_id,charge_as_written,source_line\n"
                             "synthetic-b-1,VN-PC2015-117,Article 117,5\n",
    "signatures.csv": STATE_1["signatures.csv"] + "synthetic-campaign,Synthetic Org Two,6\n",
}
STATE_3 = {**STATE_2, "signatures.csv": STATE_2["signatures.csv"] + "synthetic-campaign,Synthetic Org Three,7\n"}
EXPECTED_RELEASE_2 = {
    ("status changed", "synthetic-a", None, "detained", "released"),
    ("status changed", "synthetic-c", None, "unknown", "at risk"),
    ("person added", "synthetic-b", None, None, "detained"),
    ("new detention", "synthetic-b", None, None, "2026-01-15"),
    ("new charge", "synthetic-b", None, None, "VN-PC2015-117"),
    ("new signatory", None, "synthetic-org-two", None, "Synthetic Org Two"),
}


def release(raw, tmp_path, state, date, previous=None):
    folder = raw / "test-synthetic"
    folder.mkdir(exist_ok=True)
    (folder / "source.yml").write_text(SOURCE_YML)
    for old in folder.glob("*.csv"):
        old.unlink()
    for name, text in state.items():
        (folder / name).write_text(text)
    out = tmp_path / date / "conscience.db"
    out.parent.mkdir(parents=True, exist_ok=True)
    main(["--raw", str(raw), "--out", str(out), "--release-date", date,
          *(["--previous", str(previous)] if previous else [])])
    return out


def changes(db, date=None):
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT change_type, person_id, organization_id, old_value, new_value, released_on, id "
                        "FROM changes").fetchall()
    return {row[:5] for row in rows if date is None or row[5] == date}, {row[6] for row in rows}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("releases")
    raw = copy_curated_raw(tmp / "raw")
    first = release(raw, tmp, STATE_1, "2026-01-01")
    second = release(raw, tmp, STATE_2, "2026-02-01", previous=first)
    again = release(raw, tmp / "again", STATE_2, "2026-02-01", previous=first)
    third = release(raw, tmp, STATE_3, "2026-03-01", previous=second)
    # A second source, first in priority (the lowest number), lists A too, and a maintainer links the two: A's id
    # becomes its.
    other = raw / "test-synthetic-2"
    other.mkdir()
    (other / "source.yml").write_text(SOURCE_YML.replace("test-synthetic", "test-synthetic-2") + "priority: -1\n")
    (other / "persons.csv").write_text(PERSONS + "synthetic-a2,Synthetic Person A,VN,released,1\n")
    links = raw / "links.csv"
    links.write_text(links.read_text(encoding="utf-8") + "test-synthetic/synthetic-a,test-synthetic-2/synthetic-a2,"
                     "same,SYNTHETIC: the same invented person\n", encoding="utf-8")
    linked = release(raw, tmp, STATE_3, "2026-04-01", previous=third)
    return first, second, again, third, linked


def test_the_first_release_has_no_changes(releases):
    assert changes(releases[0]) == (set(), set())


def test_the_second_release_records_exactly_what_changed(releases):
    assert changes(releases[1], "2026-02-01")[0] == EXPECTED_RELEASE_2


def test_rebuilding_a_release_gives_the_same_rows_ids_and_bytes(releases):
    _, second, again, *_ = releases
    assert changes(second)[1] == changes(again)[1]
    assert second.read_bytes() == again.read_bytes()


def test_history_accumulates_across_releases(releases):
    third = releases[3]
    assert changes(third, "2026-02-01")[0] == EXPECTED_RELEASE_2
    assert changes(third, "2026-03-01")[0] == {
        ("new signatory", None, "synthetic-org-three", None, "Synthetic Org Three")}
    assert changes(releases[1])[1] <= changes(third)[1]


def atom_entries(text):
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(text.encode("utf-8"))  # the feed is well-formed XML
    return [(e.find("a:id", ns).text, e.find("a:title", ns).text, e.find("a:link", ns).get("href"))
            for e in root.findall("a:entry", ns)]


async def test_feeds_list_what_the_sources_date_and_the_changes_with_stable_ids_and_links(releases, metadata):
    ds = make_datasette(releases[1], metadata)
    for feed in ["feed_new_arrests", "feed_releases", "feed_changes", "feed_events"]:
        check_atom_feed((await ds.client.get(f"/conscience/{feed}.atom")).content)
    arrests = atom_entries((await ds.client.get("/conscience/feed_new_arrests.atom")).text)
    assert [(title, link) for _, title, link in arrests if title.startswith("Synthetic")] == [
        ("Synthetic Person B detained, 2026-01-15", "http://localhost/person/synthetic-b"),  # absolute, for readers
        ("Synthetic Person A detained, 2025-05", "http://localhost/person/synthetic-a")]  # newest first, as dated
    text = (await ds.client.get("/conscience/feed_new_arrests.atom")).text
    assert re.search(r"Synthetic Person B detained, 2026-01-15 \(to the day, as the source gives it\)\. Source: "
                     r"test-synthetic, line 5\. Added to the dataset in release 2026-02-01-\w+\.", text)
    assert re.search(r"Synthetic Person A detained, 2025-05 \(to the month, as the source gives it\)\. Source: "
                     r"test-synthetic, line 1\. Added to the dataset in release 2026-01-01-\w+\.", text)
    freed = atom_entries((await ds.client.get("/conscience/feed_releases.atom?country=VN")).text)
    assert [title for _, title, _ in freed if title.startswith("Synthetic")] == ["Synthetic Person A: detained → released"]
    everything = atom_entries((await ds.client.get("/conscience/feed_changes.atom")).text)
    assert len([i for i, _, _ in everything if i.startswith("urn:conscience:change-")]) == 6  # the six changes
    elsewhere = atom_entries((await ds.client.get("/conscience/feed_changes.atom?country=CN")).text)
    assert not [i for i, _, _ in elsewhere if i.startswith("urn:conscience:change-")]  # no change in CN
    again = make_datasette(releases[2], metadata)
    assert atom_entries((await again.client.get("/conscience/feed_changes.atom")).text) == everything
    jsonfeed = (await ds.client.get("/conscience/feed_new_arrests.jsonfeed")).json()
    assert jsonfeed["items"][0]["url"].endswith("/person/synthetic-b")


async def test_the_events_feed_is_valid_and_filterable(ds):
    response = await ds.client.get("/conscience/feed_events.atom?country=EG")
    entries = atom_entries(response.text)
    assert any("Working Group on Arbitrary Detention" in (title + link) or "un opinion" in title
               for _, title, link in entries)


def test_an_id_that_went_is_recorded_with_the_id_that_has_its_records(releases):
    linked = changes(releases[4], "2026-04-01")[0]
    assert linked == {("id changed", "synthetic-a2", None, "synthetic-a", "synthetic-a2")}  # nobody added or removed


async def test_an_old_person_address_leads_to_the_page_that_has_their_records(releases, metadata):
    ds = make_datasette(releases[4], metadata)
    (old, new), = sqlite3.connect(releases[4]).execute(
        "SELECT old_value, new_value FROM changes WHERE change_type = 'id changed'").fetchall()
    response = await ds.client.get(f"/person/{old}?_lang=vi")
    assert response.status_code == 301 and response.headers["location"] == f"/person/{new}?_lang=vi"
    assert (await ds.client.get(f"/person/{new}")).status_code == 200
    assert (await ds.client.get("/person/synthetic-nobody")).status_code == 404


def release_ids(db):
    return sqlite3.connect(db).execute("SELECT released_on, id FROM releases ORDER BY released_on").fetchall()


def test_each_release_has_an_id_and_a_rebuild_gives_the_same_files(releases):
    first, second, again, third, _ = releases
    ids = release_ids(third)
    assert [day for day, _ in ids] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert all(re.fullmatch(rf"{day}-[0-9a-f]{{8}}", id) for day, id in ids) and ids[:2] == release_ids(second)
    assert release_ids(again) == release_ids(second)
    files, files_again = (folder_of(db) / release_ids(db)[-1][1] for db in (second, again))
    assert sorted(p.name for p in files.iterdir()) == sorted(p.name for p in files_again.iterdir())
    assert all((files / p.name).read_bytes() == p.read_bytes() for p in files_again.iterdir())


async def test_an_earlier_release_s_files_are_where_it_was_archived(releases, metadata, monkeypatch):
    third = releases[3]
    (_, earlier), _, (_, current) = release_ids(third)
    ds = make_datasette(third, metadata)
    page = (await ds.client.get("/releases")).text
    assert earlier in page and current in page and f"/releases/{current}/persons.csv" in page
    gone = await ds.client.get(f"/releases/{earlier}/persons.csv")
    assert gone.status_code == 404 and f"GitHub release {earlier}" in gone.text
    monkeypatch.setenv("CONSCIENCE_ARCHIVE", "https://github.com/example/conscience/releases")
    moved = await ds.client.get(f"/releases/{earlier}/persons.csv")
    assert moved.status_code == 302
    assert moved.headers["location"] == f"https://github.com/example/conscience/releases/download/{earlier}/persons.csv"
    assert f'href="https://github.com/example/conscience/releases/tag/{earlier}"' in (
        await ds.client.get("/releases", headers={"cookie": "made=anew"})).text
