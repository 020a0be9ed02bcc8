"""Adapter for simple CSV lists, driven entirely by the `mapping` block of their source.yml.

A maintainer adds such a list without Python: see README, "Adding a CSV list". The mapping says
which column holds what (persons fields), how to translate values (value maps, date formats,
multi-value separators, the script names are written in), and how to read a status, a detention
and dated events from the row.
"""

import csv
import json
import re

from ..dates import parse_partial_date
from ..errors import BuildError
from .common import Problems, json_list
from .romanise import romanise

KNOWN_KEYS = {"id_column", "url_column", "name_script", "fields", "constants", "status", "detention", "events"}


def read_header(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def read_rows(path, select=iter):
    """(line number, row) for each data row `select` picks (all by default) of a UTF-8 CSV file with a header."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        yield from select((reader.line_num, row) for row in reader)


def check_mapping(mapping, header, where):
    """Structural faults stop the build: an unknown mapping key or a column the file lacks."""
    for key in mapping:
        if key not in KNOWN_KEYS:
            raise BuildError(where, None, f"mapping.{key}", None, "unknown mapping key",
                             f"Use only: {', '.join(sorted(KNOWN_KEYS))}.")
    for column in mapped_columns(mapping):
        if column not in header:
            raise BuildError(where, 1, column, None, "a column named in the mapping is missing from the file",
                             f"The file's header has: {', '.join(header)}. Fix the mapping or the file.")


def mapped_columns(mapping):
    columns = [mapping.get("id_column"), mapping.get("url_column")]
    columns += [spec if isinstance(spec, str) else spec["column"] for spec in mapping.get("fields", {}).values()]
    status = mapping.get("status") or {}
    columns += [status.get("column"), status.get("deceased_when")]
    columns += [(mapping.get("detention") or {}).get("sentence_column")]
    columns += [event["column"] for event in mapping.get("events", [])]
    return [c for c in columns if c]


def adapt(lines, meta):
    """(table, row) for every row of our tables each CSV row gives, tagged with its upstream record."""
    mapping = meta["mapping"]
    for line, row in lines:
        upstream_id = row[mapping["id_column"]] if mapping.get("id_column") else str(line)
        for table, rows in adapt_row(row, upstream_id, line, meta).items():
            for new in rows:
                new.update(source_id=meta["id"], upstream_ref=f"line {line}", _record=(meta["id"], upstream_id))
                yield table, new


def adapt_row(row, upstream_id, line, meta):
    mapping, problems = meta["mapping"], Problems(upstream_id)
    problem = problems.add
    person_id = f"{meta['id']}-{upstream_id}"

    person = {"id": person_id, **mapping.get("constants", {})}
    for field, spec in mapping.get("fields", {}).items():
        person[field] = field_value(row, field, spec if isinstance(spec, dict) else {"column": spec}, problem)
    if mapping.get("name_script") and person.get("name_native"):
        person.setdefault("name", romanise(person["name_native"], mapping["name_script"]))
    status, confirmed, detail = status_of(row, mapping.get("status"), meta, problem)
    person.update(status=status, status_confirmed=confirmed, status_detail=detail)
    out = {
        "persons": [person],
        "records": [{"id": f"{meta['id']}/{upstream_id}", "upstream_id": upstream_id, "person_id": person_id,
                     "name_as_written": person.get("name_native") or person["name"],
                     "url": row.get(mapping.get("url_column")) or None,
                     "raw": json.dumps(row, ensure_ascii=False)}],
        "detentions": detention_rows(row, person_id, mapping.get("detention"), problem),
        "events": event_rows(row, person_id, mapping.get("events", []), problem),
    }
    out["data_quality"] = problems.rows
    return out


def field_value(row, field, spec, problem):
    value = (row.get(spec["column"]) or "").strip()
    if not value:
        return None
    if "values" in spec:
        if value not in spec["values"]:
            problem(spec["column"], value, "value not in the mapping's value map")
            return None
        value = spec["values"][value]
    if spec.get("separator"):
        return json_list(v.strip() for v in value.split(spec["separator"]) if v.strip())
    if spec.get("format") == "year":
        try:
            return int(parse_partial_date(value)[0][:4])
        except ValueError:
            problem(spec["column"], value, "unparseable date (expected YYYY, YYYY-MM or YYYY-MM-DD)")
            return None
    return value


def status_of(row, spec, meta, problem):
    """Status from a value map, or from a date compared with the source's as-of date."""
    if not spec:
        return "unknown", None, None
    if spec.get("deceased_when") and (row.get(spec["deceased_when"]) or "").strip():
        return "deceased", 1, None
    value = (row.get(spec["column"]) or "").strip()
    confirmed = 1 if spec.get("confirmed", True) else 0
    if value in spec.get("values", {}):
        return spec["values"][value], confirmed, spec.get("details", {}).get(value)
    try:
        date, _ = parse_partial_date(value)
    except ValueError:
        problem(spec["column"], value, "neither a known value nor a date; status recorded as unknown")
        return "unknown", 0, None
    after = date > meta["as_of"][: len(date)]
    detail = f"{spec.get('date_means', 'date')} {date}"
    return spec["date_after_as_of" if after else "date_before_as_of"], confirmed, detail


def detention_rows(row, person_id, spec, problem):
    if not spec:
        return []
    value = (row.get(spec["sentence_column"]) or "").strip()
    detention = {"id": person_id, "person_id": person_id, "kind": "detention", "sentence_as_written": value or None}
    if value and re.match(r"^\d{4}", value):
        try:
            detention["sentence_ends_on"], detention["sentence_ends_on_precision"] = parse_partial_date(value)
            detention["sentence_as_written"] = None  # a date says when the sentence ends: it is not a sentence
        except ValueError:
            problem(spec["sentence_column"], value, "unparseable date")
    return [detention]


def event_rows(row, person_id, specs, problem):
    events = []
    for spec in specs:
        value = (row.get(spec["column"]) or "").strip()
        if not value:
            continue
        try:
            date, precision = parse_partial_date(value)
        except ValueError:
            problem(spec["column"], value, "unparseable date; event not recorded")
            continue
        events.append({"id": f"{person_id}-{spec['event_type']}", "person_id": person_id, "date": date,
                       "date_precision": precision, "event_type": spec["event_type"],
                       "description": spec["description"]})
    return events
