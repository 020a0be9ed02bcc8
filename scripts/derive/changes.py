"""The changes and releases tables: what changed since the previous release (in CI the live site's, else --previous),
added to its history. A change about any id or name a withheld person has had in any release is dropped."""

import hashlib
import os
import subprocess
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from urllib.request import pathname2url

from scripts.link.withhold import PRIVATE_LIST, Redactor, known_before
from scripts.read import ROOT


def release_date(explicit=None):
    """The release's date: given, else $SOURCE_DATE_EPOCH, else the date of the last commit (so rebuilds agree)."""
    if explicit:
        return explicit
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), timezone.utc).date().isoformat()
    result = subprocess.run(["git", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d"], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "TZ": "UTC"})
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "1970-01-01"


def change(released_on, change_type, title, old=None, new=None, person=None, organization=None, campaign=None,
           country=None, row=None):
    """A change row; `row` tells apart two changes otherwise alike (two sources' detentions of one person, one day)."""
    key = "|".join(str(part) for part in (released_on, change_type, person, organization, campaign, old, new)
                   + ((row,) if row else ()))
    return {"id": "change-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16], "released_on": released_on,
            "change_type": change_type, "person_id": person, "organization_id": organization, "campaign_id": campaign,
            "country": country, "title": title, "old_value": old, "new_value": new}


def compare(conn, released_on):
    """The change rows from the previous release (attached as `previous`) to the stage, in a stable order."""
    out, made = [], partial(change, released_on)
    # A person whose id went (linked with another, or listed by a source that names them first) keeps their records:
    # the change says where they are now, and their old address leads there (plugins/pages.py).
    moved = dict(conn.execute("SELECT o.person_id, min(n.person_id) FROM previous.records AS o JOIN records AS n "
                              "ON n.id = o.id WHERE o.person_id NOT IN (SELECT id FROM persons) GROUP BY o.person_id"))
    for pid, name, status, country in conn.execute(
            "SELECT id, name, status, country FROM persons WHERE id NOT IN (SELECT id FROM previous.persons)"):
        if pid not in moved.values():
            out.append(made("person added", f"{name} added ({status})", new=status, person=pid, country=country))
    for pid, name, old, new, country in conn.execute(
            "SELECT p.id, p.name, o.status, p.status, p.country FROM persons AS p "
            "JOIN previous.persons AS o ON o.id = p.id WHERE o.status IS NOT p.status"):
        out.append(made("status changed", f"{name}: {old} → {new}", old=old, new=new, person=pid, country=country))
    for pid, name, status, country in conn.execute(
            "SELECT id, name, status, country FROM previous.persons WHERE id NOT IN (SELECT id FROM persons)"):
        if pid in moved:
            out.append(made("id changed", f"{name}: {pid} is now {moved[pid]}", old=pid, new=moved[pid],
                            person=moved[pid], country=country))
        else:
            out.append(made("person removed", f"{name} is no longer listed", old=status, person=pid, country=country))
    for detention_id, detained_on, pid, name, country in conn.execute(
            "SELECT d.id, d.detained_on, p.id, p.name, p.country FROM detentions AS d JOIN persons AS p "
            "ON p.id = d.person_id WHERE d.id NOT IN (SELECT id FROM previous.detentions)"):
        out.append(made("new detention", f"{name} detained" + (f" ({detained_on})" if detained_on else ""),
                        new=detained_on, person=pid, country=country, row=detention_id))
    for detention_id, charge_id, title, pid, name, country in conn.execute(
            "SELECT c.detention_id, c.charge_id, ifnull(ch.title_en, c.charge_id), p.id, p.name, p.country "
            "FROM detention_charges AS c JOIN detentions AS d ON d.id = c.detention_id "
            "JOIN persons AS p ON p.id = d.person_id LEFT JOIN charges AS ch ON ch.id = c.charge_id "
            "WHERE (c.detention_id, c.charge_as_written) NOT IN "
            "(SELECT detention_id, charge_as_written FROM previous.detention_charges)"):
        out.append(made("new charge", f"{name} charged: {title}", new=charge_id, person=pid, country=country,
                        row=detention_id))
    for event_id, date, event_type, pid, oid, subject, country in conn.execute(
            "SELECT e.id, e.date, e.event_type, e.person_id, e.organization_id, coalesce(p.name, o.name, k.title), "
            "coalesce(p.country, o.country, k.state) FROM events AS e LEFT JOIN persons AS p ON p.id = e.person_id "
            "LEFT JOIN organizations AS o ON o.id = e.organization_id LEFT JOIN cases AS k ON k.id = e.case_id "
            "WHERE e.id NOT IN (SELECT id FROM previous.events)"):
        out.append(made("new event", f"{subject}: {event_type}" + (f" ({date})" if date else ""), new=event_id,
                        person=pid, organization=oid, country=country))
    for cid, title, kind, country in conn.execute(
            "SELECT id, title, kind, country FROM campaigns WHERE id NOT IN (SELECT id FROM previous.campaigns)"):
        out.append(made("new campaign", f"New campaign: {title}", new=kind, campaign=cid, country=country))
    # An organisation signing one letter twice is one change, named as its last signature writes it.
    for cid, oid, written, organization, title, country, _ in conn.execute(
            "SELECT s.campaign_id, s.organization_id, s.name_as_written, o.name, c.title, c.country, max(s.position) "
            "FROM signatures AS s JOIN organizations AS o ON o.id = s.organization_id "
            "JOIN campaigns AS c ON c.id = s.campaign_id WHERE (s.campaign_id, s.organization_id) NOT IN "
            "(SELECT campaign_id, organization_id FROM previous.signatures) GROUP BY s.campaign_id, s.organization_id"):
        out.append(made("new signatory", f"{organization} signed {title}", new=written, organization=oid, campaign=cid,
                        country=country))
    return sorted(out, key=lambda c: (c["change_type"], c["id"]))


def previous_rows(conn, name):
    """The previous release's rows of a table, as dicts; none if it has no such table (a release may predate it)."""
    if not conn.execute("SELECT 1 FROM previous.sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone():
        return []
    cursor = conn.execute(f"SELECT * FROM previous.[{name}]")
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor]


def release_id(released_on, raw, fetched):
    """Its date and a short hash of its inputs (raw/, which declares upstream sha256s, the lists fetched,
    requirements.txt, the private withholding list): the same inputs give the same id."""
    digest = hashlib.sha256()
    files = [(path.relative_to(raw).as_posix(), path) for path in sorted(raw.rglob("*")) if path.is_file()]
    private = [("withheld (private)", Path(os.environ[PRIVATE_LIST]))] if os.environ.get(PRIVATE_LIST) else []
    for name, path in files + [("requirements.txt", ROOT / "requirements.txt")] + private:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    digest.update(" ".join(sorted(fetched)).encode())
    return f"{released_on}-{digest.hexdigest()[:8]}"


def history(stage, previous_path, released_on, withheld, release):
    """(changes rows, releases rows): the previous history, plus this release if anything changed or none precedes it.
    With nothing new, history and release id stay the previous ones: the database is byte-identical, not redeployed."""
    if not previous_path:
        return [], [{"released_on": released_on, "id": release, "changes": 0}]
    conn = stage.conn
    conn.commit()  # a database is attached outside a transaction
    conn.execute("ATTACH DATABASE ? AS previous", (f"file:{pathname2url(str(previous_path))}?mode=ro",))
    try:
        about_withheld = about(conn, withheld)
        carried = [c for c in previous_rows(conn, "changes") if not about_withheld(c)]
        known = {c["id"] for c in carried}
        new = [c for c in compare(conn, released_on) if c["id"] not in known and not about_withheld(c)]
        releases = {r["released_on"]: r for r in previous_rows(conn, "releases")}
    finally:
        conn.execute("DETACH DATABASE previous")
    if new or not releases:
        releases[released_on] = {"released_on": released_on, "id": release}
    for row in releases.values():  # counted afresh: a scrubbed history must not count what it removed
        row["changes"] = len([c for c in carried + new if c["released_on"] == row["released_on"]])
    latest = releases[max(releases)]
    latest["id"] = latest.get("id") or release  # a release made before ids gets this one's, to have downloads
    return carried + new, sorted(releases.values(), key=lambda r: r["released_on"])


def about(conn, withheld):
    """A test of whether a change row is about a withheld person, by id or by name, in any release."""
    if not withheld.persons:
        return lambda change: False
    known_before(conn, withheld.persons, previous_rows(conn, "changes"))
    ids = {i for person in withheld.persons for i in person.ids}
    redactor = Redactor(withheld.persons)

    def is_about(change):
        text = " ".join(str(change[key]) for key in ("title", "old_value", "new_value") if change.get(key))
        return change["person_id"] in ids or redactor.names_in(text) is not None

    return is_about
