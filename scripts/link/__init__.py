"""Records of different sources naming the same person linked into one (docs/linking.md): those sharing a name key are
scored, strong pairs merged, weaker ones left in link_candidates for raw/links.csv to force or forbid."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import permutations, product

from scripts.common import CJK, json_list
from scripts.places import province_point
from scripts.read import Origin, read_csv

LINK_AT = 4  # score from which two records are merged
CANDIDATE_AT = 2  # score from which a pair is listed for review
MAX_SCORE = 8
STATUS_FIELDS = ("status", "status_as_of", "status_as_of_precision", "status_confirmed", "status_detail", "source_id",
                 "upstream_ref")
PRECISION_RANK = {"city": 0, "province": 1, "country": 2, None: 3}
DIFFER = "though the two records differ on it"  # how a contradiction's data_quality row ends


@dataclass
class Profile:
    person_id: str
    source_id: str
    priority: int
    native: str | None
    sex: str | None
    birth: tuple | None  # (earliest, latest) possible year of birth
    point: tuple | None = None  # (latitude, longitude) of the person's city, when placed at one
    detentions: list = field(default_factory=list)  # (detained_on, precision, sentence_months, ends on, released on)
    place: tuple = ()  # (country, latitude, longitude, place as written) where placed at a city or province


def shared_keys(conn):
    """{name key: [(record id, source id)]} for the name keys (made as persons are staged) of several sources."""
    shared = defaultdict(list)
    for key, record_id, source_id in conn.execute("""
            WITH keys AS MATERIALIZED (SELECT key.value AS key, r.id AS record_id, p.source_id FROM persons AS p
                                       JOIN records AS r ON r.person_id = p.id, json_each(p._name_keys) AS key)
            SELECT * FROM keys
            WHERE key IN (SELECT key FROM keys GROUP BY key HAVING count(DISTINCT source_id) > 1)"""):
        shared[key].append((record_id, source_id))
    return shared


def profiles(conn, priorities, record_ids):
    wanted = [json.dumps(sorted(record_ids))]
    detentions = defaultdict(list)
    for person_id, *detention in conn.execute("""
            SELECT d.person_id, d.detained_on, d.detained_on_precision, d.sentence_months, d.sentence_ends_on,
                   iif(d.released_on_precision = 'day', d.released_on, NULL)
            FROM detentions AS d
            WHERE d.person_id IN (SELECT person_id FROM records WHERE id IN (SELECT value FROM json_each(?)))
            ORDER BY d.rowid""", wanted):
        detentions[person_id].append(tuple(detention))
    rows = conn.execute("""
        SELECT r.id, p.id, p.source_id, p.name_native, p.sex, p.birth_year, d.detained_on, d.age_at_detention,
               iif(p.coordinate_precision = 'city', p.latitude, NULL),
               iif(p.coordinate_precision = 'city', p.longitude, NULL),
               iif(p.coordinate_precision IN ('city', 'province'),
                   json_array(p.country, p.latitude, p.longitude, p.place), '[]')
        FROM persons AS p JOIN records AS r ON r.person_id = p.id
        LEFT JOIN detentions AS d ON d.rowid = (SELECT min(rowid) FROM detentions WHERE person_id = p.id)
        WHERE r.id IN (SELECT value FROM json_each(?))""", wanted)
    return {record_id: Profile(person_id, source_id, priorities[source_id], native, sex,
                               birth_range(birth_year, age, detained_on),
                               point=(latitude, longitude) if latitude is not None else None,
                               detentions=detentions[person_id], place=tuple(json.loads(place)))
            for record_id, person_id, source_id, native, sex, birth_year, detained_on, age, latitude, longitude, place
            in rows}


def birth_range(birth_year, age, detained):
    if birth_year:
        return birth_year, birth_year
    if age is not None and detained:
        year = int(detained[:4]) - age
        return year - 1, year  # the birthday may fall either side of the detention date
    return None


def score(a, b, unique):
    """(score, evidence) for two records of different sources sharing a name key; score None forbids."""
    found = [(1, "romanised name")]
    if a.native and b.native and CJK.search(a.native + b.native):
        if a.native != b.native:
            return None, "native-script names differ"
        found.append((2, "native-script name"))
    if births_differ(a, b):
        return None, "birth years inconsistent"
    if a.birth and b.birth:
        found.append((2, "birth year"))
    found += filter(None, (agreement(a, b) for agreement in (detention_dates_agree, places_agree, sentences_agree)))
    if unique:
        found.append((1, "only match in each list"))
    return sum(points for points, _ in found), " + ".join(evidence for _, evidence in found)


def detention_dates_agree(a, b):
    """(2, ...) for a date of detention both give to the day, (1, ...) for one both give to the month; else None."""
    days = {d for d, precision, *_ in a.detentions if precision == "day"}
    if days & {d for d, precision, *_ in b.detentions if precision == "day"}:
        return 2, "date of detention"
    months = {d[:7] for d, precision, *_ in a.detentions if precision in ("day", "month")}
    if months & {d[:7] for d, precision, *_ in b.detentions if precision in ("day", "month")}:
        return 1, "month of detention"
    return None


def places_agree(a, b):
    return (1, "place") if a.point and a.point == b.point else None


def sentences_agree(a, b):
    """(2, ...) for the same day of release or sentence end in both, or one list's sentence end that the other's
    date of detention and term reach within two days; (1, ...) within a month, or for the same sentence term. In 120
    same-name pairs labelled by hand (tests/fixtures/linking/labelled_pairs.csv), two strangers never shared one."""
    ends = [{day for *_, ends_on, released_on in person.detentions for day in (ends_on, released_on)
             if day and len(day) == 10} for person in (a, b)]
    if ends[0] & ends[1]:
        return 2, "day of release"
    found = None
    for one, other in ((a, b), (b, a)):
        for detained_on, precision, months, *_ in one.detentions:
            if not (detained_on and precision == "day" and months):
                continue
            served = date.fromisoformat(detained_on) + timedelta(days=months * 365.25 / 12)
            apart = min((abs((date.fromisoformat(day) - served).days) for day in ends[other is b]), default=None)
            if apart is not None and apart <= 2:
                return 2, "sentence end to the day"
            if apart is not None and apart <= 31:
                found = 1, "sentence end"
    if not found and {d[2] for d in a.detentions if d[2]} & {d[2] for d in b.detentions if d[2]}:
        found = 1, "sentence term"
    return found


def references(conn):
    """(record id, column, referenced record id, whether it exists) for every cross-reference of the staged records."""
    rows = conn.execute("SELECT id, _refers_to FROM records WHERE _refers_to IS NOT NULL ORDER BY rowid").fetchall()
    for record_id, refers_to in rows:
        for column, other in json.loads(refers_to):
            yield record_id, column, other, conn.execute("SELECT 1 FROM records WHERE id = ?", (other,)).fetchone()


def cross_references(conn):
    """{pair: ("same", evidence, the record saying so)} for the records a list says are one person with its own."""
    return {tuple(sorted((record_id, other))): ("same", "cross-reference", record_id, f"its column {column}")
            for record_id, column, other, found in references(conn) if found}


def missing_references(conn):
    """(origin, data_quality row) per cross-reference to a missing record of a source read; run before withholding."""
    read = {source for (source,) in conn.execute("SELECT DISTINCT source_id FROM records")}
    return [record_problem(conn, record_id, column, other.split("/", 1)[1],
                           f"no record of {other.split('/')[0]} has this id; nothing linked")
            for record_id, column, other, found in references(conn) if not found and other.split("/")[0] in read]


def record_problem(conn, record_id, field_name, raw_value, problem):
    upstream_id, source_id, upstream_ref, file, line = conn.execute(
        "SELECT upstream_id, source_id, upstream_ref, _file, _line FROM records WHERE id = ?", (record_id,)).fetchone()
    return Origin(file, line), {"upstream_id": upstream_id, "field": field_name, "raw_value": raw_value,
                                "problem": problem, "source_id": source_id, "upstream_ref": upstream_ref,
                                "_record": (source_id, upstream_id)}


def candidate_pairs(shared, people):
    """(pairs of records of two sources sharing a name key, never of two sexes; {(record, other source): partners})."""
    partners, pairs = defaultdict(set), set()
    for group in shared.values():
        by_source = defaultdict(list)
        for record_id, source_id in group:
            by_source[source_id].append(record_id)
        for (a_source, a_records), (b_source, b_records) in permutations(by_source.items(), 2):
            for a in a_records:
                partners[(a, b_source)].update(b_records)
            if a_source < b_source:
                pairs.update((a, b) for a, b in product(a_records, b_records) if not sexes_differ(people[a], people[b]))
    return pairs, partners


def sexes_differ(a, b):
    return bool(a.sex and b.sex and a.sex != b.sex)


def births_differ(a, b):
    return bool(a.birth and b.birth and (a.birth[0] > b.birth[1] + 1 or b.birth[0] > a.birth[1] + 1))


def read_overrides(path, conn):
    decisions = {}
    for origin, row in read_csv(path, required=("record_id", "other_record_id", "decision")) if path.exists() else ():
        if row["decision"] not in ("same", "different"):
            raise origin.error("decision", row["decision"], "unknown decision", "Write same or different.")
        pair = tuple(sorted((row["record_id"], row["other_record_id"])))
        if all(known_record(conn, origin, field, row[field]) for field in ("record_id", "other_record_id")):
            decisions[pair] = (row["decision"], f"maintainer decision (raw/links.csv line {origin.line})",
                               row["record_id"], f"raw/links.csv line {origin.line}")
    return decisions


def known_record(conn, origin, field, record_id):
    """Whether the record exists; False for one of a source not read (as by a non-strict build without its file)."""
    if conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone():
        return True
    source_id = (record_id or "").split("/", 1)[0]
    if not conn.execute("SELECT 1 FROM records WHERE source_id = ? LIMIT 1", (source_id,)).fetchone():
        print(f"{origin.where()}: no record of source {source_id} in this build; the line is passed over", flush=True)
        return False
    raise origin.error(field, record_id, "no record has this id",
                       "Copy the record id from its row in the records table (source/upstream id).")


@dataclass
class LinkPlan:
    """Which records are one person: each linked record's group, how it was linked, and the pairs left for review."""

    people: dict  # record id -> Profile, for the records that share a name key with another source's
    groups: dict  # record id -> the set of records of its person
    via: dict  # record id -> (evidence, score) of the link that attached it
    candidates: list  # link_candidates rows
    contradictions: list  # (record, other record, field, its value, the other's, how they were linked)

    def members(self, record_id):
        return self.groups.get(record_id, {record_id})


def plan(stage, priorities, overrides):
    """Which staged records are one person, the stage unchanged. A list's cross-references link as the maintainer's
    decisions (`overrides`, which prevail) do; a pair naming a record no longer staged is passed over."""
    overrides = {**cross_references(stage.conn), **overrides}
    shared = shared_keys(stage.conn)
    people = profiles(stage.conn, priorities,
                      {r for group in shared.values() for r, _ in group} | {r for pair in overrides for r in pair})
    pairs, partners = candidate_pairs(shared, people)
    scored, contradictions = [], []
    for a_id, b_id in pairs | {pair for pair in overrides if all(r in people for r in pair)}:  # sorted below
        if decision := overrides.get(tuple(sorted((a_id, b_id)))):
            if decision[0] == "same":
                scored.append((MAX_SCORE, a_id, b_id, decision[1]))
                mine, other = (a_id, b_id) if decision[2] == a_id else (b_id, a_id)
                contradictions += [(mine, other, *found, decision[3]) for found in contradicted(people[mine], people[other])]
            continue
        a, b = people[a_id], people[b_id]
        unique = len(partners[(a_id, b.source_id)]) == 1 and len(partners[(b_id, a.source_id)]) == 1
        points, evidence = score(a, b, unique)
        if points is not None and points >= CANDIDATE_AT:
            scored.append((points, a_id, b_id, evidence))
    groups, via, candidates = {r: {r} for r in people}, {}, []
    for points, a_id, b_id, evidence in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        ga, gb = groups[a_id], groups[b_id]
        sources_a = {people[r].source_id for r in ga}
        if points >= LINK_AT and ga is not gb and not sources_a & {people[r].source_id for r in gb}:
            merged = ga | gb
            for r in merged:
                groups[r] = merged
            via[b_id if people[b_id].priority >= people[a_id].priority else a_id] = (evidence, points)
        elif ga is not gb:
            candidates.append({"record_id": a_id, "candidate_record_id": b_id, "score": points, "evidence": evidence})
    return LinkPlan(people, groups, via, candidates, sorted(contradictions))


def contradicted(a, b):
    """(field, a's value, b's) for each fact two linked records give differently: sex, birth, detention, province."""
    found = []
    if sexes_differ(a, b):
        found.append(("sex", a.sex, b.sex))
    if births_differ(a, b):
        found.append(("birth_year", *("–".join(dict.fromkeys(map(str, p.birth))) for p in (a, b))))
    dates = [sorted({d for d, *_ in p.detentions if d}) for p in (a, b)]
    if all(dates) and not any(x[:len(y)] == y[:len(x)] for x in dates[0] for y in dates[1]):
        found.append(("detained_on", ", ".join(dates[0]), ", ".join(dates[1])))
    if a.place and b.place and a.place[0] == b.place[0] and province_point(*a.place[:3]) != province_point(*b.place[:3]):
        found.append(("place", a.place[3], b.place[3]))
    return found


def contradiction_rows(conn, contradictions):
    """(origin, data_quality row) for each contradiction whose two records are published, on the record that links."""
    return [record_problem(conn, record_id, field_name, f"{mine} (here) / {theirs} ({other})",
                           f"linked to {other} as {how} says, {DIFFER}")
            for record_id, other, field_name, mine, theirs, how in contradictions
            if all(conn.execute("SELECT 1 FROM records WHERE id = ?", (r,)).fetchone() for r in (record_id, other))]


def apply(stage, linked):
    """Each group of linked records made the one person of its highest-priority source; the link_candidates rows."""
    people = linked.people
    merged_into = {}
    for group in {id(g): g for g in linked.groups.values() if len(g) > 1}.values():
        members = sorted(group, key=lambda r: (people[r].priority, r))
        ids = [people[r].person_id for r in members]
        found = {row["id"]: row for _, row in stage.rows("persons", f"WHERE id IN ({', '.join('?' * len(ids))})", ids)}
        rows = [found[person_id] for person_id in ids]
        merged = merge_people(rows, [people[r].priority for r in members])
        stage.update("persons", {**merged, "_rowid": rows[0]["_rowid"]}, stage.public["persons"])
        merged_into.update((person_id, ids[0]) for person_id in ids[1:])
    conn = stage.conn
    conn.execute("CREATE TEMP TABLE merged_into (person_id TEXT PRIMARY KEY, into_id TEXT)")
    conn.executemany("INSERT INTO temp.merged_into VALUES (?, ?)", sorted(merged_into.items()))
    conn.execute("DELETE FROM persons WHERE id IN (SELECT person_id FROM temp.merged_into)")
    for name, columns in stage.public.items():
        if name != "persons" and "person_id" in columns:
            conn.execute(f"UPDATE [{name}] SET person_id = m.into_id FROM temp.merged_into AS m "
                         f"WHERE [{name}].person_id = m.person_id")
    conn.execute("DROP TABLE temp.merged_into")
    conn.executemany("UPDATE records SET link_method = ?, link_confidence = ? WHERE id = ?",
                     ((evidence, round(min(points, MAX_SCORE) / MAX_SCORE, 2), record_id)
                      for record_id, (evidence, points) in sorted(linked.via.items())))
    return linked.candidates


def status_row(rows, priorities):
    """The row a merged person's status (with its date, confirmation and detail) comes from: the highest-priority
    source that knows one; of those, the latest dated (a page reporting a release outdates one saying "imprisoned")."""
    knowing = [(priority, row) for priority, row in zip(priorities, rows) if row.get("status") not in (None, "unknown")]
    top = [row for priority, row in knowing if priority == knowing[0][0]]
    return max(top, key=lambda row: row.get("status_as_of") or "") if top else rows[0]  # the first of equal dates


def merge_people(rows, priorities):
    """One person from several (rows in priority order): each field from the highest-priority source that gives it."""
    merged = dict(rows[0])
    for row in rows[1:]:
        for key, value in row.items():
            if key not in STATUS_FIELDS and merged.get(key) is None and value is not None:
                merged[key] = value
    merged.update({key: status_row(rows, priorities).get(key) for key in STATUS_FIELDS})
    names = [n for row in rows
             for n in (row["name"], row.get("name_native"), *json.loads(row.get("alternate_names") or "[]"))]
    merged["alternate_names"] = json_list([n for n in dict.fromkeys(names)
                                           if n and n not in (merged["name"], merged.get("name_native"))])
    for key in ("categories", "issues"):
        merged[key] = json_list(sorted({item for row in rows for item in json.loads(row.get(key) or "[]")}))
    best = min(rows, key=lambda row: PRECISION_RANK.get(row.get("coordinate_precision"), 3))
    for key in ("latitude", "longitude", "coordinate_precision", "place"):
        merged[key] = best.get(key) if best.get("coordinate_precision") else merged.get(key)
    return merged
