"""What the audit of cited web pages reads: every row of every `kind: cited web pages` source in raw/, the audit
trail of docs/audit/ (quotes.csv: the page's words beside a record; probed.csv: every page read), and the dates a
page's address carries. Used by tests/test_audit.py and tests/audit_sample.py."""

import csv
import io
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from urllib.parse import urlsplit

import yaml
from anyascii import anyascii

from scripts.read import RAW, ROOT, split_list
from scripts.read.curated import CITED_PAGES, host_of

AUDIT = ROOT / "docs" / "audit"
QUOTES = AUDIT / "quotes.csv"
PROBED = AUDIT / "probed.csv"
# The audit trail began at commit eccbd9a (docs/audit/ created empty, 2026-12-06). The rows of cited pages that
# existed then were read before it (accessed 2026-11-29) and have no quote or probe line: this file lists them
# (source, table, row key), so the trail's rules exempt exactly those rows and no row added later.
BEFORE_TRAIL = AUDIT / "rows-before-the-trail.csv"
TRAIL_STARTED_AT = "eccbd9a"

CITED = {path.parent.name: meta for path in sorted(RAW.glob("*/source.yml"))
         if (meta := yaml.safe_load(path.read_text(encoding="utf-8"))).get("kind") == CITED_PAGES}


@dataclass(frozen=True)
class Row:
    source: str
    table: str
    values: dict

    @property
    def key(self):
        """The row's id; a detention's charge has none of its own, so `detention_id/charge_id`."""
        return self.values.get("id") or f"{self.values['detention_id']}/{self.values['charge_id']}"

    @property
    def urls(self):
        return split_list(self.values["source_url"])

    @property
    def where(self):
        return f"raw/{self.source}/{self.table}.csv {self.key}"

    def subjects(self):
        """The ids this row is about: its own, and the person, case or organisation it belongs to. A quote line's
        record (`source/id`) names one of them; its source may be another folder's (a Defend the Defenders record
        with an event read on hm.beport.app's copy), ids being unique across the dataset."""
        return {self.values[c] for c in ("id", "person_id", "case_id", "organization_id") if self.values.get(c)}


def record_of(quote):
    """The id a quote line's record (`source/id`) names."""
    return quote["record_id"].split("/", 1)[-1]


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def cited_rows():
    return tuple(Row(source, path.stem, values) for source in CITED for path in sorted((RAW / source).glob("*.csv"))
                 for values in read_rows(path))


def rows_of(table):
    return [row for row in cited_rows() if row.table == table]


@cache
def quotes():
    return tuple(read_rows(QUOTES))


@cache
def probed():
    return tuple(read_rows(PROBED))


@cache
def rows_before_trail():
    return frozenset((r["source"], r["table"], r["row_key"]) for r in read_rows(BEFORE_TRAIL))


def added_since_trail(row):
    return (row.source, row.table, row.key) not in rows_before_trail()


def same_page(url):
    """An address as a page: scheme, `www.` and a trailing slash aside."""
    parts = urlsplit(url.strip())
    return host_of(url) + parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


# --- dates ---------------------------------------------------------------------------------------------------------

PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_with_precision(text):
    """(iso, 'year'|'month'|'day') for YYYY, YYYY-MM or YYYY-MM-DD naming a real day of the calendar, else None."""
    match = PARTIAL_DATE.fullmatch(text)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return text, "day" if day else "month" if month else "year"


def not_after(partial, day):
    """A partial date (its first day) is on or before a full date."""
    return partial <= day[:len(partial)]


def iso(year, month=None, day=None):
    """The partial date of these parts, or None if they name no real day (numbers that only look like a date)."""
    parts = [int(year)] + [int(part) for part in (month, day) if part is not None]
    if not 1990 <= parts[0] <= 2099:
        return None
    text = "-".join([f"{parts[0]:04d}", *(f"{part:02d}" for part in parts[1:])])
    return text if parse_with_precision(text) else None


# Dates an address carries, each pattern as its sites write it. Only the path is read: a query (`?p=74342`,
# `?showComment=1262858435692`) holds post ids and timestamps, never the page's date. Bare numbers (VietnamPlus's
# `/224606.vnp`, VnExpress's `-4255920.html`) are ids and are never read as dates.
PATH_DATES = [
    # /2019/05/12/ or /2019/05/ or /2011/4/7/ (WordPress, Blogger, CPJ, CSW, ...): year, month, day directories
    (None, re.compile(r"/(\d{4})/(\d{1,2})(?:/(\d{1,2}))?(?=/)"), "ymd"),
    # 2020-10-28 (the Los Angeles Times)
    (None, re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), "ymd"),
    # 20030620, 20090616: eight digits standing alone (RFA's old pages, Amnesty, The Gospel Herald)
    (None, re.compile(r"(?<![\d])(\d{4})(\d{2})(\d{2})(?![\d])"), "ymd"),
    # RFA: -08232016154513.html, the month, day and year, then the time of day (hhmmss)
    (("rfa.org", "rfaweb.org"), re.compile(r"-(\d{2})(\d{2})(\d{4})\d{6}\.html$"), "mdy"),
    # Vietnam Human Rights Network's reposts: /website/200101_DTD.htm (yymmdd) and /website/AFP_011910.htm (mmddyy)
    (("vietnamhumanrights.net",), re.compile(r"/website/(\d{2})(\d{2})(\d{2})_[A-Za-z]+\.htm$"), "yymmdd"),
    (("vietnamhumanrights.net",), re.compile(r"/website/[A-Za-z]+_(\d{2})(\d{2})(\d{2})\.htm$"), "mmddyy"),
    # The 88 Project's newsletters: newsletter-no-15-2021, newsletter-no-282017 (number 28 of 2017): the year only
    (("the88project.org",), re.compile(r"newsletter-no-\d{1,2}-?(\d{4})(?!\d)"), "y"),
]


def on_site(url, sites):
    host = host_of(url)
    return sites is None or any(host == site or host.endswith("." + site) for site in sites)


def address_dates(url):
    """The dates (ISO partial) a page's address carries."""
    path = urlsplit(url.strip()).path
    found = []
    for sites, pattern, order in PATH_DATES:
        if not on_site(url, sites):
            continue
        for groups in pattern.findall(path):
            groups = groups if isinstance(groups, tuple) else (groups,)
            if order == "ymd":
                year, month, day = groups
                found.append(iso(year, month, day or None))
            elif order == "mdy":
                month, day, year = groups
                found.append(iso(year, month, day))
            elif order == "yymmdd":
                year, month, day = groups
                found.append(iso("20" + year, month, day))
            elif order == "mmddyy":
                month, day, year = groups
                found.append(iso("20" + year, month, day))
            else:
                found.append(iso(groups[0]))
    return [found_date for found_date in found if found_date]


# --- words ---------------------------------------------------------------------------------------------------------

def folded_words(text):
    """A text's words with case, punctuation and diacritics aside: 'Nguyễn Văn Đài's' -> nguyen van dai s."""
    return re.findall(r"[a-z0-9]+", anyascii(unicodedata.normalize("NFC", text or "")).lower())


def shared_run(text, page_words, length):
    """The first run of `length` consecutive words that `text` shares with any of `page_words`, or None."""
    words = folded_words(text)
    runs = {tuple(page[i:i + length]) for page in map(folded_words, page_words) for i in range(len(page) - length + 1)}
    for i in range(len(words) - length + 1):
        if tuple(words[i:i + length]) in runs:
            return " ".join(words[i:i + length])
    return None


# --- the rows the audit trail found ----------------------------------------------------------------------------------

def rows_at_commit(commit):
    """(source, table, row key) of every row of cited pages in raw/ at a commit, read with git; None if git or the
    commit is not there (a shallow clone)."""

    def show(path):
        done = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else None

    try:
        listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", commit, "raw"],
                                 capture_output=True, text=True)
    except OSError:
        return None
    if listing.returncode != 0:
        return None
    paths = listing.stdout.split()
    found = set()
    for path in paths:
        _, source, name = (path.split("/") + ["", ""])[:3]
        if not name.endswith(".csv") or f"raw/{source}/source.yml" not in paths:
            continue
        if yaml.safe_load(show(f"raw/{source}/source.yml")).get("kind") != CITED_PAGES:
            continue
        for values in csv.DictReader(io.StringIO(show(path))):
            found.add((source, name[:-4], Row(source, name[:-4], values).key))
    return found
