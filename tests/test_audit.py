"""The audit of cited web pages (issue 32 §4), over every row of every `kind: cited web pages` source in raw/:
each row cites pages of its source's sites, no date comes after the day its page was read, each date says only as
much as the page (YYYY, YYYY-MM or YYYY-MM-DD), every person has a dated fact, summaries are our own words, and the
audit trail of docs/audit/ holds the page's words for each person added and every page read.

The audit trail began at commit eccbd9a: rows that existed then (docs/audit/rows-before-the-trail.csv) were read
before it and are exempt from its two rules (a quote line for each person, a probe line for each page); every
other rule holds for them too."""

import re

import pytest

from scripts.read.curated import host_of
from scripts.schema import TABLES
from tests.audit_data import (
    CITED,
    TRAIL_STARTED_AT,
    added_since_trail,
    address_dates,
    cited_rows,
    folded_words,
    not_after,
    parse_with_precision,
    probed,
    quotes,
    record_of,
    rows_at_commit,
    rows_before_trail,
    rows_of,
    same_page,
    shared_run,
)
from tests.audit_sample import SAMPLE, sample_markdown

# --- 1. addresses ------------------------------------------------------------------------------------------------


def sites_of(source):
    return {host_of("//" + site) for site in CITED[source]["sites"]}


def test_every_row_cites_web_pages_of_its_sources_sites():
    wrong = [(row.where, url) for row in cited_rows() for url in row.urls
             if not re.fullmatch(r"https?://[^\s/]+\S*", url) or host_of(url) not in sites_of(row.source)]
    assert len(cited_rows()) > 2000 and wrong == []


# --- 2. nothing after the day the page was read -----------------------------------------------------------------

# Every date column of the schema is a fact a page states, as of the day it was read, except the end of a sentence,
# which a page may give ahead of time (The 88 Project: "expected release 24 July 2037").
FORECASTS = {"sentence_ends_on"}


def date_columns(table):
    return [c.name for c in TABLES[table].columns if c.kind == "date" and c.name not in FORECASTS]


def row_dates(row):
    return {column: row.values[column] for column in date_columns(row.table) if row.values.get(column)}


def test_no_date_in_a_row_is_after_the_day_its_page_was_read():
    later = [(row.where, column, value, row.values["accessed"]) for row in cited_rows()
             for column, value in row_dates(row).items() if not not_after(value, row.values["accessed"])]
    assert later == []


def test_no_pages_address_carries_a_date_after_the_day_it_was_read():
    dated = [(row, url, found) for row in cited_rows() for url in row.urls for found in address_dates(url)]
    assert len(dated) > 500  # most addresses carry their date (/2019/05/12/, RFA's -08232016154513.html)
    later = [(row.where, url, found) for row, url, found in dated if not not_after(found, row.values["accessed"])]
    assert later == []


@pytest.mark.parametrize("url, dates", [
    ("https://vietnamhumanrightsdefenders.net/2019/05/12/x/", ["2019-05-12"]),
    ("https://thevietnamese.org/2019/02/vietnamese-police-questioned", ["2019-02"]),
    ("http://projectshield.en.minghui.org/html/articles/2011/4/7/124273p.html", ["2011-04-07"]),
    ("https://www.rfa.org/english/news/vietnam/facebook-08232016144851.html", ["2016-08-23"]),
    ("https://www.rfa.org/english/news/108618-20030620.html", ["2003-06-20"]),
    ("https://tengview.rfaweb.org/english/news/vietnam/dinh-dang-dinh-04042014174042.html", ["2014-04-04"]),
    ("https://www.amnesty.org/en/latest/news/2009/06/lawyer-arrested-viet-nam-20090616/", ["2009-06", "2009-06-16"]),
    ("https://www.latimes.com/california/story/2020-10-28/michael-nguyen", ["2020-10-28"]),
    ("https://vietnamhumanrights.net/website/Pravda_111805.htm", ["2005-11-18"]),
    ("https://www.vietnamhumanrights.net/website/240429_RFA.htm", ["2024-04-29"]),
    ("https://the88project.org/vietnam-free-expression-newsletter-no-282017-week-of-september-4-10/", ["2017"]),
    ("https://www.aljazeera.com/news/asia-pacific/2010/01/201012952639939714.html", ["2010-01"]),
    ("https://hm.beport.app/?p=74342", []),  # a post number
    ("https://persecution.org/?p=20190512", []),  # a query is never read, even when its number looks like a date
    ("https://dangdcnd.blogspot.com/2009/11/x.html?showComment=1262858435692", ["2009-11"]),  # a comment's clock
    ("https://en.vietnamplus.vn/two-detained-for-antistate-propaganda/199817.vnp", []),
    ("https://e.vnexpress.net/news/news/four-get-up-to-10-years-in-prison-4255920.html", []),
    ("https://www.rfa.org/english/news/vietnam/sentenced-13452011155230.html", []),  # no 13th month
])
def test_the_dates_an_address_carries(url, dates):
    assert address_dates(url) == dates


# --- 3. each date as precise as its page --------------------------------------------------------------------------

def test_every_date_is_a_real_day_month_or_year():
    unparsed = [(row.where, column, value) for row in cited_rows() for column, value in row_dates(row).items()
                if not parse_with_precision(value)]
    assert unparsed == []


# A note saying the page gives no day (or no date at all) for the row's date: the date then stops at the month or
# the year (the brief: "write only what the page says ... never invent a day").
NO_DAY = re.compile(r"\b(day|date)\b[^;.]*\b(is|are) (not given|unknown|left out)\b|\bgives no (exact )?(day|date)\b"
                    r"|\bno exact (day|date)\b|\bdoes not say which day\b|\bonly (the|a) month\b", re.IGNORECASE)


def test_no_day_where_the_note_says_the_page_gives_none():
    noted = [row for row in cited_rows() if NO_DAY.search(row.values.get("date_note") or "")]
    assert len(noted) >= 10
    invented = [(row.where, row.values["date"], row.values["date_note"]) for row in noted
                if row.values["date"] and parse_with_precision(row.values["date"])[1] == "day"]
    assert invented == []


# --- 4. every person has a dated fact ---------------------------------------------------------------------------

# A person is in the dataset for something that happened to them on a day, month or year a page gives: a detention
# (arrested, sentenced, released, or a term ending, on a date), a dated event (arrest, trial, appeal, release,
# transfer, death) or a dated reprisal, or a reprisal in a case of the Secretary-General's report of a given year
# (the report is the UN's dated record of the reprisal). A status's date (status_as_of) does not count: it is the
# date of the page, which every row has, not of anything that happened to the person. The person is the one the
# database holds: a fact from any of the pages joined to them (raw/links.csv) counts, since that page states it.
DATED_PERSONS = """
    SELECT person_id FROM detentions
     WHERE coalesce(detained_on, sentenced_on, released_on, sentence_ends_on) IS NOT NULL
    UNION SELECT person_id FROM events WHERE date IS NOT NULL
    UNION SELECT person_id FROM reprisals WHERE date IS NOT NULL
    UNION SELECT r.person_id FROM reprisals r JOIN cases c ON c.id = r.case_id WHERE c.sg_report_year IS NOT NULL"""


def test_every_person_of_a_cited_page_has_a_dated_fact(conn):
    cited = conn.execute("SELECT DISTINCT person_id FROM records WHERE source_id IN (%s)" % ", ".join("?" * len(CITED)),
                         list(CITED)).fetchall()
    dated = {row[0] for row in conn.execute(DATED_PERSONS)}
    assert len(cited) > 500  # a floor: the audit must read the Vietnam and reprisal persons, not none
    assert sorted(person for (person,) in cited if person not in dated) == []


# --- 5. summaries in our own words --------------------------------------------------------------------------------

OWN_WORDS = ("summary", "description", "date_note", "title")  # the columns we write: never the page's sentences
COPIED_RUN = 12  # words in a row (the brief asks for fewer than 8; the audit fails at 12)


def page_words_of(row):
    """The page's words docs/audit/quotes.csv keeps for this row's records and for the pages it cites."""
    subjects, pages = row.subjects(), {same_page(url) for url in row.urls}
    return [q["quote"] for q in quotes() if record_of(q) in subjects or same_page(q["source_url"]) in pages]


def test_no_summary_or_description_copies_twelve_words_of_its_pages():
    copied = []
    for row in cited_rows():
        texts = [row.values[c] for c in OWN_WORDS if row.values.get(c)]
        if texts and (words := page_words_of(row)):
            copied += [(row.where, run) for text in texts if (run := shared_run(text, words, COPIED_RUN))]
    assert copied == []


def test_folded_words_set_case_punctuation_and_diacritics_aside():
    assert folded_words("Nguyễn Văn Đài's, “ARTICLE 117”") == ["nguyen", "van", "dai", "s", "article", "117"]
    assert shared_run("He was, in fact, Sentenced to nine years", ["sentenced to nine years."], 4) == (
        "sentenced to nine years")


# --- 6. the audit trail -------------------------------------------------------------------------------------------

# Every person added since the trail began (all of them for Vietnam or the UN's reprisal cases, issue 32) has at
# least one line of its page's words; rows older than the trail are exempt (module docstring).
def test_every_person_added_since_the_trail_began_has_the_pages_words():
    quoted = {q["record_id"] for q in quotes()}
    added = [row for row in rows_of("persons") if added_since_trail(row)]
    assert len(added) > 500
    assert [row.where for row in added if f"{row.source}/{row.key}" not in quoted] == []


def test_every_page_cited_since_the_trail_began_was_probed():
    read = {same_page(p["url"]) for p in probed()}
    unlogged = {(row.source, url) for row in cited_rows() if added_since_trail(row) for url in row.urls
                if same_page(url) not in read}
    assert sorted(unlogged) == []


def quote_fits_its_row(quote, row):
    return (row is not None and record_of(quote) in row.subjects() and quote["quote"].strip()
            and same_page(quote["source_url"]) in {same_page(url) for url in row.urls})


def test_each_quote_line_names_a_row_that_cites_its_page():
    rows = {(row.table, row.key): row for row in cited_rows()}
    wrong = [(q["record_id"], q["table"], q["row_id"], q["source_url"]) for q in quotes()
             if not quote_fits_its_row(q, rows.get((q["table"], q["row_id"])))]
    assert len(quotes()) > 600 and wrong == []


def test_the_rows_before_the_trail_are_those_of_its_first_commit():
    at_commit = rows_at_commit(TRAIL_STARTED_AT)
    if at_commit is None:
        pytest.skip(f"git or commit {TRAIL_STARTED_AT} not available (a shallow clone)")
    assert rows_before_trail() == at_commit


# --- the sample a reviewer reads ----------------------------------------------------------------------------------

def test_the_vietnam_sample_is_what_its_script_makes():
    assert SAMPLE.read_text(encoding="utf-8") == sample_markdown(), "run: .venv/bin/python -m tests.audit_sample"
