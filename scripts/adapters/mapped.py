"""A list read through the `mapping` of its source.yml: `prepare` checks the mapping against the file before anything
is staged; `adapt` turns each record into rows of our tables. A value that cannot be read goes to data_quality with its
line, column and value: it never stops the build."""

import functools
import json
import re
from dataclasses import dataclass, field

import pycountry

from scripts.adapters import mapping_language as language
from scripts.adapters.dateformats import UNIT_MONTHS, DateProblem, DateReader, read_term
from scripts.adapters.readers import ListFile
from scripts.common import BuildError, ascii_key, fold, json_list, romanise, unique_id
from scripts.places import locate
from scripts.read import display_path, read_csv

NOTHING = object()  # no value: a missing marker, a null in a value map, or a problem recorded
LIST_FIELDS = {"alternate_names", "categories", "issues"}
FIELD_KINDS = {"birth_year": "year", "country": "countries", "categories": "categories", "issues": "issue_categories",
               "age_at_detention": "integer", "sentence_months": "real", "detained_on": "date", "sentenced_on": "date",
               "sentence_ends_on": "date", "released_on": "date", "charges": "charges", "kind": "detention_kinds"}
WEB_ADDRESS = re.compile(r"https?://[^\s/]+\.\S+")


@dataclass
class Plan:
    meta: dict
    mapping: language.Mapping
    file: ListFile
    vocabularies: dict  # table -> ids
    issue_categories: dict  # issue id -> category implied, or None
    status_codes: dict = field(default_factory=dict)  # the list's status value -> StatusEntry
    compiled: dict = field(default_factory=dict)  # ids of value specs -> their ValueReaders; of a spec -> DateReader

    @functools.cached_property
    def missing(self):
        return frozenset(self.mapping.missing)

    def readers(self, specs, kind, name):
        key = (*map(id, specs or []), kind, name)  # the specs live as long as the mapping: their ids are theirs
        if key not in self.compiled:
            many = name in LIST_FIELDS or kind == "charges"
            self.compiled[key] = [ValueReader(spec, kind, many, self) for spec in specs or []]
        return self.compiled[key]

    @functools.cached_property
    def person_fields(self):
        """(persons column, its ValueReaders, its constant) of each column the mapping fills but the place (place())."""
        specs = {name: getattr(self.mapping.fields, name) for name in language.PERSON_FIELDS if name != "place"}
        constants = {name: getattr(self.mapping.constants, name) for name in language.PERSON_FIELDS}
        return [(name, self.readers(specs.get(name), FIELD_KINDS.get(name, "text"), name), constants[name])
                for name in language.PERSON_FIELDS if specs.get(name) or constants[name] is not None]

    def detention_fields(self, spec):
        """(column, its ValueReaders, whether a date, whether a value makes the detention) of a detention block."""
        key = ("detention", id(spec))
        if key not in self.compiled:
            self.compiled[key] = [
                (name, self.readers(getattr(spec, name), FIELD_KINDS.get(name, "text"), name),
                 FIELD_KINDS.get(name) == "date", not (name == "kind" and not getattr(spec, name)[0].columns()))
                for name in language.DETENTION_COLUMNS if getattr(spec, name) is not None]
        return self.compiled[key]

    def date_reader(self, spec):
        if id(spec) not in self.compiled:
            self.compiled[id(spec)] = DateReader(spec.formats, self.meta.get("language"),
                                                 spec.unknown.model_dump() if spec.unknown else None)
        return self.compiled[id(spec)]

    def records(self, select=iter):
        """Each record as a list of rows: one row, or every row of one person (several_rows_per_person)."""
        if not self.mapping.several_rows_per_person:
            return ([row] for row in self.file.rows(select))
        groups = {}
        for row in self.file.rows():
            groups.setdefault(cell_text(row.values.get(self.mapping.id_column)) or row.number, []).append(row)
        return select(iter(groups.values()))


def prepare(meta, folder, path, vocabularies, issue_categories):
    """The list's Plan, once its mapping is valid, names only columns the file has and ids the vocabularies know."""
    source_yml = display_path(folder / "source.yml")
    data, lines = language.mapping_node(folder / "source.yml")

    def checked(known=None):
        mapping, fault = language.parse(data, lines, known)
        if fault:
            raise BuildError(source_yml, *fault)
        return mapping

    file = ListFile(path, checked(), display_path(path))
    sources = {yml.parent.name for yml in folder.parent.glob("*/source.yml")}
    plan = Plan(meta, checked({**vocabularies, "sources": sources, "file": file}), file, vocabularies, issue_categories)
    codes_file = plan.mapping.status and plan.mapping.status.codes_file
    if codes_file:
        plan.status_codes = read_codes(folder / codes_file, lines.get(("mapping", "status", "codes_file")), source_yml,
                                       vocabularies["statuses"])
    return plan


def vocabularies(raw):
    """({vocabulary table: ids}, {issue id: the category it implies}) from raw/reference and ISO 3166-1."""
    ids = {"countries": {country.alpha_2 for country in pycountry.countries}}
    for table in ("categories", "issue_categories", "statuses", "event_types", "charges", "detention_kinds"):
        ids[table] = {row["id"] for _, row in read_csv(raw / "reference" / f"{table}.csv", required=("id",))}
    implied = {row["id"]: row["category"] or None
               for _, row in read_csv(raw / "reference" / "issue_categories.csv", required=("id", "category"))}
    return ids, implied


def countries_named(plan):
    """The countries a list's persons can be in: those its mapping names, or those its country column holds."""
    named = {plan.mapping.constants.country} - {None}
    for spec in plan.mapping.fields.country or []:
        named |= {spec.value} | set((spec.values or {}).values()) | {p.value for p in spec.patterns}
        if spec.columns() and not spec.translates() and spec.value is None:
            named |= {cell_text(row.values.get(column)) for row in plan.file.rows() for column in spec.columns()}
    return {str(country) for country in named if country}


def read_codes(path, line, shown_yml, statuses):
    """A status code table: code,status,confirmed,detail (a status id; confirmed 1 or 0)."""
    if not path.is_file():
        raise BuildError(shown_yml, line, "mapping.status.codes_file", path.name, "no such file beside source.yml",
                         "Put the code table beside source.yml, or fix its name.")
    codes = {}
    for origin, row in read_csv(path, required=("code", "status", "confirmed", "detail")):
        if row["status"] not in statuses:
            raise origin.error("status", row["status"], "not an id of the statuses vocabulary",
                               f"Use one of: {', '.join(sorted(statuses))}.")
        if row["confirmed"] not in ("0", "1"):
            raise origin.error("confirmed", row["confirmed"], "not 1 or 0",
                               "Write 1 where the code states the status for sure, 0 where it is uncertain.")
        codes[row["code"]] = language.StatusEntry(status=row["status"], confirmed=row["confirmed"] == "1",
                                                  detail=row["detail"] or None)
    return codes


def cell_text(value):
    return None if value is None else str(value).strip()


class ValueReader:
    """A value spec compiled once per list: its columns, missing markers, translation and conversion to its kind."""

    def __init__(self, spec, kind, many, plan):
        self.columns, self.constant = tuple(spec.columns()), spec.value
        self.missing = plan.missing | frozenset(spec.missing)
        self.values, self.separator, self.join = spec.values, spec.separator, spec.join
        self.find = re.compile(spec.find) if spec.find else None
        self.patterns = [(re.compile(p.match), p.value, p.problem) for p in spec.patterns]
        self.keep = (spec.otherwise or ("problem" if spec.translates() else "keep")) == "keep"
        self.unmatched = "value not in the mapping's value map" + (" or patterns" if spec.patterns else "")
        self.kind, self.many = kind, many
        self.dates = plan.date_reader(spec) if kind == "date" or kind == "year" and spec.formats else None
        self.vocabulary = plan.vocabularies.get(kind)
        if self.keep and self.columns and kind == "text" and self.constant is None and self.join is None and not (
                self.find or self.separator or spec.translates()):
            self.read = self.cell_texts  # compiled to what the spec asks: a cell's text as written

    def cell_texts(self, record):
        """read() for a spec that takes a cell's text as it is: [(text, column, text)]."""
        cells, found = record.row.values, []
        for column in self.columns:
            text = cell_text(cells.get(column))
            if text and text not in self.missing:
                found.append((text, column, text))
                if not self.many:
                    break
        return found

    def read(self, record):
        """[(value, column, as written)] the record's current row gives."""
        if not self.columns:
            value = self.converted(record, None, self.constant, self.constant)
            return [] if value is NOTHING else [(value, None, self.constant)]
        texts = [(column, text) for column in self.columns
                 if (text := cell_text(record.row.values.get(column))) and text not in self.missing]
        if self.constant is not None:
            return [(self.constant, *texts[0])] if texts else []
        if self.join is not None and texts:
            texts = [(texts[0][0], self.join.join(text for _, text in texts))]
        found = []
        for column, text in texts:
            for part in self.parts(text):
                if not part or part in self.missing:
                    continue
                value = self.translated(record, column, part)
                if value is not NOTHING:
                    value = self.converted(record, column, part, value)
                if value is not NOTHING:
                    found.append((value, column, part))
            if not self.many and len({value for value, _, _ in found}) > 1:
                record.problem(column, " | ".join(dict.fromkeys(part for _, _, part in found)),
                               "the cell gives different values for a field that takes one; none kept")
                found = []
            if found and not self.many:
                break
        return found

    def parts(self, text):
        if self.find:
            return [match.group(1) if self.find.groups else match.group(0) for match in self.find.finditer(text)
                    if not self.find.groups or match.group(1) is not None]
        return [p.strip() for p in text.split(self.separator)] if self.separator else (text,)

    def translated(self, record, column, text):
        if self.values is not None and text in self.values:
            return NOTHING if (value := self.values[text]) is None else value
        for pattern, value, problem in self.patterns:
            if match := pattern.fullmatch(text):
                if problem:
                    record.problem(column, text, problem)
                if problem or value is None:
                    return NOTHING
                return re.sub(r"\{(\d+)\}", lambda m: match.group(int(m.group(1))) or "", value) \
                    if isinstance(value, str) else value
        if self.keep:
            return text
        record.problem(column, text, self.unmatched)
        return NOTHING

    def converted(self, record, column, written, value):
        kind = self.kind
        if self.dates:
            try:
                date, _ = found = self.dates.read(value)
            except DateProblem as exc:
                record.problem(column, written, str(exc))
                return NOTHING
            return NOTHING if date is None else found if kind == "date" else int(date[:4])
        if kind in ("integer", "real", "year"):
            try:
                number = float(str(value).replace(",", "."))
            except ValueError:
                record.problem(column, written, "not a number")
                return NOTHING
            if kind != "real" and not number.is_integer():
                record.problem(column, written, "not a whole number")
                return NOTHING
            return number if kind == "real" else int(number)
        if self.vocabulary is not None and str(value) not in self.vocabulary:
            record.problem(column, written, f"neither an id of the {kind} vocabulary (raw/reference/{kind}.csv) nor "
                                            "translated into one; left out")
            return NOTHING
        return str(value)


def read_upstream(meta, folder, context):
    """The list's adapter: records chosen by `select` (all by default) → their (table, row) pairs, as it reads."""
    if not meta.get("mapping"):
        raise BuildError(display_path(folder / "source.yml"), None, "adapter", meta.get("adapter"),
                         "the source has no mapping", "Read the list through a mapping: see docs/mapping.md.")
    plan = context["plans"][meta["id"]]
    return lambda select=iter: adapt(plan, plan.records(select), context)


def adapt(plan, records, context):
    for rows in records:
        yield from Record(plan, rows, context).tables()


class Record:
    """One upstream record (a row, or the rows of one person) read into our tables."""

    def __init__(self, plan, rows, context):
        self.plan, self.rows, self.context = plan, rows, context
        self.mapping, self.source_id = plan.mapping, plan.meta["id"]
        self.upstream_id = cell_text(rows[0].values.get(self.mapping.id_column)) or rows[0].number  # no id column: None
        self.person_id = f"{self.source_id}-{self.upstream_id}"
        self.problems, self.refs = [], {}
        self.row = rows[0]  # the row being read

    def ref(self, row):
        if id(row) not in self.refs:
            self.refs[id(row)] = (self.mapping.upstream_ref or "{where}").format(where=row.where, id=self.upstream_id)
        return self.refs[id(row)]

    def problem(self, column, value, problem):
        """A value recorded in data_quality (once, though a detention and an event may read the same cell)."""
        found = {"upstream_id": self.upstream_id, "field": column, "raw_value": None if value is None else str(value),
                 "problem": problem, "upstream_ref": self.ref(self.row)}
        if found not in self.problems:
            self.problems.append(found)

    def tables(self):
        person = self.person()
        out = {"persons": [person], "records": [self.record(person)], "detentions": [], "detention_charges": [],
               "events": [], "data_quality": self.problems}  # person_issues: Stage.add_person_issues, from persons
        number = 0
        for row in self.rows:
            self.row = row
            for spec in self.mapping.detentions:
                detention, charges = self.detention(spec, number)
                if detention:
                    number += 1
                    out["detentions"].append({**detention, "upstream_ref": self.ref(row)})
                    out["detention_charges"] += [{**charge, "upstream_ref": self.ref(row)} for charge in charges]
            out["events"] += [{**event, "upstream_ref": self.ref(row)} for event in self.events(out["events"])]
        self.row = self.rows[0]
        for table, rows in out.items():
            for new in rows:
                new.setdefault("upstream_ref", self.ref(self.rows[0]))
                new.update(source_id=self.source_id, _record=(self.source_id, self.upstream_id))
                yield table, new

    def text(self, column, missing=()):
        text = cell_text(self.row.values.get(column))
        return None if not text or text in self.plan.missing or text in missing else text

    def read(self, readers):
        found = []
        for reader in readers:
            found += reader.read(self)
            if found and not reader.many:
                return found[:1]
        return found

    def first(self, specs, kind="text"):
        found = self.read(self.plan.readers(specs, kind, None))
        return found[0][0] if found else None

    def person(self):
        """The person's columns: each from the first of the record's rows that gives it."""
        person = {"id": self.person_id, **dict.fromkeys(language.PERSON_FIELDS)}
        for name, readers, constant in self.plan.person_fields:
            if name in LIST_FIELDS:
                value = [found for self.row in self.rows for found, _, _ in self.read(readers)]
            elif len(self.rows) == 1:
                value = next(iter(self.read(readers)), (None,))[0]
            else:
                value = self.across_rows(readers, name)
            person[name] = value if constant is None else value or ([constant] if name in LIST_FIELDS else constant)
        self.row = self.rows[0]
        self.names(person)
        issues = list(dict.fromkeys(person["issues"] or []))
        implied = [self.plan.issue_categories.get(issue) for issue in issues]
        person["categories"] = json_list(sorted(set((person["categories"] or []) + [c for c in implied if c])))
        person["issues"] = json_list(issues)
        person["alternate_names"] = json_list(person["alternate_names"] or [])
        self.place(person)
        person.update(zip(("status", "status_confirmed", "status_detail", "status_as_of", "status_as_of_precision"),
                          self.status()))
        return person

    def across_rows(self, readers, name):
        """A single-valued field from the first row giving it; a later row saying otherwise is a problem."""
        value = None
        for self.row in self.rows:
            found = self.read(readers)
            if found and value is None:
                value = found[0][0]
            elif found and found[0][0] != value:
                self.problem(found[0][1], found[0][2], f"the rows of one person disagree on {name}; "
                                                       "the first row's value is kept")
        self.row = self.rows[0]
        return value

    def names(self, person):
        """The romanisation of a native-script name: the name when the list gives none, else an alternate name."""
        native, script = person.get("name_native"), self.mapping.name_script
        romanised = native and script and (romanise(native, script) if script in ("Hans", "Hant") else fold(native))
        if not person.get("name"):
            person["name"] = romanised or native
        elif romanised and ascii_key(romanised) != ascii_key(person["name"]):
            person["alternate_names"] = (person["alternate_names"] or []) + [romanised]
        if not person["name"]:
            raise BuildError(self.plan.file.shown, self.row.where, None, None, "the row names nobody (no name in it)",
                             "Fill in the name, or remove the row.")
        person["alternate_names"] = [n for n in dict.fromkeys(person["alternate_names"] or [])
                                     if n not in (person["name"], native)]

    def place(self, person):
        person.update(latitude=None, longitude=None, coordinate_precision=None)
        column, parts = None, [person["place"]] if person.get("place") else []  # a constant place
        for spec in self.mapping.fields.place or []:
            found = [self.text(column, spec.missing) for column in spec.columns()]
            if any(found):
                column = spec.columns()[0]
                written = [part for part in found if part]
                parts = found if spec.join is not None else written[:1]
                person["place"] = spec.join.join(written) if spec.join is not None else written[0]
                if spec.translates():  # its values or patterns give the name to look up; the place stays as written
                    parts = [name for name, _, _ in self.read(self.plan.readers([spec], "text", "place"))]
                break
        if not parts:
            return
        located = locate(person.get("country"), parts, self.context["gazetteer"], self.context["province_capitals"])
        if located:
            person["latitude"], person["longitude"], person["coordinate_precision"] = located
        else:
            self.problem(column or "place", person["place"], "place not found in the gazetteer; mapped at the "
                                                               "country's centroid")

    def status(self):
        """(status, confirmed, detail, as of, its precision) from the status value, or a date against as_of."""
        spec = self.mapping.status
        if not spec:
            return "unknown", None, None, None, None
        as_of = (self.first([spec.as_of], "date") if spec.as_of else None) or (None, None)
        if spec.deceased_when and self.text(spec.deceased_when):
            return "deceased", 1, None, *as_of
        column, value = next(((c, t) for c in language.as_list(spec.column or []) if (t := self.text(c, spec.missing))),
                             (None, None))
        confirmed = self.confirmed(spec.confirmed)
        detail = self.first([spec.detail]) if spec.detail else None
        entry = None if value is None else spec.values.get(value, self.plan.status_codes.get(value, NOTHING))
        if entry is None:
            return "unknown", None, detail, *as_of
        if entry is not NOTHING:
            entry = language.StatusEntry(status=entry) if isinstance(entry, str) else entry
            detail = detail or entry.detail or spec.details.get(value)
            return entry.status, int(entry.confirmed and confirmed), detail, *as_of
        if spec.date_after_as_of or spec.date_before_as_of:
            try:
                date, _ = self.plan.date_reader(spec).read(value)
            except DateProblem:
                date = None
            if date:
                after = date > self.plan.meta["as_of"][: len(date)]
                status = spec.date_after_as_of if after else spec.date_before_as_of
                return status, confirmed, detail or f"{spec.date_means} {date}", *as_of
            self.problem(column, value, "neither a known value nor a date; status recorded as unknown")
        else:
            self.problem(column, value, "unknown status code (not in the mapping's status values); recorded as unknown")
        return "unknown", 0, None, *as_of

    def confirmed(self, spec):
        if isinstance(spec, bool):
            return int(spec)
        value = self.first([spec])  # none given: confirmed
        if value is not None and str(value).lower() not in ("true", "false", "1", "0"):
            self.problem(language.as_list(spec.column)[0], value, "not true or false (map the list's flags in "
                                                                  "values); status taken as confirmed")
        return int(str(value).lower() not in ("false", "0"))

    def record(self, person):
        urls = []
        for self.row in self.rows:
            cells = [(c, t) for c in language.as_list(self.mapping.url_column or []) if (t := self.text(c))]
            found = [text.split()[0] for _, text in cells if all(WEB_ADDRESS.fullmatch(part) for part in text.split())]
            urls += found[:1]  # a cell may hold several: the first is the record's link
            for column, text in cells if not found else ():
                self.problem(column, text, "not a web address (http:// or https://); left out")
        references = []
        for reference in self.mapping.cross_references:
            for self.row in self.rows:
                text = self.text(reference.column, reference.missing)
                parts = [p.strip() for p in text.split(reference.separator)] if text and reference.separator else [text]
                references += [[reference.column, f"{reference.source}/{part}"] for part in parts if part]
        self.row = self.rows[0]
        values = [row.values for row in self.rows]
        written = self.first(self.mapping.name_as_written) if self.mapping.name_as_written else None
        return {"id": f"{self.source_id}/{self.upstream_id}", "upstream_id": self.upstream_id,
                "person_id": self.person_id, "name_as_written": written or person.get("name_native") or person["name"],
                "url": urls[0] if urls else None,
                "raw": json.dumps(values[0] if len(values) == 1 else values, ensure_ascii=False, default=str),
                "upstream_ref": ", ".join(dict.fromkeys(self.ref(row) for row in self.rows)),
                "_refers_to": json.dumps(references, ensure_ascii=False) if references else None}

    def detention(self, spec, number):
        """(detention, its charges) the row gives under one detention block, or (None, []) if it gives none."""
        detention = dict.fromkeys(language.DETENTION_COLUMNS)
        given, columns = False, {}
        for name, readers, is_date, counts in self.plan.detention_fields(spec):
            value, columns[name], _ = (self.read(readers) or [(None, name, None)])[0]
            if is_date:
                detention[name], detention[name + "_precision"] = value or (None, None)
            else:
                detention[name] = value
            given = given or (value is not None and counts)
        if spec.sentence_terms:
            months, written = self.terms(spec.sentence_terms)
            given = given or months is not None
            detention["sentence_months"] = detention["sentence_months"] or months
            detention["sentence_as_written"] = detention["sentence_as_written"] or written
        elif detention["sentence_as_written"] and detention["sentence_months"] is None:
            detention["sentence_months"], problem = read_term(detention["sentence_as_written"], spec.term_words.items())
            if problem:
                self.problem(columns["sentence_as_written"] or "sentence_as_written", detention["sentence_as_written"],
                             problem)
        charges = self.read(self.plan.readers(spec.charges, "charges", None)) if spec.charges else []
        if not (given or charges or spec.every_row):
            return None, []
        detention_id = self.person_id if number == 0 else f"{self.person_id}-{number + 1}"
        detention.update(id=detention_id, person_id=self.person_id, kind=detention["kind"] or "detention")
        rows = {}
        for charge_id, _, written in charges:
            rows.setdefault(written, {"detention_id": detention_id, "charge_id": charge_id,
                                      "charge_as_written": written})
        return detention, list(rows.values())

    def terms(self, terms):
        given = []
        for unit, factor in UNIT_MONTHS.items():
            text = self.text(getattr(terms, unit))
            try:
                number = float(text) if text else None
            except ValueError:
                self.problem(getattr(terms, unit), text, "not a number of " + unit)
                continue
            if number is not None:
                given.append((int(number) if number.is_integer() else number, unit, factor))
        if not given:
            return None, None
        months = round(sum(number * factor for number, _, factor in given), 2)
        return months, ", ".join(f"{number} {unit if number != 1 else unit[:-1]}" for number, unit, _ in given)

    def events(self, earlier):
        events = []
        taken = {event["id"] for event in earlier}
        for spec in self.mapping.events:
            found = self.first([spec], "date")
            if not found:
                continue
            event_id = unique_id(f"{self.person_id}-{spec.event_type}", taken)
            events.append({"id": event_id, "person_id": self.person_id, "date": found[0], "date_precision": found[1],
                           "event_type": spec.event_type, "description": spec.description,
                           "date_note": spec.date_note})
        return events
