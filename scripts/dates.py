"""ISO partial dates: "2016", "2016-11" or "2016-11-21", never a day we were not given."""

import datetime
import re

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(text):
    """Return (iso, precision) for an ISO partial date, or raise ValueError.

    >>> parse_partial_date("2016-11")
    ('2016-11', 'month')
    """
    match = _PARTIAL.match(text.strip())
    if not match:
        raise ValueError(f"not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}")
    year, month, day = match.groups()
    # datetime validates the calendar (no month 13, no 30 February).
    datetime.date(int(year), int(month or 1), int(day or 1))
    precision = "day" if day else "month" if month else "year"
    return match.group(0), precision


def year_of(iso):
    return int(iso[:4]) if iso else None
