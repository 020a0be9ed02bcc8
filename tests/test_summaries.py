"""Biographies and names as readers see them: text with its links, no markup, no name made of question marks."""

import html
import html.entities
import json
import re

from scripts.derive import text_and_links

LIU_XIAOBO = "cecc-ppd-2004-03114"
TAG = re.compile(r"</?[A-Za-z][^>]*>")
ENTITY = re.compile(r"&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
NAMED_ENTITIES = {name.rstrip(";") for name in html.entities.html5}


def markup_in(text):
    """A tag or an HTML entity (a real one: CECC's 'T&QAP;' is upstream text) left in a text."""
    entity = next((m.group(0) for m in ENTITY.finditer(text or "")
                   if m.group(1).startswith("#") or m.group(1) in NAMED_ENTITIES), None)
    tag = TAG.search(text or "")
    return tag.group(0) if tag else entity


def test_a_summary_becomes_text_and_its_http_links():
    text, links = text_and_links('The court <A HREF="http://www.cecc.gov/a?x=1&amp;y=2">sentenced</A> '
                                 "him to 11 years for &quot;inciting subversion&quot;.")
    assert text == 'The court sentenced him to 11 years for "inciting subversion".'
    assert json.loads(links) == [{"text": "sentenced", "url": "http://www.cecc.gov/a?x=1&y=2"}]


def test_scripts_other_tags_and_other_addresses_leave_only_text():
    text, links = text_and_links('<script>alert(1)</script><b onmouseover=alert(4)>bold</b> '
                                 '<a href="javascript:alert(3)">here</a> <a href="/relative">there</a> '
                                 '<a href="hhttp://typo">typo</a> <img src=x onerror=alert(2)>&nbsp;end')
    assert text == "bold here there typo \xa0end" and links is None


def test_plain_text_stays_as_written():
    assert text_and_links("Fees < 5 & costs > 2; AT&T T&QAP; ok") == ("Fees < 5 & costs > 2; AT&T T&QAP; ok", None)


def test_no_summary_shows_a_tag_or_an_entity(conn):
    left = [(pid, markup_in(summary)) for pid, summary in conn.execute("SELECT id, summary FROM persons")
            if markup_in(summary)]
    assert left == []
    with_links = conn.execute("SELECT count(*) FROM persons WHERE summary_links IS NOT NULL").fetchone()[0]
    assert with_links > 4000  # about 45% of CECC's narratives link their sources
    for (links,) in conn.execute("SELECT summary_links FROM persons WHERE summary_links IS NOT NULL"):
        assert all(re.match(r"https?:", link["url"]) for link in json.loads(links))


def test_liu_xiaobos_summary_is_text_with_its_links_and_the_upstream_text_is_kept(conn):
    summary, links = conn.execute("SELECT summary, summary_links FROM persons WHERE id = ?", (LIU_XIAOBO,)).fetchone()
    assert summary.startswith("On December 25, 2009, the Beijing No. 1 Intermediate People’s Court sentenced "
                              "prominent intellectual Liu Xiaobo to 11 years in prison")
    assert {"text": "Charter 08", "url": "http://www.cecc.gov/pages/virtualAcad/index.phpd?showsingle=115517"} \
        in json.loads(links)
    (raw,) = conn.execute("SELECT json_extract(raw, '$.short_summary') FROM records WHERE id = 'cecc-ppd/2004-03114'")\
        .fetchone()
    assert '<A HREF="http://www.cecc.gov/pages/virtualAcad/index.phpd?showsingle=115517">Charter 08</A>' in raw


async def test_the_person_page_links_the_summarys_words(ds):
    page = (await ds.client.get(f"/person/{LIU_XIAOBO}")).text
    summary = page.split('<p class="summary"')[1].split(">", 1)[1].split("</p>")[0]
    assert '<a href="http://www.cecc.gov/pages/virtualAcad/index.phpd?showsingle=115517" rel="nofollow noopener">' \
           'Charter 08</a>' in summary
    shown = html.unescape(re.sub(r'<a href="https?://[^"<>]*" rel="nofollow noopener">|</a>', "", summary))
    assert markup_in(shown) is None and shown.endswith("died on July 13, 2017.")
    assert "&lt;A HREF" not in page.split("<h2>Sources</h2>")[0]


async def test_tables_json_and_csv_give_the_summary_as_text(ds):
    row = (await ds.client.get(f"/conscience/persons/{LIU_XIAOBO}.json?_shape=array")).json()[0]
    assert markup_in(row["summary"]) is None and "Charter 08" in row["summary"]
    table = (await ds.client.get(f"/conscience/persons?id={LIU_XIAOBO}")).text
    assert "&lt;A HREF" not in table and "&amp;rsquo;" not in table
    csv = (await ds.client.get(f"/conscience/persons.csv?id={LIU_XIAOBO}")).text
    assert "<A HREF" not in csv


def test_no_name_is_made_only_of_question_marks(conn):
    lost = re.compile(r"^[?？\s]+$")
    for pid, name, native, alternates in conn.execute("SELECT id, name, name_native, alternate_names FROM persons"):
        for written in [name, native, *json.loads(alternates or "[]")]:
            assert not lost.match(written or "x"), (pid, written)
    assert not any(lost.match(n) for (n,) in conn.execute("SELECT name_as_written FROM records"))
    # Qin Yongmin's other names are all lost upstream: recorded as a problem, and kept as given in records.raw.
    assert conn.execute("SELECT alternate_names FROM persons WHERE id = 'cecc-ppd-2004-02138'").fetchone() == (None,)
    assert {value for (value,) in conn.execute("SELECT raw_value FROM data_quality WHERE upstream_id = '2004-02138' "
                                               "AND field = 'additional.name.s.'")} == {"??", "???"}
    assert conn.execute("SELECT count(*) FROM persons_fts WHERE persons_fts MATCH '\"??\"'").fetchone() == (0,)
