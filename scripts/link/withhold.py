"""Withholding: what a family asks us not to publish is nowhere in the database, or the build stops and says why
(docs/withholding.md). The redactions go to a report never published; `traces_left` searches for what was missed."""

import csv
import json
import os
import re
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from scripts.common import CJK, fold, romanise
from scripts.read import ROOT, Origin, display_path, read_csv
from scripts.schema import TABLES, pk_columns

LEVELS = ("withhold", "anonymous", "counts only", "record only")
PERSON = "person:"
PRIVATE_LIST = "CONSCIENCE_WITHHELD"  # names a second list, kept out of the public repository
NAME_MARKER = "[name withheld]"
RECORD_MARKER = "[record withheld]"
WITHHELD_NAME = "Name withheld at the family's request"
WITHHELD_DETAILS = "Details withheld at the family's request."
WITHHELD_CASE = "A reprisal case withheld at the family's request"
WITHHELD_REF = "withheld"
PUBLIC_ID = re.compile(r"^anonymous-[a-z0-9]+(?:-[a-z0-9]+)*$")  # the prefix keeps it apart from sources' ids
PREFILTER_GROUP = 400  # tests OR-ed in one query: SQLite refuses an expression over 1,000 deep
JSON_EACH = "(SELECT value FROM json_each(?))"  # the members of a JSON list given as parameter
OF_RECORDS = f"SELECT DISTINCT person_id FROM records WHERE id IN {JSON_EACH}"


@dataclass(frozen=True)
class Request:
    origin: Origin
    target: str
    level: str
    public_id: str | None
    name: str | None = None  # the person's name as the maintainer reads it, checked against the records

    def error(self, problem, fix):
        return self.origin.error("record", self.target, problem, fix)


def read_all(raw):
    """The requests of raw/withheld.csv and of the private list $CONSCIENCE_WITHHELD names, if any."""
    seen = {}
    requests = read_requests(Path(raw) / "withheld.csv", seen)
    for request in requests:
        if request.name:
            raise request.origin.error("name", None, "a name in the public list would be published with the "
                                       "repository", f"Move this line to the private list (${PRIVATE_LIST}), where "
                                       "its name column is checked against the records.")
    if os.environ.get(PRIVATE_LIST):
        requests += read_requests(Path(os.environ[PRIVATE_LIST]), seen)
    public_ids = [r.public_id for r in requests if r.public_id]
    for request in requests:
        if request.public_id and public_ids.count(request.public_id) > 1:
            raise request.origin.error("public_id", request.public_id, "two lines give the same public id",
                                       "Give each anonymous person a public id of their own.")
    return requests


def read_requests(path, seen):
    """One list's requests, checked line by line (none if it does not exist); `seen`: {target read: its origin}."""
    requests = []
    for origin, row in read_csv(path, required=("record", "level", "public_id")) if path.exists() else ():
        request = Request(origin, (row["record"] or "").strip(), (row["level"] or "").strip() or "withhold",
                          (row["public_id"] or "").strip() or None, (row.get("name") or "").strip() or None)
        check_request(request, seen)
        seen[request.target] = origin
        requests.append(request)
    return requests


def check_request(request, seen):
    if not request.target:
        raise request.error("the line names no record", "Write a record id (source/upstream id) or person:<id>.")
    if request.target in seen:
        raise request.error(f"already withheld ({seen[request.target].where()})", "Remove one of the two lines.")
    if not request.target.startswith(PERSON) and request.target.count("/") < 1:
        raise request.error("neither a record id nor a person", "Write the record id as its page shows it "
                            "(source/upstream id, e.g. cecc-ppd/2004-02138) or person:<id> (the id in /person/<id>).")
    if request.level not in LEVELS:
        raise request.origin.error("level", request.level, "unknown level", f"Use one of: {', '.join(LEVELS)}.")
    if request.level == "record only" and request.target.startswith(PERSON):
        raise request.origin.error("level", request.level, "a person line cannot withhold a record only",
                                   "Name the record (source/upstream id) that must go.")
    if request.level == "anonymous" and not (request.public_id and PUBLIC_ID.match(request.public_id)):
        raise request.origin.error("public_id", request.public_id, "an anonymous person needs a public id",
                                   f"Choose one that says nothing about them: 'anonymous-' then lower-case letters, "
                                   f"digits or hyphens, such as anonymous-{secrets.token_hex(3)}; never change it.")
    if request.public_id and request.level != "anonymous":
        raise request.origin.error("public_id", request.public_id, "only an anonymous person has a public id",
                                   "Leave public_id empty, or set level to anonymous.")


@dataclass
class Person:
    request: Request
    records: set  # record ids
    names: set = field(default_factory=set)  # names and romanisations, as sources write them
    ids: set = field(default_factory=set)  # person ids, record ids and upstream ids they have had
    references: set = field(default_factory=set)  # addresses of links to them in other narratives
    surnames: set = field(default_factory=set)  # how a narrative that names them refers to them again
    chinese: bool = False


@dataclass
class Withheld:
    persons: list  # Person, never at the level "record only"
    records: dict  # record id -> Request, for records withheld alone


def resolve(stage, requests, linked, declared):
    """Each request matched to the staged records as the link plan `linked` groups them; `declared`: raw/'s sources."""
    withheld, claimed = Withheld([], {}), {}
    for request in requests:
        if (records := matching_records(stage.conn, request, linked, declared)) is None:
            continue
        for record in records:
            if record in claimed:
                raise request.error(f"the same person is withheld already ({claimed[record].origin.where()})",
                                    "Keep one line per person.")
            claimed[record] = request
        if request.level == "record only":
            withheld.records[next(iter(records))] = request
        else:
            withheld.persons.append(Person(request, records))
    for person in withheld.persons:
        known_as(stage.conn, person)
        given = person.request.name  # a typo in a record id can be another person's: the name must be theirs
        if given and not any(same_name(given, known) for known in person.names):
            raise person.request.origin.error(
                "name", None, "the name given is not a name of the person this line's record finds (neither name is "
                "shown here)", "Check the record id: a typo can be another person's id. Compare the name with the "
                "records table, then correct the id or the name.")
    for case_id, reference, targets in own_cases(stage.conn, set().union(*(person.ids for person in withheld.persons))):
        for person in withheld.persons:
            if person.ids & targets:
                person.ids |= {i for i in (case_id, reference) if distinctive(i)}
    return withheld


def same_name(a, b):
    """Two writings of one name: the same words in any order, diacritics, case aside; in CJK, same hanzi or pinyin."""
    if CJK.search(a) and CJK.search(b):
        return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)
    a, b = (romanise(x, "Hans") if CJK.search(x) else x for x in (a, b))
    return sorted(tokens(a)) == sorted(tokens(b)) or "".join(tokens(a)) == "".join(tokens(b))


def matching_records(conn, request, linked, declared):
    """The records the request withholds (a set), or None for a source this build does not have."""
    if request.target.startswith(PERSON):
        person_id = request.target[len(PERSON):]
        found = [r for (r,) in conn.execute("SELECT id FROM records WHERE person_id = ? ORDER BY id", (person_id,))]
        if not found:
            raise request.error("no person has this id", "Use the id in the address of the person's page "
                                "(/person/<id>), or name one of their records (source/upstream id).")
        return set().union(*(linked.members(record) for record in found))
    if (source_id := request.target.split("/", 1)[0]) not in declared:
        raise request.error(f"there is no source '{source_id}'",
                            "Use a source id from raw/ (a folder with a source.yml), as in the record's id.")
    if not conn.execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone():
        print(f"{request.origin.where()}: source {source_id} is missing from this build; "
              f"its records are not published", flush=True)
        return None
    if not conn.execute("SELECT 1 FROM records WHERE id = ?", (request.target,)).fetchone():
        raise request.error(f"source {source_id} has no such record",
                            "Copy the record id from its row in the records table (source/upstream id).")
    if len(members := linked.members(request.target)) > 1 and request.level != "record only":
        others = ", ".join(sorted(members - {request.target}))
        raise request.error(f"the person this record names is also known through {others}",
                            "Withhold the person (person:<their id>) so that none of their records is published, "
                            "or set level to 'record only' if only this record must go.")
    return {request.target}


def known_as(conn, person):
    """Every name, id and upstream reference of the person's records and of the persons they define."""
    records = (json.dumps(sorted(person.records)),)
    for record_id, upstream_id, person_id, written in conn.execute(
            f"SELECT id, upstream_id, person_id, name_as_written FROM records WHERE id IN {JSON_EACH}", records):
        person.ids |= {record_id, upstream_id, person_id}
        person.names.add(written)
    for name, native, alternates, country in conn.execute(f"SELECT name, name_native, alternate_names, country "
                                                          f"FROM persons WHERE id IN ({OF_RECORDS})", records):
        person.names |= {name, native, *json.loads(alternates or "[]")}
        person.chinese |= bool(native and CJK.search(native)) or country in ("CN", "HK", "MO", "TW")
    person.names |= {romanise(name, "Hans") for name in person.names
                     if name and CJK.search(name) and not re.search(r"[A-Za-z]", name)}
    person.names = {name.strip() for name in person.names if is_name(name)}
    person.ids = {i for i in person.ids if distinctive(i)}
    # How a narrative refers again to someone it named in full: Chinese names by the family name, others by the last.
    person.surnames = {tokens(name)[0 if person.chinese else -1] for name in person.names
                       if not CJK.search(name) and len(tokens(name)) >= 2}


def own_cases(conn, person_ids):
    """(case id, UN reference, target ids) of each case whose every target is one of the persons: both identify them."""
    return [(case_id, reference, set(json.loads(targets))) for case_id, reference, targets in conn.execute(f"""
        SELECT c.id, c.sg_case_reference, json_group_array(r.person_id) FROM cases c JOIN reprisals r ON r.case_id = c.id
        GROUP BY c.id HAVING sum(r.organization_id IS NOT NULL OR r.person_id IS NULL
                                 OR r.person_id NOT IN {JSON_EACH}) = 0
        ORDER BY c.id""", (json.dumps(sorted(person_ids)),))]


def known_before(conn, persons, previous_changes):
    """What each person was known by in the previous release (attached as `previous`), to a fixed point: ids, names."""
    tables = {name for (name,) in conn.execute("SELECT name FROM previous.sqlite_master WHERE type = 'table'")}
    for person in persons:
        before = None
        while before != (len(person.ids), len(person.names)):
            before = (len(person.ids), len(person.names))
            ids = json.dumps(sorted(person.ids))
            if "records" in tables:
                for found in conn.execute(f"SELECT id, upstream_id, person_id FROM previous.records "
                                          f"WHERE id IN {JSON_EACH} OR person_id IN {JSON_EACH}", (ids, ids)):
                    person.ids |= {i for i in found if distinctive(i)}
            if "persons" in tables:
                for name, native, alternates in conn.execute(f"SELECT name, name_native, alternate_names "
                                                             f"FROM previous.persons WHERE id IN {JSON_EACH}", (ids,)):
                    person.names |= {n for n in (name, native, *json.loads(alternates or "[]")) if is_name(n)}
            redactor = Redactor([person])
            person.ids |= {change["person_id"] for change in previous_changes if change["person_id"] and (
                change["person_id"] in person.ids or redactor.names_in(change["title"] or "") is not None)}


def is_name(text):
    """A name worth looking for: not lost characters (??), not a lone syllable."""
    if not text or not text.strip() or set(text.strip()) <= set("? "):
        return False
    if CJK.search(text):
        return len(CJK.findall(text)) >= 2
    return len(re.sub(r"[^a-z0-9]", "", fold(text).lower())) >= 4 and len(tokens(text)) >= 2


def distinctive(identifier):
    """An id worth looking for in other texts: not a bare line or case number, which any text may hold."""
    return bool(identifier) and len(identifier) >= 6 and not identifier.isdigit()


def tokens(text):
    return re.findall(r"[a-z0-9]+", fold(text).lower())


def remove_records(stage, record_ids, person_ids=()):
    """The records and the persons' records gone with every row they gave; then those persons, and any a gone record
    defined that no record names now, with every row about them; a case whose every target went, with its events."""
    if not (record_ids or person_ids):
        return  # spares scanning every table
    conn = stage.conn
    people = json.dumps(sorted(person_ids))
    conn.execute("CREATE TEMP TABLE gone_records AS SELECT _record_source AS source, _record_upstream AS upstream, "
                 "person_id FROM records WHERE id IN (SELECT value FROM json_each(?)) "
                 "OR person_id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(record_ids)), people))
    for name in stage.public:
        conn.execute(f"DELETE FROM [{name}] WHERE (_record_source, _record_upstream) IN "
                     f"(SELECT source, upstream FROM temp.gone_records)")
    conn.execute("CREATE TEMP TABLE gone_people AS SELECT value AS id FROM json_each(?) UNION SELECT person_id "
                 "FROM temp.gone_records WHERE person_id NOT IN (SELECT person_id FROM records)", (people,))
    conn.execute("CREATE TEMP TABLE cases_before AS SELECT DISTINCT case_id FROM reprisals")
    conn.execute("DELETE FROM persons WHERE id IN (SELECT id FROM temp.gone_people)")
    for name in ("records", "detentions", "events", "reprisals", "person_issues"):
        conn.execute(f"DELETE FROM [{name}] WHERE person_id IN (SELECT id FROM temp.gone_people)")
    conn.execute("DELETE FROM detention_charges WHERE detention_id NOT IN (SELECT id FROM detentions)")
    conn.execute("CREATE TEMP TABLE gone_cases AS SELECT case_id FROM temp.cases_before "
                 "WHERE case_id NOT IN (SELECT case_id FROM reprisals)")
    conn.execute("DELETE FROM events WHERE case_id IN (SELECT case_id FROM temp.gone_cases)")
    conn.execute("DELETE FROM cases WHERE id IN (SELECT case_id FROM temp.gone_cases)")
    for table in ("gone_people", "gone_records", "cases_before", "gone_cases"):
        conn.execute(f"DROP TABLE temp.{table}")


def person_ids(conn, person):
    """The persons the withheld records belong to now (linking may have merged them)."""
    return [p for (p,) in conn.execute(f"{OF_RECORDS} ORDER BY person_id", (json.dumps(sorted(person.records)),))]


def apply(stage, withheld, province_of):
    """Withhold, count or anonymise each withheld person (already linked), then redact what names them; the redactions
    made, for the maintainer's report. `province_of(country, latitude, longitude)`: the province's point around one."""
    if not withheld.persons:
        return []  # spares scanning every table
    conn = stage.conn
    for person in withheld.persons:
        person.ids |= set(person_ids(conn, person))
    gone = [p for p in withheld.persons if p.request.level in ("withhold", "counts only")]
    count_persons(stage, [pid for p in gone if p.request.level == "counts only" for pid in person_ids(conn, p)])
    remove_records(stage, (), {pid for p in gone for pid in person_ids(conn, p)})
    anonymous = [p for p in withheld.persons if p.request.level == "anonymous"]
    addresses = own_addresses(conn, {pid for p in anonymous for pid in person_ids(conn, p)}) if anonymous else set()
    for person in anonymous:
        person.references |= addresses
        anonymise(conn, person, province_of)
    anonymise_cases(conn, {p.request.public_id for p in anonymous})
    return redact(stage, withheld.persons)


def count_persons(stage, counted):
    rows = stage.conn.execute(f"SELECT country, status, count(*) FROM persons WHERE id IN {JSON_EACH} "
                              f"GROUP BY country, status ORDER BY country, status", (json.dumps(counted),)).fetchall()
    stage.add("withheld_counts", ((Origin("raw/withheld.csv"), {"country": c, "status": s, "persons": n})
                                  for c, s, n in rows))


def anonymise(conn, person, province_of):
    """The person as a case without a name: public id, no name, narrative or upstream record; province, month."""
    public_id = person.request.public_id
    if len(found := person_ids(conn, person)) != 1:
        raise person.request.error("the person's records are no longer linked as one person",
                                   "Withhold each person on a line of its own.")
    old_id = found[0]
    country, latitude, longitude, precision = conn.execute(
        "SELECT country, latitude, longitude, coordinate_precision FROM persons WHERE id = ?", (old_id,)).fetchone()
    if precision == "city":
        latitude, longitude = province_of(country, latitude, longitude) or (None, None)
        precision = "province" if latitude is not None else None
    conn.execute("""UPDATE persons SET id = ?, name = ?, name_native = NULL, name_folded = ?, alternate_names = NULL,
                    birth_year = NULL, occupation = NULL, summary = NULL, place = NULL, latitude = ?, longitude = ?,
                    coordinate_precision = ?, name_withheld = 1, upstream_ref = ?, _name_keys = NULL,
                    _name_as_written = NULL WHERE id = ?""",
                 (public_id, WITHHELD_NAME, fold(WITHHELD_NAME), latitude, longitude, precision, WITHHELD_REF, old_id))
    conn.execute("""UPDATE records SET id = source_id || '/' || ?, upstream_id = ?, person_id = ?, name_as_written = ?,
                    url = NULL, raw = '{}', upstream_ref = ? WHERE person_id = ?""",
                 (public_id, public_id, public_id, WITHHELD_NAME, WITHHELD_REF, old_id))
    conn.executemany("DELETE FROM data_quality WHERE _record_source = ? AND _record_upstream = ?",
                     (record.split("/", 1) for record in sorted(person.records)))
    renamed = rename_rows(conn, "detentions", old_id, public_id, "detention", "place = NULL, age_at_detention = NULL, "
                          "sentence_as_written = iif(sentence_as_written GLOB ?, NULL, sentence_as_written)",
                          ("*[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*",),  # a sentence written as its end date
                          dates=("detained_on", "sentenced_on", "sentence_ends_on", "released_on"))
    conn.executemany("UPDATE detention_charges SET detention_id = ?, upstream_ref = ? WHERE detention_id = ?",
                     ((new, WITHHELD_REF, old) for old, new in renamed))
    rename_rows(conn, "events", old_id, public_id, "event", "description = ?, date_note = NULL", (WITHHELD_DETAILS,))
    rename_rows(conn, "reprisals", old_id, public_id, "reprisal",
                "description = ?, date_note = NULL, un_mechanism_as_written = NULL", (WITHHELD_DETAILS,))
    conn.execute("UPDATE person_issues SET person_id = ?, upstream_ref = ? WHERE person_id = ?",
                 (public_id, WITHHELD_REF, old_id))


def own_addresses(conn, person_ids):
    """Pages cited for the persons or their own cases, and by no row about anyone else: such a page names them."""
    mine, others = set(), set()
    cases = {case_id for case_id, _, _ in own_cases(conn, person_ids)}
    for name, table in ((name, table) for name, table in TABLES.items() if table.provenance):
        columns = {c.name for c in table.columns}
        about_them = ("person_id IN (SELECT value FROM json_each(:persons))" if "person_id" in columns
                      else "id IN (SELECT value FROM json_each(:persons))" if name == "persons"
                      else "id IN (SELECT value FROM json_each(:cases))" if name == "cases" else "0")
        if "case_id" in columns:
            about_them += " OR case_id IN (SELECT value FROM json_each(:cases))"
        for ref, theirs in conn.execute(f"SELECT upstream_ref, {about_them} FROM [{name}]",
                                        {"persons": json.dumps(sorted(person_ids)), "cases": json.dumps(sorted(cases))}):
            (mine if theirs else others).update(
                part for part in (ref or "").split("; ") if part.startswith(("http://", "https://")))
    return mine - others


def anonymise_cases(conn, public_ids):
    """Each case of anonymous targets only renamed after the first's id, stripped; year, state, codes stay: counted."""
    numbers = {}
    for case_id, _, targets in own_cases(conn, public_ids):
        first = min(targets)
        numbers[first] = numbers.get(first, 0) + 1
        new = f"{first}-case-{numbers[first]}"
        year, = conn.execute("SELECT sg_report_year FROM cases WHERE id = ?", (case_id,)).fetchone()
        types = sorted({t for (value,) in conn.execute("SELECT reprisal_types FROM reprisals WHERE case_id = ?",
                                                       (case_id,)) for t in json.loads(value or "[]")})
        summary = (f"Reprisals ({', '.join(types) or 'of a kind not stated'})"
                   + (f" recorded in the Secretary-General's report of {year}" if year else "") + f". {WITHHELD_DETAILS}")
        conn.execute("""UPDATE cases SET id = ?, title = ?, summary = ?, sg_case_reference = NULL, upstream_ref = ?
                        WHERE id = ?""", (new, WITHHELD_CASE, summary, WITHHELD_REF, case_id))
        conn.execute("UPDATE reprisals SET case_id = ? WHERE case_id = ?", (new, case_id))
        rename_rows(conn, "events", case_id, new, "event", "description = ?, date_note = NULL", (WITHHELD_DETAILS,),
                    key="case_id")


def rename_rows(conn, table, old_id, public_id, kind, blank, params=(), dates=("date",), key="person_id"):
    """A person's (or case's: `key`) rows renumbered under the public id, blanked, dates to the month; (old, new)."""
    rows = conn.execute(f"SELECT rowid, id FROM [{table}] WHERE [{key}] = ? ORDER BY rowid", (old_id,)).fetchall()
    new = {rowid: f"{public_id}-{kind}-{number}" for number, (rowid, _) in enumerate(rows, start=1)}
    conn.executemany(f"UPDATE [{table}] SET id = ?, [{key}] = ?, upstream_ref = ?, {blank} WHERE rowid = ?",
                     ((new[rowid], public_id, WITHHELD_REF, *params, rowid) for rowid in new))
    for date in dates:
        conn.execute(f"""UPDATE [{table}] SET [{date}] = substr([{date}], 1, 7), [{date}_precision] = 'month'
                         WHERE [{key}] = ? AND [{date}_precision] = 'day'""", (public_id,))
    return [(old, new[rowid]) for rowid, old in rows]


def narratives(conn, redactor):
    for name, table in TABLES.items():
        for column in (c for c in table.columns if c.narrative):
            yield from ((table, column, rowid, text) for rowid, text in redactor.candidates(conn, name, column.name))


def redact(stage, persons):
    """Other rows' narratives redacted where they name a withheld person, and the address of any link naming them (a
    CECC address carries only a number); the redactions made."""
    conn = stage.conn
    for _, column, _, text in narratives(conn, Redactor(persons)):
        for value in json.loads(text).values() if column.kind == "json" else [text]:
            for href, words in LINK.findall(value) if isinstance(value, str) and "<a" in value.lower() else ():
                if href.startswith(("http://", "https://", "/")):
                    for person in persons:
                        if Redactor([person]).names_in(words) is not None:
                            person.references.add(href)
    redactor = Redactor(persons)
    done = []
    for table, column, rowid, text in list(narratives(conn, redactor)):
        new, found = redact_json(text, redactor) if column.kind == "json" else redactor.redact(text)
        if found:
            conn.execute(f"UPDATE [{table.name}] SET [{column.name}] = ? WHERE rowid = ?", (new, rowid))
            key_sql = " || ' / ' || ".join(f"ifnull([{c}], '')" for c in pk_columns(table))
            (key,) = conn.execute(f"SELECT {key_sql} FROM [{table.name}] WHERE rowid = ?", (rowid,)).fetchone()
            done += [(line, table.name, key, column.name, what) for line, what in found]
    return done


def redact_json(text, redactor):
    """A JSON object's string values redacted, the object written as the adapters write it."""
    values = json.loads(text)
    found = []
    for key, value in values.items():
        if isinstance(value, str):
            values[key], more = redactor.redact(value)
            found += more
    return (json.dumps(values, ensure_ascii=False) if found else text), found


class Redactor:
    def __init__(self, persons):
        self.persons = persons
        # A person is known here by their request's (file, line): the public and the private list both have a line 2.
        self.patterns = []  # (pattern of a name on the folded text, request)
        self.exact = []  # (text as written, marker, request): names in Chinese or Japanese characters, then ids
        for person in self.persons:
            request = (person.request.origin.file, person.request.origin.line)
            for name in sorted(person.names):
                if CJK.search(name):
                    self.exact.append((name, NAME_MARKER, request))
                else:
                    self.patterns.append((name_pattern(tokens(name)), request))
                    if len(tokens(name)) in (2, 3):  # written the other way round
                        self.patterns.append((name_pattern(tokens(name)[::-1]), request))
            for identifier in sorted(person.ids | person.references):
                self.exact.append((identifier, RECORD_MARKER, request))
        self.surnames = {(p.request.origin.file, p.request.origin.line): p.surnames for p in self.persons}

    def candidates(self, conn, table, column):
        """(rowid, text) of the rows whose column holds a name's longest part (any case) or an id."""
        needles = {max(words, key=len) for p in self.persons for name in p.names if not CJK.search(name)
                   for words in (tokens(name), name.split())}
        tests = [(f"[{column}] LIKE '%' || ? || '%'", needle) for needle in sorted(needles)]
        tests += [(f"instr([{column}], ?)", text) for text, _, _ in self.exact]
        found = {}
        for start in range(0, len(tests), PREFILTER_GROUP):
            group = tests[start:start + PREFILTER_GROUP]
            found.update(conn.execute(f"SELECT rowid, [{column}] FROM [{table}] WHERE "
                                      f"{' OR '.join(test for test, _ in group)}", [value for _, value in group]))
        return sorted(found.items())

    def redact(self, text):
        """(redacted text, [(request line, what was replaced)])."""
        found = []
        text = self.redact_links(text, found)
        named = {request for request, _ in found}  # a link naming someone is a mention: later, their surname is them
        for needle, marker, request in self.exact:
            if needle in text:
                text, replaced = exact_pattern(needle).subn(marker, text)
                found += [(request, needle)] * bool(replaced)
        folded, source = folded_with_offsets(text)
        spans = [(source[m.start()], source[m.end() - 1] + 1, request)  # (start, end, request) in the text
                 for pattern, request in self.patterns for m in pattern.finditer(folded)]
        for request in sorted(named | {span[2] for span in spans}):
            for name in sorted(self.surnames[request] - COMMON_WORDS):
                spans += [(source[m.start()], source[m.end() - 1] + 1, request)
                          for m in re.finditer(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", folded)
                          if text[source[m.start()]].isupper()]
        for start, end, request in sorted(merge(spans), reverse=True):
            found.append((request, text[start:end]))
            text = text[:start] + NAME_MARKER + text[end:]
        return text, [(line, what) for (_, line), what in found]

    def redact_links(self, text, found):
        """A link whose address or words point at a withheld person's record goes whole: the marker stays."""
        def replace(match):
            if (request := self.names_in(match.group(2)) or self.names_in(match.group(1))) is None:
                return match.group(0)
            found.append((request, match.group(0)))
            return NAME_MARKER

        return LINK.sub(replace, text) if "<a" in text.lower() else text

    def names_in(self, text):
        """The request (file, line) of the first withheld person the text names or points at, else None."""
        folded, _ = folded_with_offsets(text)
        named = next((request for pattern, request in self.patterns if pattern.search(folded)), None)
        return named or self.first_in(text, NAME_MARKER) or self.first_in(text, RECORD_MARKER)

    def first_in(self, text, marker):
        """The request of the first withheld person whose CJK name (NAME_MARKER) or id (RECORD_MARKER) the text has."""
        return next((request for needle, kind, request in self.exact
                     if kind == marker and exact_pattern(needle).search(text)), None)


LINK = re.compile(r"<a\b[^>]*?href\s*=\s*[\"']?([^\"'>\s]*)[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
# Two-letter family names that are English words too: a narrative's "He said" is not about Mr He.
COMMON_WORDS = {"he", "an", "ma", "mo", "long", "man", "bo", "do", "to", "so"}


def exact_pattern(needle):
    """An id or a name in Chinese characters, as written; an ASCII id not inside a longer one."""
    return re.compile(rf"(?<![\w-]){re.escape(needle)}(?![\w-])" if needle.isascii() else re.escape(needle))


def name_pattern(parts):
    """A name's folded words, in order, apart only by spaces, hyphens or dots (also within a word: Yong-min)."""
    apart = r"[\s\-.\u2010]"
    words = [f"{apart}?".join(map(re.escape, part)) for part in parts]
    return re.compile(r"(?<![a-z0-9])" + f"{apart}*".join(words) + r"(?![a-z0-9])")


def folded_with_offsets(text):
    """The text folded to lower-case ASCII letter by letter (CJK kept), and each letter's index in the text."""
    out, source = [], []
    for index, char in enumerate(text):
        folded = char if char.isascii() or CJK.match(char) else fold(char) or char
        out.append(folded.lower())
        source += [index] * len(folded)
    return "".join(out), source


def merge(spans):
    """Overlapping spans as one, so that a name inside a longer match is replaced once."""
    merged = []
    for start, end, request in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end), merged[-1][2])
        else:
            merged.append((start, end, request))
    return merged


def write_report(path, redactions, requests):
    """For the maintainer, never published (it names whom it protects)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["withheld_csv_line", "table", "row", "column", "replaced"])
        writer.writerows(sorted(set(redactions), key=lambda r: (r[0] or 0, r[1], r[2], r[3], r[4])))
    tmp.replace(path)
    if requests:
        print(f"withholding: {len(requests)} line(s) of raw/withheld.csv applied, {len(set(redactions))} "
              f"redaction(s) listed in {display_path(path)} (never publish that file)", flush=True)


# The last check before publishing: no trace of a withheld person in a text cell, full-text index, free page (it may
# hold deleted rows) or file served beside it; messages name no one. In OWN_NAMES, their name is a namesake's.
OWN_NAMES = {
    "persons": ("name", "name_native", "name_folded", "alternate_names"),
    "records": ("name_as_written",),
    "organizations": ("name", "name_native", "name_folded", "names_as_written"),
    "signatures": ("name_as_written",),
}


def traces_left(path, persons):
    """[(request, where)] for every trace of a withheld person in the database at `path` (request None: the file), and
    every line of a served file that names one or holds one of their ids."""
    if not persons:
        return []
    redactors = [(person, Redactor([person])) for person in persons]
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        left = [(None, f"{count} free pages (written anew, the file should have none)")
                for (count,) in conn.execute("PRAGMA freelist_count") if count]
        for person, redactor in redactors:
            namesakes = set()
            for table, column, rowid, text in texts(conn, redactor):
                if redactor.first_in(text, RECORD_MARKER) is not None:
                    left.append((person.request, f"{table}.{column}, rowid {rowid}: an id or address"))
                elif redactor.names_in(text) is not None:
                    if column in OWN_NAMES.get(table, ()):
                        namesakes.add((table, rowid))
                    else:
                        left.append((person.request, f"{table}.{column}, rowid {rowid}: a name"))
            left += [(person.request, f"{table}_fts, rowid {rowid}: a name in the full-text index")
                     for table, rowid in indexed(conn, person) if (table, rowid) not in namesakes]
    return left + [(person.request, f"{display_path(file)}, line {number}: a name or id") for file in served_files()
                   for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1)
                   for person, redactor in redactors if redactor.names_in(line) is not None]


def served_files():
    """The files the site serves or renders besides the database."""
    return sorted(path for path in (ROOT / "templates").rglob("*") if path.is_file()) + [ROOT / "metadata.yml"]


def texts(conn, redactor):
    """Every text of every table written (the schema's, and views written as tables, whose columns have no type)."""
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
                                 "AND name NOT LIKE '%\\_fts%' ESCAPE '\\' ORDER BY name").fetchall():
        for _, column, kind, *_ in conn.execute(f"PRAGMA table_info([{table}])").fetchall():
            if kind.upper() in ("TEXT", ""):
                yield from ((table, column, rowid, text) for rowid, text in redactor.candidates(conn, table, column))


def indexed(conn, person):
    """(table, rowid) of every full-text row whose index holds one of the person's names as a phrase."""
    phrases = [f'unspaced : "{name}"' if CJK.search(name) else f'"{" ".join(tokens(name))}"'
               for name in sorted(person.names)]
    return {(table, rowid) for table in (name for name, table in TABLES.items() if table.fts) for phrase in phrases
            for (rowid,) in conn.execute(f"SELECT rowid FROM [{table}_fts] WHERE [{table}_fts] MATCH ?", (phrase,))}
