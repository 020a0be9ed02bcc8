"""What changed since the previous release: the changes and releases tables.

The build compares the rows it is about to write with the previous release's database (in CI the
live site's file, locally any file given with --previous). Each release adds its changes; the
previous release's changes are carried forward, so the table holds the whole history. Nothing about
a withheld person is carried: their rows are dropped from the history too.
"""

import hashlib
import os
import sqlite3
import subprocess
from datetime import datetime, timezone

from .rawfiles import ROOT


def release_date(explicit=None):
    """The release's date: given, else $SOURCE_DATE_EPOCH, else the date of the last commit (so rebuilds agree)."""
    if explicit:
        return explicit
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), timezone.utc).date().isoformat()
    result = subprocess.run(["git", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d"], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "TZ": "UTC"})
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "1970-01-01"


def snapshot_from_tables(tables):
    rows = {name: [row for _, row in tables[name]] for name in
            ("persons", "detentions", "detention_charges", "campaigns", "signatures", "organizations", "charges")}
    return Snapshot(rows)


def snapshot_from_file(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    rows = {name: [dict(r) for r in conn.execute(f"SELECT * FROM [{name}]")] if name in names else []
            for name in ("persons", "detentions", "detention_charges", "campaigns", "signatures", "organizations",
                         "charges", "changes", "releases", "records")}
    conn.close()
    return Snapshot(rows)


class Snapshot:
    def __init__(self, rows):
        self.rows = rows
        self.persons = {p["id"]: p for p in rows["persons"]}
        self.detentions = {d["id"]: d for d in rows["detentions"]}
        self.charges = {(c["detention_id"], c["charge_as_written"]): c for c in rows["detention_charges"]}
        self.campaigns = {c["id"]: c for c in rows["campaigns"]}
        self.signatures = {(s["campaign_id"], s["organization_id"]): s for s in rows["signatures"]}
        self.organizations = {o["id"]: o for o in rows["organizations"]}
        self.charge_titles = {c["id"]: c["title_en"] for c in rows["charges"]}


def change(released_on, change_type, title, old=None, new=None, person=None, organization=None, campaign=None,
           country=None):
    key = "|".join(str(part) for part in (released_on, change_type, person, organization, campaign, old, new))
    return {"id": "change-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16], "released_on": released_on,
            "change_type": change_type, "person_id": person, "organization_id": organization, "campaign_id": campaign,
            "country": country, "title": title, "old_value": old, "new_value": new}


def compare(before, after, released_on):
    """The change rows between two snapshots, in a stable order."""
    out = []
    for pid, person in after.persons.items():
        old = before.persons.get(pid)
        if old is None:
            out.append(change(released_on, "person added", f"{person['name']} added ({person['status']})",
                              new=person["status"], person=pid, country=person["country"]))
        elif old["status"] != person["status"]:
            out.append(change(released_on, "status changed", f"{person['name']}: {old['status']} → {person['status']}",
                              old=old["status"], new=person["status"], person=pid, country=person["country"]))
    for pid, person in before.persons.items():
        if pid not in after.persons:
            out.append(change(released_on, "person removed", f"{person['name']} is no longer listed",
                              old=person["status"], person=pid, country=person["country"]))
    for did, detention in after.detentions.items():
        if did not in before.detentions:
            person = after.persons[detention["person_id"]]
            when = f" ({detention['detained_on']})" if detention.get("detained_on") else ""
            out.append(change(released_on, "new detention", f"{person['name']} detained{when}",
                              new=detention.get("detained_on"), person=person["id"], country=person["country"]))
    for key, charge in after.charges.items():
        if key not in before.charges:
            person = after.persons[after.detentions[charge["detention_id"]]["person_id"]]
            title = after.charge_titles.get(charge["charge_id"], charge["charge_id"])
            out.append(change(released_on, "new charge", f"{person['name']} charged: {title}",
                              new=charge["charge_id"], person=person["id"], country=person["country"]))
    for cid, campaign in after.campaigns.items():
        if cid not in before.campaigns:
            out.append(change(released_on, "new campaign", f"New campaign: {campaign['title']}",
                              new=campaign["kind"], campaign=cid, country=campaign.get("country")))
    for (cid, oid), signature in after.signatures.items():
        if (cid, oid) not in before.signatures:
            organization, campaign = after.organizations[oid], after.campaigns[cid]
            out.append(change(released_on, "new signatory", f"{organization['name']} signed {campaign['title']}",
                              new=signature["name_as_written"], organization=oid, campaign=cid,
                              country=campaign.get("country")))
    return sorted(out, key=lambda c: (c["change_type"], c["id"]))


def history(tables, previous_path, released_on, withheld):
    """(changes rows, releases rows): the previous release's history, plus a release if anything changed.

    With nothing new the history is the previous one unchanged, so the database is byte-identical to the
    live one and nothing is redeployed. Without a previous release this build is the first release.
    """
    if not previous_path:
        return [], [{"released_on": released_on, "changes": 0}]
    before = snapshot_from_file(previous_path)
    scrub = {r["person_id"] for r in before.rows["records"] if (r["source_id"], r["upstream_id"]) in withheld}
    carried = [c for c in before.rows["changes"] if c["person_id"] not in scrub]
    known = {c["id"] for c in carried}
    new = [c for c in compare(before, snapshot_from_tables(tables), released_on)
           if c["id"] not in known and c["person_id"] not in scrub]
    releases = {r["released_on"]: dict(r) for r in before.rows["releases"]}
    if new or not releases:
        releases[released_on] = {"released_on": released_on}
    for release in releases.values():  # counted afresh: a scrubbed history must not count what it removed
        release["changes"] = len([c for c in carried + new if c["released_on"] == release["released_on"]])
    return carried + new, sorted(releases.values(), key=lambda r: r["released_on"])
