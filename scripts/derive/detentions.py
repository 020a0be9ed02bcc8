"""One detention, one row: the sources' accounts of the same detention of a person, grouped.

Each source gives its own detention row (CECC's, ISHR's and CPPC's rows of Jiang Tianyong's 2016-11-21 detention).
Rows of one person from different sources describe the same detention when their dates agree: the dates of
detention are the same where both give one (to the precision both give), and no source's sentence, end of sentence
or release comes before another's date of detention. detentions.same_detention names the row that leads the group
(from the person's main source, else the best dated); a row that fits no group, or more than one, leads its own.
"""

LATER_DATES = ("sentenced_on", "sentence_ends_on", "released_on")
COLUMNS = ("id", "person_id", "source_id", "detained_on", *LATER_DATES, "led")


def same_detentions(stage):
    """Fill detentions.same_detention: each row's own id, or that of the row leading the detention it describes."""
    conn = stage.conn
    conn.execute("UPDATE detentions SET same_detention = id")
    rows = conn.execute(f"""
        SELECT d.id, d.person_id, d.source_id, d.detained_on, {', '.join(f'd.{c}' for c in LATER_DATES)},
               d.source_id = p.source_id AS led
        FROM detentions d JOIN persons p ON p.id = d.person_id
        WHERE d.person_id IN (SELECT person_id FROM detentions GROUP BY person_id HAVING count(DISTINCT source_id) > 1)
        ORDER BY d.person_id, led DESC, d.detained_on IS NULL, length(d.detained_on) DESC, d.source_id, d.id""")
    by_person = {}
    for row in rows:
        by_person.setdefault(row[1], []).append(dict(zip(COLUMNS, row)))
    conn.executemany("UPDATE detentions SET same_detention = ? WHERE id = ?",
                     ((lead, member) for detentions in by_person.values()
                      for lead, member in grouped(detentions) if lead != member))


def grouped(detentions):
    """(lead id, member id) for each detention of one person, in lead order."""
    groups = []
    for detention in detentions:
        fits = [group for group in groups if all(agree(detention, other) for other in group)
                and detention["source_id"] not in {other["source_id"] for other in group}]
        if len(fits) > 1 and not detention["detained_on"]:
            fits = closest(detention, fits)
        if len(fits) == 1:
            fits[0].append(detention)
        else:
            groups.append([detention])
    return [(group[0]["id"], member["id"]) for group in groups for member in group]


def closest(detention, groups):
    """A row with no date of detention fits the latest detention that began before its own dates."""
    starts = sorted((group[0]["detained_on"] or "", n) for n, group in enumerate(groups))
    latest = [n for start, n in starts if start == starts[-1][0]]
    return [groups[latest[0]]] if len(latest) == 1 and starts[-1][0] else []


def agree(one, other):
    """Whether two rows' dates can describe one detention."""
    if one["detained_on"] and other["detained_on"] and not same_at_precision(one["detained_on"], other["detained_on"]):
        return False
    for start, later in ((one, other), (other, one)):
        for column in LATER_DATES:
            if start["detained_on"] and later[column] and before(later[column], start["detained_on"]):
                return False
    return True


def same_at_precision(a, b):
    size = min(len(a), len(b))
    return a[:size] == b[:size]


def before(a, b):
    """a is before b at the precision both give (2015 is not before 2015-06)."""
    size = min(len(a), len(b))
    return a[:size] < b[:size]
