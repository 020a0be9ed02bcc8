"""Dates and sentences as lists write them: a date is kept as an ISO partial date with its precision ("2014",
"2014-12", "2014-12-17"), a day or month the list does not give never invented; a sentence ("5 years 6 months",
"四年 / 4 years", "năm năm tù", "life") is read into months."""

import datetime
import re
from functools import lru_cache

ISO = "ISO"  # the default format: YYYY, YYYY-MM or YYYY-MM-DD
ISO_FORMATS = ("%Y", "%Y-%m", "%Y-%m-%d")
DIRECTIVES = {"Y": "year", "m": "month", "d": "day", "B": "month name", "b": "month name"}
SHOWN = {"Y": "YYYY", "m": "MM", "d": "DD", "B": "<month name>", "b": "<month abbreviation>"}
FULL_ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")


class DateProblem(ValueError):
    """A value that is not a date in any of the declared formats; the message says why, for data_quality."""


def check_format(text):
    found = re.findall(r"%(.)", text.replace("%%", ""))
    for directive in found:
        if directive not in DIRECTIVES:
            raise ValueError(f"%{directive} is not a supported directive: use %Y (4-digit year), %m (month number), "
                             "%d (day), %B (month name) or %b (abbreviated month name)")
    if "Y" not in found:
        raise ValueError("a date format needs %Y (the year)")


@lru_cache(maxsize=None)
def month_names(language):
    from babel import Locale, UnknownLocaleError

    names = {}
    for tag in dict.fromkeys(["en", language or "en"]):
        try:
            locale = Locale.parse(tag.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, name in locale.months[context][width].items():
                    names.setdefault(name.lower().rstrip("."), month)
    return names


class DateReader:
    def __init__(self, formats=None, language="en", unknown=None):
        formats = [f for name in (formats or [ISO]) for f in (ISO_FORMATS if name == ISO else (name,))]
        self.unknown = {part: marker for part, marker in (unknown or {}).items() if marker}
        self.names = month_names(language)
        self.patterns = [self.compile(f) for f in formats]
        self.expected = described(formats, self.unknown)

    def compile(self, text):
        check_format(text)
        pattern = ""
        for piece in filter(None, re.split(r"(%.)", text)):
            if piece in ("%Y", "%m", "%d"):
                part = DIRECTIVES[piece[1]]
                digits = r"\d{4}" if part == "year" else r"\d{1,2}"
                marker = self.unknown.get(part)
                pattern += f"(?P<{part}>{digits}{'|' + re.escape(marker) if marker else ''})"
            elif piece in ("%B", "%b"):
                names = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
                pattern += f"(?P<month_name>{names})\\.?"
            elif piece == "%%":
                pattern += "%"
            else:
                pattern += r"\s+".join(re.escape(word) for word in piece.split(" ")) if piece.strip() else r"\s*"
        return re.compile(pattern, re.IGNORECASE)

    def read(self, text):
        """(iso, precision); (None, None) for a date whose every part is a placeholder; else DateProblem. A full ISO
        date (as spreadsheets' date cells are read) is always understood, whatever the formats."""
        text = " ".join(str(text).split())
        for pattern in (*self.patterns, FULL_ISO):
            if match := pattern.fullmatch(text):
                return self.partial(match.groupdict())
        raise DateProblem(f"unparseable date (expected {self.expected})")

    def partial(self, parts):
        if parts.get("month_name"):
            parts["month"] = str(self.names[parts.pop("month_name").lower()])
        year, month, day = (self.known(parts, part) for part in ("year", "month", "day"))
        if year is None:
            if month is not None or day is not None:
                raise DateProblem("month or day given without a year")
            return None, None
        if month is None and day is not None:
            raise DateProblem("day given without a month")
        try:
            datetime.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise DateProblem("not a date in the calendar (month or day out of range)") from None
        if day is not None:
            return f"{year}-{int(month):02d}-{int(day):02d}", "day"
        if month is not None:
            return f"{year}-{int(month):02d}", "month"
        return year, "year"

    def known(self, parts, part):
        value = parts.get(part)
        return None if value is None or value.lower() == self.unknown.get(part, "\0").lower() else value


def described(formats, unknown):
    shown = [re.sub(r"%(.)", lambda m: SHOWN.get(m.group(1), m.group(0)), f).replace("%%", "%") for f in formats]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    if unknown:
        markers = list(unknown.values())
        text += f" with {', '.join(markers[:-1]) + ' or ' if len(markers) > 1 else ''}{markers[-1]} for unknown parts"
    return text


TERM_MEANINGS = ("years", "months", "weeks", "days", "life", "death", "suspended", "filler")
UNIT_MONTHS = {"years": 12.0, "months": 1.0, "weeks": 7 / (365.25 / 12), "days": 1 / (365.25 / 12)}
# The words sentences use in the languages of this project's lists; a list adds its own (term_words).
TERM_WORDS = {
    "en": {**dict.fromkeys(("year", "years", "yr", "yrs"), "years"),
           **dict.fromkeys(("month", "months", "mo", "mos"), "months"),
           **dict.fromkeys(("week", "weeks", "wk", "wks"), "weeks"), **dict.fromkeys(("day", "days"), "days"),
           "life": "life", "death": "death", "suspended": "suspended",
           **dict.fromkeys(("and", "of", "in", "prison", "imprisonment", "jail", "sentence"), "filler")},
    "zh": {"年": "years", "个月": "months", "個月": "months", "月": "months", "周": "weeks", "星期": "weeks", "天": "days",
           "日": "days", **dict.fromkeys(("无期徒刑", "無期徒刑", "无期", "無期"), "life"), "死刑": "death",
           **dict.fromkeys(("缓刑", "緩刑"), "suspended"), **dict.fromkeys(("有期徒刑", "徒刑", "零", "又", "和"), "filler")},
    "vi": {"năm": "years", "tháng": "months", "tuần": "weeks", "ngày": "days", "chung thân": "life", "tử hình": "death",
           "án treo": "suspended", "treo": "suspended", **dict.fromkeys(("tù", "giam", "và"), "filler")},
}
NUMBER_WORDS = {
    "en": {**{w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                         "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())},
           "a": 1, "an": 1, "thirty": 30, "forty": 40, "fifty": 50},
    "vi": {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8,
           "chín": 9, "mười": 10, "mươi": 10},
}
CHINESE_DIGITS = {**{c: n for n, c in enumerate("零一二三四五六七八九")}, "〇": 0, "两": 2, "兩": 2}
LATIN = "A-Za-zÀ-ɏḀ-ỿ"
HALF = r"(?:\s+and\s+(?:a\s+)?half|\s*半|\s+rưỡi)"


def alternatives(words):
    """Words as alternatives of an expression, the longest first; a Latin word not inside a longer one."""
    return "|".join(re.escape(word) + (f"(?![{LATIN}])" if word[-1].isascii() or word[-1] in LATIN else "")
                    for word in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=None)
def term_reader(list_words):
    """(expression of a term, of a word, {word: (meaning, language)}) with a list's own words (a sorted tuple)."""
    meanings = {word: (meaning, language) for language, words in TERM_WORDS.items() for word, meaning in words.items()}
    meanings.update({word.lower(): (meaning, "list") for word, meaning in list_words})
    numbers = alternatives([w for words in NUMBER_WORDS.values() for w in words])
    number = rf"\d+(?:[.,]\d+)?|[零〇一二两兩三四五六七八九十百]+|(?<![{LATIN}])(?:{numbers})(?:[\s-]+(?:{numbers}))*"
    units = alternatives(w for w, (meaning, _) in meanings.items() if meaning in UNIT_MONTHS)
    term = rf"(?P<number>{number})(?P<half>{HALF})?\s*(?P<unit>{units})(?P<after>{HALF})?|半(?P<half_unit>{units})"
    word = alternatives(w for w, (meaning, _) in meanings.items() if meaning not in UNIT_MONTHS)
    return re.compile(term, re.IGNORECASE), re.compile(rf"(?<![{LATIN}])(?:{word})", re.IGNORECASE), meanings


def read_term(text, list_words=()):
    """(months, problem) of a sentence: '5 years 6 months', '一年半', 'năm năm tù', '3 years suspended', '四年 / 4 years'
    (counted once); None for life or death; a problem if the text is not only such words or its languages disagree."""
    term, word, meanings = term_reader(tuple(sorted(list_words)))
    found = list(term.finditer(text))
    blanked = term.sub(lambda match: " " * len(match.group(0)), text)
    said = [(match.start(), meanings[match.group(0).lower()][0]) for match in word.finditer(blanked)]
    if re.sub(r"[\W_]", "", word.sub("", blanked)):
        return None, "not read as a sentence (kept as written)"
    if any(meaning in ("life", "death") for _, meaning in said):
        return None, None
    if not found:
        return None, "no term in the sentence (kept as written)"
    suspended = next((at for at, meaning in said if meaning == "suspended"), None)
    if suspended is not None and any(m.start() < suspended for m in found):
        found = [m for m in found if m.start() < suspended]  # what follows is how long it is suspended for
    months = {}
    for match in found:
        unit = (match.group("unit") or match.group("half_unit")).lower()
        meaning, language = meanings[unit]
        count = 0.5 if match.group("half_unit") else number_of(match.group("number"))
        count += 0.5 if match.group("half") or match.group("after") else 0
        months[language] = months.get(language, 0) + count * UNIT_MONTHS[meaning]
    if len({round(value, 2) for value in months.values()}) > 1:
        return None, "the sentence's renderings in different languages disagree (kept as written)"
    return round(next(iter(months.values())), 2), None


def number_of(text):
    """A number written in digits, Chinese numerals, or English or Vietnamese words ('twenty-five', 'hai mươi')."""
    if text[0].isdigit():
        return float(text.replace(",", "."))
    if text[0] in CHINESE_DIGITS or text[0] in "十百":
        total = digit = 0
        for char in text:
            if char in "十百":
                total, digit = total + (digit or 1) * (10 if char == "十" else 100), 0
            else:
                digit = CHINESE_DIGITS[char]
        return total + digit
    total = 0
    for word in re.split(r"[\s-]+", text.lower()):
        value = NUMBER_WORDS["en"].get(word, NUMBER_WORDS["vi"].get(word))
        total = total * 10 if word == "mươi" else total + value  # hai mươi: 2 × 10
    return total
