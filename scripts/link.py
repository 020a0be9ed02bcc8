"""One person, many lists: link records from different sources that name the same person.

Every adapter makes one person per record. Records from different sources whose names match
(romanised names folded, or the pinyin of a Chinese-character name) are scored on the rest of
the evidence; strong pairs are merged into one person, weaker ones wait in link_candidates for a
maintainer, who can force or forbid any pair in raw/links.csv.
"""

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .adapters.romanise import pinyin_keys
from .rawfiles import read_csv
from .text import fold

LINK_AT = 4  # score from which two records are merged
CANDIDATE_AT = 2  # score from which a pair is listed for review
MAX_SCORE = 8
CJK = re.compile(r"[\u3400-\u9fff]")
STATUS_FIELDS = ("status", "status_as_of", "status_as_of_precision", "status_confirmed", "status_detail", "source_id")
PRECISION_RANK = {"city": 0, "province": 1, "country": 2, None: 3}


@dataclass
class Profile:
    person_id: str
    record_id: str
    source_id: str
    priority: int
    native: str | None
    sex: str | None
    birth: tuple | None  # (earliest, latest) possible year of birth
    detained_on: str | None  # a full date, when known
    keys: set = field(default_factory=set)


def name_keys(names):
    keys = set()
    for name in names:
        if not name:
            continue
        if CJK.search(name):
            keys |= pinyin_keys(name)
        else:
            keys.add(re.sub(r"[^a-z0-9]", "", fold(name).lower()))
    return {k for k in keys if len(k) >= 4}


def profiles(tables, priorities):
    record_of = {r["person_id"]: r for _, r in tables["records"]}
    detention_of = {}
    for _, d in tables["detentions"]:
        detention_of.setdefault(d["person_id"], d)
    out = []
    for _, person in tables["persons"]:
        record, detention = record_of[person["id"]], detention_of.get(person["id"], {})
        alternates = json.loads(person.get("alternate_names") or "[]")
        out.append(Profile(
            person_id=person["id"], record_id=record["id"], source_id=person["source_id"],
            priority=priorities[person["source_id"]], native=person.get("name_native"), sex=person.get("sex"),
            birth=birth_range(person, detention),
            detained_on=detention.get("detained_on") if detention.get("detained_on_precision") == "day" else None,
            keys=name_keys([person["name"], person.get("name_native"), *alternates]),
        ))
    return out


def birth_range(person, detention):
    if person.get("birth_year"):
        return person["birth_year"], person["birth_year"]
    age, detained = detention.get("age_at_detention"), detention.get("detained_on")
    if age is not None and detained:
        year = int(detained[:4]) - age
        return year - 1, year  # the birthday may fall either side of the detention date
    return None


def score(a, b, unique):
    """(score, evidence) for two records of different sources sharing a name key; score None forbids."""
    if a.sex and b.sex and a.sex != b.sex:
        return None, "sex differs"
    points, evidence = 1, ["romanised name"]
    if a.native and b.native and CJK.search(a.native + b.native):
        if a.native != b.native:
            return None, "native-script names differ"
        points, evidence = points + 2, evidence + ["native-script name"]
    if a.birth and b.birth:
        if a.birth[0] > b.birth[1] + 1 or b.birth[0] > a.birth[1] + 1:
            return None, "birth years inconsistent"
        points, evidence = points + 2, evidence + ["birth year"]
    if a.detained_on and a.detained_on == b.detained_on:
        points, evidence = points + 2, evidence + ["date of detention"]
    if unique:
        points, evidence = points + 1, evidence + ["only match in each list"]
    return points, " + ".join(evidence)


def candidate_pairs(people):
    """Pairs of records from different sources sharing a name key, with whether the match is unique."""
    by_key = defaultdict(list)
    for p in people:
        for key in p.keys:
            by_key[key].append(p)
    partners = defaultdict(set)  # (record, other source) -> records
    pairs = set()
    for group in by_key.values():
        for a in group:
            for b in group:
                if a.source_id < b.source_id:
                    pairs.add((a.record_id, b.record_id))
                if a.source_id != b.source_id:
                    partners[(a.record_id, b.source_id)].add(b.record_id)
    return pairs, partners


def read_overrides(path):
    decisions = {}
    if path.exists():
        for origin, row in read_csv(path, required=("record_id", "other_record_id", "decision")):
            if row["decision"] not in ("same", "different"):
                raise origin.error("decision", row["decision"], "unknown decision", "Write same or different.")
            pair = tuple(sorted((row["record_id"], row["other_record_id"])))
            decisions[pair] = (row["decision"], f"maintainer decision (raw/links.csv line {origin.line})")
    return decisions


def link(tables, priorities, overrides_path):
    """Merge linked persons in place; return the link_candidates rows."""
    people = {p.record_id: p for p in profiles(tables, priorities)}
    pairs, partners = candidate_pairs(people.values())
    overrides = read_overrides(overrides_path)
    scored = []
    for a_id, b_id in sorted(pairs | {pair for pair in overrides if all(r in people for r in pair)}):
        decision = overrides.get(tuple(sorted((a_id, b_id))))
        if decision:
            if decision[0] == "same":
                scored.append((MAX_SCORE, a_id, b_id, decision[1]))
            continue
        a, b = people[a_id], people[b_id]
        unique = len(partners[(a_id, b.source_id)]) == 1 and len(partners[(b_id, a.source_id)]) == 1
        points, evidence = score(a, b, unique)
        if points is not None and points >= CANDIDATE_AT:
            scored.append((points, a_id, b_id, evidence))
    groups = {r: {r} for r in people}
    via = {}
    candidates = []
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
    merge_groups(tables, people, groups, via)
    return candidates


def merge_groups(tables, people, groups, via):
    persons = {row["id"]: (origin, row) for origin, row in tables["persons"]}
    new_id = {}
    merged_rows = []
    for group in {id(g): g for g in groups.values()}.values():
        members = sorted(group, key=lambda r: (people[r].priority, r))
        rows = [persons[people[r].person_id][1] for r in members]
        for r in members:
            new_id[people[r].person_id] = rows[0]["id"]
        merged_rows.append((persons[rows[0]["id"]][0], merge_people(rows)))
    tables["persons"] = merged_rows
    for rows in tables.values():
        for _, row in rows:
            if row.get("person_id") in new_id:
                row["person_id"] = new_id[row["person_id"]]
    for _, record in tables["records"]:
        evidence, points = via.get(record["id"], ("defines the person", MAX_SCORE))
        record["link_method"], record["link_confidence"] = evidence, round(min(points, MAX_SCORE) / MAX_SCORE, 2)


def merge_people(rows):
    """One person from several: each field from the highest-priority source that gives it."""
    merged = dict(rows[0])
    for row in rows[1:]:
        for key, value in row.items():
            if key not in STATUS_FIELDS and merged.get(key) is None and value is not None:
                merged[key] = value
    # A status travels with its date, confirmation and detail: all from the first source that knows it.
    knows = next((row for row in rows if row.get("status") not in (None, "unknown")), rows[0])
    merged.update({key: knows.get(key) for key in STATUS_FIELDS})
    names = []
    for row in rows:
        names += [row["name"], row.get("name_native"), *json.loads(row.get("alternate_names") or "[]")]
    alternates = [n for n in dict.fromkeys(names) if n and n not in (merged["name"], merged.get("name_native"))]
    merged["alternate_names"] = json.dumps(alternates, ensure_ascii=False) if alternates else None
    for key in ("categories", "issues"):
        items = sorted({item for row in rows for item in json.loads(row.get(key) or "[]")})
        merged[key] = json.dumps(items, ensure_ascii=False) if items else None
    best = min(rows, key=lambda row: PRECISION_RANK.get(row.get("coordinate_precision"), 3))
    for key in ("latitude", "longitude", "coordinate_precision", "place"):
        merged[key] = best.get(key) if best.get("coordinate_precision") else merged.get(key)
    return merged
