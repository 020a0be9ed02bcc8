"""Reading raw/: source.yml files and CSV tables, each row tagged with where it came from."""

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

from .dates import parse_partial_date
from .errors import BuildError

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
LIST_SEPARATOR = ";"

SOURCE_FIELDS_REQUIRED = ("id", "title", "publisher", "licence", "language", "kind", "description")


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
    """Yield (Origin, row) for each data row; a missing required column stops the build."""
    name = display_path(path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for column in required:
            if column not in header:
                raise BuildError(
                    name, 1, column, None, "required column is missing from the header",
                    f"Add a '{column}' column (the header has: {', '.join(header)}).",
                )
        for row in reader:
            origin = Origin(name, reader.line_num)
            if None in row:
                raise origin.error(None, row[None], "the row has more fields than the header",
                                   "Quote values that contain commas.")
            yield origin, row


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
    for key in SOURCE_FIELDS_REQUIRED:
        if not meta.get(key):
            raise origin.error(key, meta.get(key), "required field is missing or empty",
                               f"Give the source's {key} (see README, 'Adding a source').")
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
    return [item.strip() for item in (value or "").split(LIST_SEPARATOR) if item.strip()]


def source_folders(raw=RAW):
    return sorted(p for p in Path(raw).iterdir() if (p / "source.yml").exists())
