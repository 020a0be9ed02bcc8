"""Helpers every stage shares: the build's error, partial dates, names folded, romanised and keyed, JSON lists."""

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring

from anyascii import anyascii
from pypinyin import Style, lazy_pinyin, pinyin


@dataclass
class BuildError(Exception):
    """A fault in raw/ or upstream data the build cannot work around: file, line, field, value, and what to do."""

    file: str
    line: int | str | None  # a line number, or a place such as "row 12" or "page 2, row 5"
    field: str | None
    value: object
    problem: str
    fix: str

    def __str__(self):
        where = self.file + (f", line {self.line}" if isinstance(self.line, int) else f", {self.line}" if self.line else "")
        what = f", field '{self.field}'" if self.field else ""
        value = f": value {self.value!r}" if self.value is not None else ""
        return f"{where}{what}{value} — {self.problem}. {self.fix}"


def parse_partial_date(text):
    """"2016-11" -> ("2016-11", "month"), never a day we were not given; ValueError if not an ISO partial date."""
    match = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", text.strip())
    if not match:
        raise ValueError(f"not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}")
    year, month, day = match.groups()
    datetime.date(int(year), int(month or 1), int(day or 1))  # the calendar checked: no month 13, no 30 February
    return match.group(0), "day" if day else "month" if month else "year"


# Names: folded for search and ids, romanised from Chinese characters, keyed for linking -----------------------------

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")  # Chinese and Japanese characters

# Scripts written without spaces between words: a search for any part of a name must match, so the index holds every
# substring of each run of these characters.
_UNSPACED_RUN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")


@lru_cache(maxsize=1 << 16)  # a name is folded for its search column and again for its link keys
def fold(text):
    """ASCII form of a name in any script: 'Nguyễn Lân Thắng' -> 'Nguyen Lan Thang', 'Đặng' -> 'Dang'."""
    return " ".join(anyascii(unicodedata.normalize("NFC", text)).split()) if text else text


def unspaced_substrings(*texts):
    """Every substring of each Chinese/Japanese run, space-separated, for the full-text index."""
    texts = [text for text in texts if text]
    if not _UNSPACED_RUN.search(" ".join(texts)):  # most rows: one search instead of one per text
        return ""
    grams = []
    for text in texts:
        for run in _UNSPACED_RUN.findall(text):
            for size in range(1, min(len(run), 16) + 1):  # runs in names are shorter than 16
                grams.extend(run[i : i + size] for i in range(len(run) - size + 1))
    return " ".join(dict.fromkeys(grams))


def slugify(text):
    """Lower-case ASCII id, at most 60 characters, from a name in any script."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")[:60].rstrip("-") or "x"


def unique_id(base, taken):
    """base, or base-2, base-3…: the first that is not taken, taken from now on."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


# Two-character surnames, so that 欧阳修 reads "Ouyang Xiu" rather than "Ou Yangxiu".
COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "长孙", "宇文"}


# Names repeat (common surnames and given names) and pypinyin is slow: each reading is worked out once.
@lru_cache(maxsize=100_000)
def romanise(name, script):
    """Pinyin in the usual order and spacing: '刘晓波' -> 'Liu Xiaobo'."""
    if script not in ("Hans", "Hant"):
        raise ValueError(f"no romanisation for script {script!r}")
    name = name.strip()
    split = 2 if name[:2] in COMPOUND_SURNAMES else 1
    surname, given = "".join(lazy_pinyin(name[:split])), "".join(lazy_pinyin(name[split:]))
    return " ".join(part.capitalize() for part in (surname, given) if part)


@lru_cache(maxsize=100_000)
def pinyin_keys(name):
    """Toneless pinyin readings of a name, lower-case: characters with several readings multiply them (up to 16)."""
    keys = [""]
    for readings in pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore"):
        keys = [key + reading for key in keys for reading in dict.fromkeys(readings)][:16]
    return frozenset(keys)


def json_list(items):
    """A JSON array for a list column, each value once (the tags facet relies on it), or None for an empty list."""
    if not (items := list(dict.fromkeys(items))):
        return None
    if all(isinstance(item, str) for item in items):  # as json.dumps writes it, without its per-call set-up
        return "[" + ", ".join(map(encode_basestring, items)) + "]"
    return json.dumps(items, ensure_ascii=False)


def ascii_key(name):
    """A name folded to lower-case ASCII letters and digits: two spellings with the same key are one name."""
    return re.sub(r"[^a-z0-9]", "", fold(name).lower())


def name_key(name):
    """ascii_key, but Chinese characters kept, without spaces (the gazetteer's key)."""
    return "".join(name.split()) if CJK.search(name) else ascii_key(name)


def name_keys(names):
    """The keys linking compares: each name's name_key, or a Chinese name's pinyin readings."""
    keys = set().union(*(pinyin_keys(n) if CJK.search(n) else {name_key(n)} for n in filter(None, names)))
    return {k for k in keys if len(k) >= 4}
