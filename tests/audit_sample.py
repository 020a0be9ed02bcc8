"""docs/audit/vietnam-sample.md: 30 persons in Vietnam added since the audit trail began (commit eccbd9a), drawn at
random (seed 32), each transcribed fact beside the page's words that docs/audit/quotes.csv keeps, with the page's
address. A reviewer reads it in minutes and checks each fact against the words beside it.

Run `.venv/bin/python -m tests.audit_sample` to write it; tests/test_audit.py checks the committed file is what this
script makes."""

import random

from tests.audit_data import AUDIT, added_since_trail, quotes, rows_of

SAMPLE = AUDIT / "vietnam-sample.md"
SEED, SIZE = 32, 30


def population():
    """Persons in Vietnam added since eccbd9a, in a fixed order (`source/id`)."""
    added = [row for row in rows_of("persons") if row.values["country"] == "VN" and added_since_trail(row)]
    return sorted(added, key=lambda row: f"{row.source}/{row.key}")


def drawn():
    return random.Random(SEED).sample(population(), SIZE)


def cell(text):
    return (text or "").replace("|", "\\|")


def name_facts(person):
    values = person.values
    written = [values["name"]] + [values[c] for c in ("name_native", "name_as_written", "alternate_names") if values[c]]
    return [("name as written", " / ".join(dict.fromkeys(written)))]


def status_facts(person):
    values = person.values
    detail = f" ({values['status_detail']})" if values["status_detail"] else ""
    return [("status", f"{values['status']} as of {values['status_as_of']}{detail}")]


def detention_facts(person):
    facts = []
    for row in rows_of("detentions"):
        if row.values["person_id"] != person.key:
            continue
        values = row.values
        dates = [f"{label} {values[c]}" for c, label in (("detained_on", "detained"), ("sentenced_on", "sentenced"),
                 ("released_on", "released"), ("sentence_ends_on", "term ends")) if values[c]]
        sentence = f"\"{values['sentence_as_written']}\"" if values["sentence_as_written"] else ""
        months = f" ({values['sentence_months']} months)" if values["sentence_months"] else ""
        facts.append((f"detention `{row.key}`", "; ".join(filter(None, [", ".join(dates) or "no date",
                                                                         sentence + months, values["place"]]))))
        facts += [(f"article ({charge.key.split('/')[-1]})", f"\"{charge.values['charge_as_written']}\"")
                  for charge in rows_of("detention_charges") if charge.values["detention_id"] == row.key]
    return facts


def event_facts(person):
    return [(f"event: {row.values['event_type']}", f"{row.values['date'] or 'no date'}"
             + (f" ({row.values['date_note']})" if row.values["date_note"] else ""))
            for row in sorted(rows_of("events"), key=lambda row: row.values["date"])
            if row.values["person_id"] == person.key]


def page_words(person):
    record = f"{person.source}/{person.key}"
    return [q for q in quotes() if q["record_id"] == record]


def person_section(number, person):
    facts = name_facts(person) + status_facts(person) + detention_facts(person) + event_facts(person)
    lines = [f"## {number}. {person.values['name']} (`{person.source}/{person.key}`)", "",
             f"Page: {person.urls[0]}" + "".join(f"; {url}" for url in person.urls[1:]), "",
             "| transcribed | value |", "| --- | --- |"]
    lines += [f"| {cell(label)} | {cell(value)} |" for label, value in facts]
    lines += ["", "The page's words:", ""]
    for q in page_words(person):
        lines += [f"> {q['quote']}", ">", f"> — {q['source_url']} (for {q['table']} `{q['row_id']}`)", ""]
    return lines


def sample_markdown():
    people = population()
    lines = ["# Vietnam: 30 transcribed persons beside their pages' words", "",
             f"Drawn with `random.Random({SEED}).sample(persons, {SIZE})` from the {len(people)} persons in Vietnam "
             "(`country` VN) of the cited-pages sources added since commit eccbd9a, when the audit trail began, "
             "sorted as `source/id`. For each: what the dataset transcribed (name as written, status, each "
             "detention with its dates, sentence and article, each dated event) and below it the page's own words "
             "as docs/audit/quotes.csv keeps them, with the page's address. Check each value against the words.", "",
             "Written by `tests/audit_sample.py` (`.venv/bin/python -m tests.audit_sample`); "
             "`tests/test_audit.py` fails if this file is not what the script makes from raw/ and docs/audit/.", ""]
    for number, person in enumerate(drawn(), start=1):
        lines += person_section(number, person)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    SAMPLE.write_text(sample_markdown(), encoding="utf-8")
    print(f"wrote {SAMPLE}")
