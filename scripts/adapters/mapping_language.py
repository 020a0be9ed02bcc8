"""The mapping language: how a source.yml's `mapping:` block reads a list. Its models validate every mapping (a fault
names source.yml's line and key, and what is allowed), drive mapped.py and generate docs/mapping.md (scripts/docs.py).
Field names are our tables' columns (scripts/schema.py), so a list fills exactly the columns the database has."""

import codecs
import re
from typing import Annotated, Literal

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model,
                      field_validator, model_validator)

from scripts.adapters.dateformats import TERM_MEANINGS, UNIT_MONTHS, check_format
from scripts.adapters.readers import FORMATS
from scripts.schema import TABLES

Scalar = str | int | float | bool
# Persons columns a mapping fills under `fields:` (the status columns come from `status:`; derived ones never).
STATUS_COLUMNS = {"id", "status", "status_as_of", "status_confirmed", "status_detail"}
PERSON_FIELDS = [c.name for c in TABLES["persons"].columns if not c.derived and c.name not in STATUS_COLUMNS]
VOCABULARIES = {"country": "countries", "categories": "categories", "issues": "issue_categories"}
# Keys whose values name columns of the list, in whichever block they are: checked against the file's header.
COLUMN_KEYS = {"column", "id_column", "url_column", "deceased_when", *UNIT_MONTHS}


class Fault(ValueError):
    """A fault a validator finds, with what to do; `at` is the key (under the model validated) it is at."""

    def __init__(self, problem, fix="See docs/mapping.md for what this key takes.", value=None, at=()):
        super().__init__(problem)
        self.fix, self.value, self.at = fix, value, at


def vocabulary(table):
    return {"vocabulary": table}  # a key whose values are ids of this table (or `sources`: folders of raw/)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def known_keys(cls, data):
        """extra="forbid", with what the key may be instead."""
        for key in [key for key in data if key not in cls.model_fields] if isinstance(data, dict) else ():
            if key in REPLACED:
                raise Fault(f"'{key}' is a key of the mapping language's first version", f"Write {REPLACED[key]} "
                            "instead. See the mapping reference (docs/mapping.md), 'Keys replaced'.", data[key], (key,))
            where = "persons column a mapping can fill" if cls in (Fields, Constants) else "key here"
            raise Fault(f"'{key}' is not a {where}", f"Use one of: {', '.join(cls.model_fields)}. See docs/mapping.md.",
                        data[key], (key,))
        return data

    @model_validator(mode="after")
    def names_what_exists(self, info):
        """Validated with the list's file and the vocabularies as context: each column and id named exists."""
        known = info.context
        for name, field in type(self).model_fields.items() if known else ():
            value, table = getattr(self, name), (field.json_schema_extra or {}).get("vocabulary")
            for column in as_list(value) if name in COLUMN_KEYS and value is not None else ():
                if column not in known["file"].header:
                    raise Fault(f"the list {known['file'].shown} has no column of this name",
                                f"Its columns ({known['file'].header_where}) are: {', '.join(known['file'].header)}. "
                                "Fix the mapping or the file.", column, (name,))
            for at, given in ids_in(value) if table else ():
                if str(given) not in known[table]:
                    raise unknown_id(table, known[table], given, (name, *at))
        return self

    @field_validator("formats", check_fields=False)  # of the models that have date formats
    @classmethod
    def known_directives(cls, formats):
        for text in [text for text in formats or [] if text != "ISO"]:
            check_format(text)
        return formats


def unknown_id(table, known, given, at):
    if table == "sources":
        return Fault("no source has this id", "Name a folder of raw/ (a source id), such as cecc-ppd.", given, at)
    listed = ", ".join(sorted(known)) if len(known) <= 40 else f"the ids in raw/reference/{table}.csv"
    return Fault(f"not an id of the {table} vocabulary", f"Use one of: {listed}.", given, at)


def ids_in(value, at=()):
    """(key path, id) of each id a vocabulary key gives: a constant, a value spec's targets, a status entry's."""
    if isinstance(value, list | dict):
        pairs = enumerate(value) if isinstance(value, list) else value.items()
        return [found for key, item in pairs for found in ids_in(item, (*at, key))]
    if isinstance(value, Value):
        patterns = [((*at, "patterns", n, "value"), p.value) for n, p in enumerate(value.patterns)
                    if p.value is not None and "{" not in str(p.value)]
        return ids_in(value.value, (*at, "value")) + ids_in(value.values or {}, (*at, "values")) + patterns
    if isinstance(value, StatusEntry):
        return [(at, value.status)]
    return [] if value is None else [(at, value)]


def as_list(value):
    return value if isinstance(value, list) else [value]


def compiled(text):
    try:
        return re.compile(text)
    except re.error as exc:
        raise ValueError(f"not a regular expression ({exc})") from None


Regex = Annotated[str, AfterValidator(lambda text: compiled(text) and text)]


class Pattern(Strict):
    """A regular expression tried, in order, on a value that is not in `values`."""

    match: Regex = Field(description="Python regular expression for the whole value; `(…)` captures a group.")
    value: Scalar | None = Field(None, description="What a matching value becomes; `{1}`, `{2}`… stand for the "
                                                   "groups. `null`: no value.")
    problem: str | None = Field(None, description="Instead of `value`: send a match to data_quality with this problem.")

    @model_validator(mode="after")
    def groups_exist(self):
        groups = re.compile(self.match).groups
        for number in re.findall(r"\{(\d+)\}", self.value if isinstance(self.value, str) else ""):
            if not 1 <= int(number) <= groups:
                raise ValueError(f"{{{number}}} names no group of '{self.match}' (it has {groups})")
        return self


UnknownParts = create_model(
    "UnknownParts", __base__=Strict, __doc__="What a date writes for an unknown part, as in `1989/mm/dd`.",
    **{part: (str | None, Field(None, description=f"Placeholder for an unknown {part}, e.g. `{marker}`."))
       for part, marker in (("year", "yyyy"), ("month", "mm"), ("day", "dd"))})


class Value(Strict):
    """Where a value comes from: a column (or several), with its translation. A plain string is a column name."""

    column: str | list[str] | None = Field(
        None, description="The column; or a list of columns: a list field takes the values of every one, any other "
                          "field the first that has a value (or all of them joined with `join`).")
    value: Scalar | None = Field(None, description="A constant. With `column`: given to every row whose column has "
                                                   "a value (e.g. `{column: Religion, value: religious}`).")
    missing: list[str] = Field([], description="Values meaning 'no value' in this column, beside the mapping's "
                                               "`missing` (an empty cell never has a value).")
    values: dict[str, Scalar | None] | None = Field(
        None, description="Value map, the list's value → ours; `null` means no value. Checked against the "
                          "vocabulary of the field (countries, categories, issues, statuses, charges…).")
    patterns: list[Pattern] = Field([], description="Tried in order on a value not in `values`.")
    otherwise: Literal["problem", "keep"] | None = Field(
        None, description="A value neither in `values` nor matched by `patterns`: `problem` (the default when either "
                          "is given) sends it to data_quality, `keep` keeps it as written.")
    separator: str | None = Field(None, description="Several values in one cell, e.g. `\";\"` or `\"/\"`.")
    find: Regex | None = Field(
        None, description="Values written inside a text: every match of this regular expression is a value (its "
                          "first group where it has one; a match without it gives none), e.g. article numbers in a "
                          "charge. A one-value field takes it only where every match agrees; else none, reported.")
    join: str | None = Field(None, description="With several columns: all their values joined by this text "
                                               "(e.g. `\", \"` for county, prefecture, province).")
    formats: list[str] | None = Field(
        None, description="Date formats tried in order: `%Y` year, `%m` month, `%d` day, `%B`/`%b` month name or "
                          "abbreviation in the list's `language` (and English); `ISO` = `%Y`, `%Y-%m`, `%Y-%m-%d` "
                          "(the default for dates). A year-only format gives a year-precision date.")
    unknown: UnknownParts | None = Field(None, description="Placeholders for unknown parts of a date.")

    @model_validator(mode="before")
    @classmethod
    def from_column_name(cls, data):
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def has_a_source(self):
        if self.column is None and self.value is None:
            raise ValueError("give a column, or a constant value")
        if self.find and self.separator:
            raise ValueError("give separator or find, not both")
        return self

    def columns(self):
        return [] if self.column is None else as_list(self.column)

    def translates(self):
        return bool(self.values is not None or self.patterns)


Values = Annotated[list[Value], BeforeValidator(as_list)]

Fields = create_model("Fields", __base__=Strict, **{
    name: (Values | None, Field(None, json_schema_extra=vocabulary(VOCABULARIES.get(name)))) for name in PERSON_FIELDS})
Constants = create_model("Constants", __base__=Strict, **{
    name: (Scalar | None, Field(None, json_schema_extra=vocabulary(VOCABULARIES.get(name)))) for name in PERSON_FIELDS})


class StatusEntry(Strict):
    """A status value map entry with more than the status."""

    status: str = Field(description="A status id (raw/reference/statuses.csv).")
    confirmed: bool = Field(True, description="false where the list marks the status uncertain.")
    detail: str | None = Field(None, description="What the list's code adds (bail, life sentence…).")


class Status(Strict):
    """The person's status (a vocabulary: raw/reference/statuses.csv), its date and whether it is confirmed."""

    column: str | list[str] | None = Field(None, description="The column(s) holding the status.")
    missing: list[str] = Field([], description="Values meaning 'no value' in this column.")
    values: dict[str, str | StatusEntry | None] = Field(
        {}, description="The list's value → a status id, or `{status, confirmed, detail}`; `null`: unknown.",
        json_schema_extra=vocabulary("statuses"))
    codes_file: str | None = Field(None, description="A CSV beside source.yml with columns `code,status,confirmed,"
                                                     "detail` (confirmed 1 or 0), read as more `values`.")
    details: dict[str, str] = Field({}, description="The list's value → status_detail.")
    date_after_as_of: str | None = Field(None, description="Status of a row whose value is a date after the list's "
                                                           "`as_of` (e.g. a sentence end date still to come).",
                                         json_schema_extra=vocabulary("statuses"))
    date_before_as_of: str | None = Field(None, description="Status of a row whose value is a date before `as_of`.",
                                          json_schema_extra=vocabulary("statuses"))
    date_means: str = Field("date", description="What such a date is, for status_detail (e.g. `sentence ends`).")
    formats: list[str] | None = Field(None, description="Formats of such dates (as for a date value).")
    unknown: UnknownParts | None = Field(None, description="Placeholders for unknown parts of such dates.")
    confirmed: bool | Value = Field(True, description="`false` if the list's statuses are unconfirmed, or a value "
                                                      "whose `values` map the list's flags to true or false.")
    as_of: Value | None = Field(None, description="The status's date (a date value); else the list's `as_of`.")
    detail: Value | None = Field(None, description="status_detail from a column.")
    deceased_when: str | None = Field(None, description="A column that, when it has a value, makes the person "
                                                        "deceased (e.g. a date of death).")


Terms = create_model(
    "Terms", __base__=Strict, __doc__="A sentence given in numeric columns: years, months, weeks and days added up "
                                      "into sentence_months.",
    **{unit: (str | None, Field(None, description=f"The column of the {unit}.")) for unit in UNIT_MONTHS})
DETENTION_COLUMNS = ["kind", "detained_on", "age_at_detention", "sentenced_on", "sentence_as_written",
                     "sentence_months", "sentence_ends_on", "released_on", "place"]


class DetentionBase(Strict):
    """A detention each row gives: its dates, sentence, place and charges (the detentions table's columns) from
    values; `kind` from raw/reference/detention_kinds.csv (default `detention`, the kind not stated)."""

    every_row: bool = Field(False, description="Make this detention for every row, even one that gives none of its "
                                               "values (every person on the list was detained).")
    charges: Values | None = Field(
        None, description="Charge ids (raw/reference/charges.csv), several per cell with `separator`; the list's "
                          "wording translated with `values` or `patterns` (e.g. `{match: 'CL97-art(\\d+).*', "
                          "value: 'CN-CL1997-{1}'}`). Kept as written beside the id.",
        json_schema_extra=vocabulary("charges"))
    sentence_terms: Terms | None = Field(None, description="The sentence in numeric columns (years, months, weeks, "
                                                           "days): sentence_months and sentence_as_written from them.")
    term_words: dict[str, Literal[TERM_MEANINGS]] = Field(
        {}, description="Words the list uses in sentence_as_written beyond those read already (English, Chinese and "
                        "Vietnamese units, numerals and number words, `life`, `death`, `suspended`), e.g. `{años: "
                        "years, prisión: filler}`. A sentence not read into months is kept as written, reported.")


Detention = create_model("Detention", __base__=DetentionBase, __doc__=DetentionBase.__doc__, **{
    name: (Values | None, Field(None, json_schema_extra=vocabulary("detention_kinds" if name == "kind" else None)))
    for name in DETENTION_COLUMNS})


class Event(Value):
    """A dated event: its date is the value (a date value); one event per row that has it."""

    event_type: str = Field(description="An event type id (raw/reference/event_types.csv).",
                            json_schema_extra=vocabulary("event_types"))
    description: str = Field(description="The event, in our words (the date stays as the list gives it).")
    date_note: str | None = Field(None, description="A note on the date.")


class CrossReference(Strict):
    """A column holding another source's upstream id of the same person: the two records are linked."""

    column: str = Field(description="The column (e.g. a CECC record number).")
    source: str = Field(description="The other source's id (a raw/ folder).", json_schema_extra=vocabulary("sources"))
    separator: str | None = Field(None, description="Several ids in one cell.")
    missing: list[str] = Field([], description="Values meaning 'no reference' in this column.")


class Document(Strict):
    """A document of entries (a report's numbered cases) rather than a table: each entry is a row whose columns are
    the named groups `(?P<name>…)` of `heading` and `section`, the `fields`, and `text`, the entry's whole text.
    Lines are compared with their spaces collapsed; an entry runs to the next heading or section."""

    start: Regex | None = Field(None, description="Entries are looked for from the first line this matches on "
                                                  "(e.g. the first section's heading, after the contents).")
    heading: Regex = Field(description=r"A line that starts an entry, e.g. `(?P<number>\d+)\. (?P<name>[A-Z].*)`.")
    section: Regex | None = Field(None, description="A line that starts a section: its named groups are columns of "
                                                    "every entry in it.")
    fields: dict[str, Regex] = Field({}, description="Column → the label that starts its value at the start of a "
                                                     "line (e.g. `{arrested: 'Date of arrest:'}`); a value runs to a "
                                                     "blank line or the next label.")
    drop: list[Regex] = Field([], description="Lines that are not the entries' text (page numbers, footnotes).")


FORMAT_KEYS = {"encoding": ("csv", "tsv", "json", "html"), "delimiter": ("csv", "tsv"), "sheet": ("xlsx", "ods"),
               "table": ("html",), "pages": ("pdf",), "pdf_columns": ("pdf",), "object": ("rdata",),
               "document": ("html", "pdf")}
# Keys of the language's first version (mapped_csv) and what replaced them, for the error and the reference.
REPLACED = {"detention": "`detentions:`, a list of detention blocks (`detentions: [{sentence_as_written: Sentence}]`)",
            "sentence_column": "`sentence_as_written:` in a detentions block",
            "format": "`formats:`, a list of date formats (`formats: [ISO]` for the year of a date)"}


class Mapping(Strict):
    """How a list is read: its file's format, its rows, and which of its columns fill which of our columns."""

    format: Literal[FORMATS] = Field("csv", description="The file's format: " + ", ".join(FORMATS) + ".")
    encoding: str = Field("utf-8", description="csv, tsv, json, html: the text encoding, e.g. `latin-1` or `utf-16`.")
    delimiter: str | None = Field(None, description="csv: the separator between cells (default `,`; tsv: tab).")
    sheet: str | None = Field(None, description="xlsx, ods: the sheet's name (default: the first).")
    header_row: int = Field(1, ge=1, description="The row (line) of the column names; rows above it are left out.")
    header: list[str] | None = Field(None, description="Column names, for a file without a header row (every row "
                                                       "is then data).")
    table: int = Field(1, ge=1, description="html: which table of the page (1 = the first).")
    pages: str | None = Field(None, description="pdf: the table's pages, e.g. `2-5` or `1,3` (default: all).")
    pdf_columns: list[float] | None = Field(None, description="pdf: x positions (in points) of the lines between "
                                                              "columns, for a table drawn without rules.")
    object: str | None = Field(None, description="rdata: the data frame's name in the R workspace.")
    document: Document | None = Field(None, description="html, pdf: a document of entries, read as declared here.")
    first_columns: int | None = Field(None, ge=1, description="Read only the first N columns (the rest left out).")
    missing: list[str] = Field([], description="Values meaning 'no value' in every column (e.g. `[NA, \".\", "
                                               "\"0\"]`). An empty cell never has a value.")
    id_column: str | None = Field(None, description="Column of the list's record ids (else: the line or row number).")
    several_rows_per_person: bool = Field(False, description="Rows sharing an `id_column` value are one person: "
                                                             "each row adds its detentions and events.")
    url_column: str | list[str] | None = Field(
        None, description="A link to the record upstream (a web address); or a list of columns, the first that "
                          "holds a web address winning. Other text in them is reported (records.raw keeps it).")
    upstream_ref: str | None = Field(None, description="How a record is cited: `{where}` (e.g. `line 12`) and "
                                                       "`{id}`; default `{where}`.")
    name_script: str | None = Field(None, description="The ISO 15924 script of `name_native` (e.g. `Hans`, `Hant`, "
                                                      "`Cyrl`): its romanisation (pinyin for Chinese) becomes "
                                                      "`name` when the list gives none, else an alternate name.")
    name_as_written: Values | None = Field(None, description="records.name_as_written: the name exactly as the "
                                                             "list writes it (default: name_native, else name).")
    fields: Fields = Field(Fields(), description="persons columns ← values (a column name, or a value).")
    constants: Constants = Field(Constants(), description="persons columns with one value for every row.")
    status: Status | None = Field(None, description="The status, its date and whether it is confirmed.")
    detentions: list[Detention] = Field([], description="Detentions each row gives (several allowed); a detention "
                                                        "is made when one of its values is in the row.")
    events: list[Event] = Field([], description="Dated events each row gives.")
    cross_references: list[CrossReference] = Field([], description="Columns holding another source's record ids.")

    @field_validator(*FORMAT_KEYS)
    @classmethod
    def of_the_format(cls, value, info):
        formats, form = FORMAT_KEYS[info.field_name], info.data.get("format")
        if value is not None and form and form not in formats:
            raise Fault(f"'{info.field_name}' is for the {' and '.join(formats)} format(s), and this list is {form}",
                        f"Remove it, or set format: to {' or '.join(formats)}.")
        return value

    @field_validator("several_rows_per_person")
    @classmethod
    def grouped_by_id(cls, several, info):
        if several and not info.data.get("id_column"):
            raise Fault("several rows per person need an id_column",
                        "Name the column of the list's own ids in id_column: rows with the same id are one person.")
        return several

    @field_validator("upstream_ref")
    @classmethod
    def known_placeholders(cls, text):
        try:
            text.format(where="", id="")
        except (KeyError, IndexError, ValueError):
            raise ValueError("use only {where} and {id} in upstream_ref") from None
        return text

    @field_validator("encoding")
    @classmethod
    def known_encoding(cls, name):
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"unknown encoding {name!r} (try utf-8, latin-1, cp1252 or utf-16)") from None
        return name

    @model_validator(mode="after")
    def object_for_rdata(self):
        if self.format == "rdata" and not self.object:
            raise ValueError("an rdata list needs object: the data frame's name")
        return self


def yaml_value(node, path, lines):
    """Python values from a YAML node with YAML 1.2's plain scalars (yes, no, on, off stay text), noting each line."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        yaml.SafeLoader("").flatten_mapping(node)  # YAML merge keys (<<: *anchor) as a YAML loader applies them
        return {key.value: yaml_value(value, (*path, key.value), lines) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [yaml_value(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return node.value if node.style else plain_scalar(node.value)  # quoted or block text stays text


def plain_scalar(text):
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return text.lower() == "true"
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text):
        return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
    return text


def mapping_node(path):
    """(the mapping block as Python values, {key path: line}) from a source.yml; ({}, {}) if it has none."""
    with open(path, encoding="utf-8") as handle:
        root = yaml.compose(handle, Loader=yaml.SafeLoader)
    node, lines = next((value for key, value in getattr(root, "value", []) if key.value == "mapping"), None), {}
    return ({}, {}) if node is None else (yaml_value(node, ("mapping",), lines), lines)


def parse(data, lines, known=None):
    """The validated Mapping, or (line, key path, value, problem, fix) of its deepest fault (within the union member
    that was meant). `known`: the list's file and the vocabularies, to check the columns and ids it names."""
    try:
        return Mapping.model_validate(data, context=known), None
    except ValidationError as exc:
        causes = [(error, (error.get("ctx") or {}).get("error")) for error in exc.errors()]
    error, cause = max(causes, key=lambda pair: len(pair[0]["loc"]) + len(getattr(pair[1], "at", ())))
    line, key, node = line_of((*error["loc"], *getattr(cause, "at", ())), data, lines)
    if error["type"] == "missing":
        cause = Fault(f"'{error['loc'][-1]}' is required here", "See docs/mapping.md.")
    elif not isinstance(cause, Fault):
        cause = Fault(error["msg"].removeprefix("Value error, "))
    value = cause.value if cause.value is not None else None if isinstance(node, dict | list) else node
    return None, (line, key, value, str(cause), cause.fix)


def line_of(loc, data, lines):
    """(line, key path, value) of the deepest key of `loc` the YAML has (the union members' names skipped)."""
    path, node = ("mapping",), data
    for part in loc:
        if isinstance(node, dict) and part in node or isinstance(node, list) and part in range(len(node)):
            path, node = (*path, part), node[part]
    return lines.get(path), ".".join(map(str, path)), node

