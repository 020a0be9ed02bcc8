"""Dates as lists write them: declared formats, month names in the list's language, placeholders for unknown parts.

Every date is kept as an ISO partial date with its precision ("2014", "2014-12", "2014-12-17"); a day or a month
the list does not give is never invented.
"""

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
    """The format's directives, or ValueError naming the one that is not supported."""
    found = re.findall(r"%(.)", text.replace("%%", ""))
    for directive in found:
        if directive not in DIRECTIVES:
            raise ValueError(f"%{directive} is not a supported directive: use %Y (4-digit year), %m (month number), "
                             "%d (day), %B (month name) or %b (abbreviated month name)")
    if "Y" not in found:
        raise ValueError("a date format needs %Y (the year)")
    return found


@lru_cache(maxsize=None)
def month_names(language):
    """{lower-case name: month} in the list's language (CLDR, through Babel), plus English."""
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
    """Reads a column's dates in its declared formats (tried in order) into (iso, precision)."""

    def __init__(self, formats=None, language="en", unknown=None):
        formats = [f for name in (formats or [ISO]) for f in (ISO_FORMATS if name == ISO else (name,))]
        self.unknown = {part: marker for part, marker in (unknown or {}).items() if marker}
        self.names = month_names(language)
        self.patterns = [self.compile(f) for f in formats]
        self.expected = described(formats, self.unknown)

    def compile(self, text):
        check_format(text)
        pattern = ""
        for piece in re.split(r"(%.)", text):
            if not piece:
                continue
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
        """(iso, precision), or (None, None) for a date whose every part is a placeholder; DateProblem otherwise.

        A full ISO date (as spreadsheets' date cells are read) is always understood, whatever the formats."""
        text = " ".join(str(text).split())
        for pattern in (*self.patterns, FULL_ISO):
            match = pattern.fullmatch(text)
            if match:
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
