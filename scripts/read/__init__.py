"""Reading raw/: source.yml files and CSV tables, each row tagged with where it came from."""

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from scripts.common import BuildError, parse_partial_date

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "raw"
# No value is longer: the server refuses values over 256 KB (plugins/sql_limits.py), and a narrative is a few KB.
MAX_CELL = 131_072  # characters (128 KiB of ASCII): a longer cell is a quote left open, not a value
csv.field_size_limit(2**26)  # a longer field is read, then refused with its line and field


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a file under raw/ (or the upstream cache) and a line in it."""

    file: str
    line: int | None = None

    def where(self):
        return self.file + (f", line {self.line}" if self.line else "")

    def error(self, field, value, problem, fix):
        return BuildError(self.file, self.line, field, value, problem, fix)


def display_path(path):
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_csv(path, required=()):
    """(Origin, row) for each data row of a UTF-8 CSV file; a bad header, a value spanning lines (a quote left open),
    a NUL or a value over MAX_CELL stops the build naming its line and field."""
    name = display_path(path)
    reader = csv.reader(io.StringIO(decoded(path, name), newline=""))
    try:
        if not (header := next(reader, [])):
            raise BuildError(name, 1, None, None, "the file is empty",
                             "Its first line must be a header naming its columns"
                             + (f" ({', '.join(required)} at least)." if required else "."))
        check_header(name, header, required)
        last = reader.line_num
        for values in reader:
            line, last = last + 1, reader.line_num  # a row starts on the line after the last one read
            if values:
                fields = [*header, *(f"column {n}" for n in range(len(header) + 1, len(values) + 1))]
                check_values(name, line, dict(zip(fields, values)))
                if len(values) > len(header):
                    raise BuildError(name, line, None, values[len(header)], "the row has more fields than the header",
                                     "Quote values that contain commas.")
                if len(values) < len(header):
                    raise BuildError(name, line, header[len(values)], None,
                                     f"the row has fewer fields than the header ({len(values)} of {len(header)})",
                                     "Give every column a value, empty where there is none (a comma each).")
                yield Origin(name, line), dict(zip(header, values))
    except csv.Error as exc:
        raise BuildError(name, reader.line_num, None, None, f"not readable as CSV ({exc})",
                         "Check the quotes on this line: a value with a comma or a quote is quoted, and a quote "
                         "inside it doubled.") from None


def decoded(path, name):
    """The file's text, read as UTF-8; another encoding stops the build at its first line that is not UTF-8."""
    if (data := Path(path).read_bytes()).startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BuildError(name, 1, None, None, "the file is UTF-16, not UTF-8",
                         "Save it as CSV UTF-8 (in a spreadsheet: Save as, CSV UTF-8).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BuildError(name, line, None, data[exc.start:exc.start + 8], "the file is not UTF-8 from this line "
                         "(Latin-1 or Windows-1252?)", "Save it as CSV UTF-8 (in a spreadsheet: Save as, CSV UTF-8).") from None


def check_header(name, header, required):
    for column in required:
        if column not in header:
            raise BuildError(name, 1, column, None, "required column is missing from the header",
                             f"Add a '{column}' column (the header has: {', '.join(header)}).")
    if twice := [column for column in header if header.count(column) > 1]:
        raise BuildError(name, 1, twice[0], None, "the header names this column twice",
                         "Give each column one name: rename or remove the second.")


def check_values(name, line, row):
    for field, value in row.items():
        if "\n" in value or "\r" in value:
            raise BuildError(name, line, field, value[:60], "the value spans several lines",
                             "Write it on one line; if a quote opens it, close the quote.")
        if "\x00" in value:
            raise BuildError(name, line, field, value[:60], "the value holds a NUL character",
                             "Remove it (it is not text: the file was probably exported with a wrong setting).")
        if len(value) > MAX_CELL:
            raise BuildError(name, line, field, value[:60], f"the value is longer than {MAX_CELL:,} characters (128 KiB)",
                             "Shorten it: a cell holds a value, not a document (a quote left open does this too).")


def read_source_yml(folder):
    path = Path(folder) / "source.yml"
    origin = Origin(display_path(path))
    with open(path, encoding="utf-8") as handle:
        try:
            meta = yaml.safe_load(handle) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise BuildError(origin.file, mark.line + 1 if mark else None, None, None, f"not valid YAML ({exc.problem})",
                             "Quote values that contain ': ' or start with a special character.") from None
        except ValueError as exc:  # YAML reads an unquoted 2020-13-45 as a date, which the calendar refuses
            raise origin.error(None, None, f"a value is not a valid date ({exc})",
                               'Write dates as quoted text, such as as_of: "2020-07-23", and check the day and month.') from None
    if not isinstance(meta, dict):
        raise origin.error(None, None, "not a list of keys and values", "Write one 'key: value' per line.")
    for key in ("id", "title", "publisher", "licence", "language", "kind", "description"):
        if not meta.get(key):
            raise origin.error(key, meta.get(key), "required field is missing or empty",
                               f"Give the source's {key} (see docs/adding-a-list.md or docs/transcribing.md).")
    if meta["id"] != Path(folder).name:
        raise origin.error("id", meta["id"], "the id differs from the folder name",
                           f"Use id: {Path(folder).name}, or rename the folder.")
    meta["as_of"], meta["as_of_precision"] = parse_date(origin, "as_of", meta.get("as_of"))
    return origin, meta


def parse_date(origin, field, value):
    """(iso, precision) or (None, None) for an empty value; an unparseable date stops the build."""
    if value is None or not str(value).strip():
        return None, None
    try:
        return parse_partial_date(str(value))
    except ValueError as exc:
        raise origin.error(field, value, f"not a valid date ({exc})",
                           "Write YYYY, YYYY-MM or YYYY-MM-DD; leave out what the source does not say.") from None


def split_list(value):
    return [item.strip() for item in (value or "").split(";") if item.strip()]


def source_folders(raw=RAW):
    """Every folder of raw/ with a source.yml. raw/ holds no links: one could publish any file on the machine."""
    raw = Path(raw)
    for folder, folders, files in os.walk(raw):  # links are listed, never followed
        for name in sorted(folders + files):
            if os.path.islink(os.path.join(folder, name)):
                raise BuildError(display_path(Path(folder) / name), None, None, None, "a symbolic link in raw/",
                                 "Copy the file or folder into raw/ instead of linking to it.")
    return sorted(p for p in raw.iterdir() if (p / "source.yml").exists())
