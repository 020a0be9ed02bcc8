"""Two sources' reprisal case made one as raw/case_links.csv says (docs/linking.md). A line naming a case withholding
took away or renamed is passed over, saying only its line: that case must be neither merged nor named."""

import json

from scripts.common import json_list
from scripts.read import read_csv


def merge(conn, path, staged):  # staged: the ids of the cases as read, before withholding
    conn.execute("UPDATE cases SET sources = json_array(source_id), other_records = NULL")
    for origin, row in read_csv(path, required=("case_id", "same_as", "note")) if path.exists() else ():
        gone, kept = (conn.execute("SELECT id, state, source_id, upstream_ref, title, sources, other_records "
                                   "FROM cases WHERE id = ?", (row[f],)).fetchone() for f in ("case_id", "same_as"))
        if None in (gone, kept) and {row["case_id"], row["same_as"]} <= staged:
            print(f"{origin.where()}: a case it names is withheld; the line is passed over", flush=True)
            continue
        for field, case in (("case_id", gone), ("same_as", kept)):
            if case is None:
                raise origin.error(field, row[field], "no case has this id (or it is merged by an earlier line)",
                                   "Copy the case id from its row of the cases table.")
        if not row["note"].strip():
            raise origin.error("note", row["note"], "no note", "Say what shows the two are one case.")
        if gone[0] == kept[0]:
            raise origin.error("same_as", row["same_as"], "a case cannot be merged into itself", "Name another case.")
        if gone[1] != kept[1]:
            raise origin.error("same_as", row["same_as"], f"the cases are of two states ({gone[1]}, {kept[1]})",
                               "Link only the same case, reported against one state.")
        sources = sorted(set(json.loads(kept[5])) | set(json.loads(gone[5])))
        others = [*json.loads(kept[6] or "[]"), f"{gone[2]}: {gone[3]} (case {gone[0]}: {gone[4]})",
                  *json.loads(gone[6] or "[]")]
        for table in ("reprisals", "events"):
            conn.execute(f"UPDATE {table} SET case_id = ? WHERE case_id = ?", (kept[0], gone[0]))
        conn.execute("DELETE FROM cases WHERE id = ?", (gone[0],))
        conn.execute("UPDATE cases SET sources = ?, other_records = ? WHERE id = ?",
                     (json_list(sources), json_list(others), kept[0]))
