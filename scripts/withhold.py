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


def withhold(stage, withheld):
    """Remove withheld records and everything derived from them."""
    if not withheld:
        return
    conn = stage.conn
    conn.execute("CREATE TEMP TABLE withheld (source_id TEXT, upstream_id TEXT)")
    conn.executemany("INSERT INTO temp.withheld VALUES (?, ?)", sorted(withheld))
    from_withheld = "(_record_source, _record_upstream) IN (SELECT source_id, upstream_id FROM temp.withheld)"
    conn.execute(f"CREATE TEMP TABLE gone_people AS SELECT id FROM persons WHERE {from_withheld}")
    for name in stage.public:
        about_gone = " OR person_id IN (SELECT id FROM temp.gone_people)" if name in PERSON_TABLES else ""
        conn.execute(f"DELETE FROM [{name}] WHERE {from_withheld}{about_gone}")
    conn.execute("DELETE FROM detention_charges WHERE detention_id NOT IN (SELECT id FROM detentions)")
    conn.execute("DROP TABLE temp.withheld")
    conn.execute("DROP TABLE temp.gone_people")
