"""Records a maintainer withholds (say at a family's request) appear nowhere in the database.

raw/withheld.csv lists them by source_id and upstream_id. They are removed before linking,
indexing or anything else, with every row that came from them or is about their person.
"""

from .rawfiles import read_csv

PERSON_TABLES = ("records", "detentions", "events", "reprisals", "person_issues")


def read_withheld(path):
    if not path.exists():
        return set()
    return {(row["source_id"], row["upstream_id"])
            for _, row in read_csv(path, required=("source_id", "upstream_id"))}


def withhold(tables, withheld):
    """Remove withheld records and everything derived from them, in place."""
    if not withheld:
        return
    gone_people = {row["id"] for _, row in tables["persons"] if row.get("_record") in withheld}
    for name, rows in tables.items():
        tables[name] = [(origin, row) for origin, row in rows
                        if row.get("_record") not in withheld
                        and not (name in PERSON_TABLES and row.get("person_id") in gone_people)]
    kept = {row["id"] for _, row in tables["detentions"]}
    tables["detention_charges"] = [(o, r) for o, r in tables["detention_charges"] if r["detention_id"] in kept]
