"""Curated sources (docs/transcribing.md): a folder of <table>.csv files with schema.py's columns, each row citing the
line(s) of a transcribed document (source_line) or web pages on source.yml's sites (source_url and accessed)."""

import json
from urllib.parse import urlsplit

from scripts.common import BuildError, json_list
from scripts.read import Origin, display_path, parse_date, read_csv, split_list
from scripts.schema import CURATED_TABLES, TABLES

CITED_PAGES = "cited web pages"  # the source.yml kind of a source whose rows cite web pages


def read_curated_source(folder, meta):
    """{table: [(origin, row)]} of the folder's <table>.csv files."""
    if cites_pages(meta):
        meta = {**meta, "sites": cited_sites(folder, meta)}
    for path in sorted(folder.glob("*.csv")):
        if path.stem not in CURATED_TABLES:
            raise BuildError(display_path(path), None, None, None, f"'{path.stem}' is not a table a source can fill",
                             f"Name the file after one of: {', '.join(CURATED_TABLES)}.")
    out = {name: list(read_table(folder / f"{name}.csv", TABLES[name], meta)) for name in CURATED_TABLES
           if (folder / f"{name}.csv").exists()}
    if "persons" in out:
        for _, person in out["persons"]:
            person["_record"] = (meta["id"], person["id"])  # a curated person's upstream id is its own id
        out["records"] = [(origin, person_record(meta["id"], row)) for origin, row in out["persons"]]
    return out


def cites_pages(meta):
    return (meta or {}).get("kind") == CITED_PAGES


def cited_sites(folder, meta):
    """The hosts a cited-pages source's rows may cite ("www." ignored), from source.yml's sites."""
    sites = meta.get("sites")
    if not sites or not isinstance(sites, list) or not all(isinstance(site, str) and site.strip() for site in sites):
        raise Origin(display_path(folder / "source.yml")).error(
            "sites", sites, "a source of cited web pages needs the list of sites its pages are on",
            "Add sites: [example.org] with the host of every site the rows cite (without https://).")
    return {host_of(site.strip() if "//" in site else "//" + site.strip()) for site in sites}


def host_of(url):
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def read_table(path, table, meta=None):
    """Rows of one CSV file as rows of `table`; reference tables (no provenance) need no meta."""
    columns = [c for c in table.columns if not c.derived]
    citation = (("source_url", "accessed") if cites_pages(meta) else ("source_line",)) if table.provenance else ()
    required = [c.name for c in columns if c.required] + list(citation)
    known = {c.name for c in columns} | set(citation) | {"name_as_written"}
    for position, (origin, raw) in enumerate(read_csv(path, required=required), start=1):
        if position == 1 and (unknown := [name for name in raw if name not in known]):
            raise origin.error(unknown[0], None, f"'{unknown[0]}' is not a column of the {table.name} table",
                               f"Use the columns listed for {table.name} in docs/schema.md.")
        row = convert_row(origin, raw, columns)
        if table.provenance:
            row["source_id"] = meta["id"]
            if cites_pages(meta):
                row["upstream_ref"] = cited_pages(origin, raw, meta["sites"])
                if table.name == "persons" and not row["status_as_of"]:
                    raise origin.error("status_as_of", raw.get("status_as_of"), "a cited page's status needs its date",
                                       "Give the date of the page that states the status (YYYY, YYYY-MM or "
                                       "YYYY-MM-DD): pages differ in age, so the status is as of that page.")
            else:
                row["upstream_ref"] = upstream_ref(origin, raw["source_line"])
        if table.name == "signatures":
            row.update(position=position, organization_id=None)
        if "name_as_written" in raw:
            row["_name_as_written"] = raw["name_as_written"] or None
        row["_raw"] = raw
        yield origin, row


def convert_row(origin, raw, columns):
    row = {}
    for column in columns:
        value = (raw.get(column.name) or "").strip()
        if column.required and not value:
            raise origin.error(column.name, value, "a required value is empty", "Fill it in from the source.")
        if column.kind == "date":
            row[column.name], row[column.name + "_precision"] = parse_date(origin, column.name, value)
        elif column.kind == "list":
            row[column.name] = json_list(split_list(value))
        elif column.kind in ("integer", "real") and value:
            try:
                row[column.name] = int(value) if column.kind == "integer" else float(value)
            except ValueError:
                raise origin.error(column.name, value, f"not a{'n integer' if column.kind == 'integer' else ' number'}",
                                   "Write digits only, or leave it empty if the source gives no figure.") from None
        else:
            row[column.name] = value or None
    return row


def upstream_ref(origin, source_line):
    if not (lines := split_list(source_line)) or not all(line.isdigit() for line in lines):
        raise origin.error("source_line", source_line, "not a line number (or ';'-separated line numbers)",
                           "Give the line(s) of the archived source document that state this fact.")
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(lines)


def cited_pages(origin, raw, sites):
    """The upstream_ref of a row citing web pages: its addresses, each an http(s) page on one of the source's sites,
    read on the full date `accessed` gives."""
    if not (urls := split_list(raw["source_url"])):
        raise origin.error("source_url", raw["source_url"], "no page is cited",
                           "Give the address of the page that states this fact (several: ';'-separated).")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
            raise origin.error("source_url", url, "not the address of a web page",
                               "Give the page's full address, starting with https:// (or http://).")
        if host_of(url) not in sites:
            raise origin.error("source_url", url, f"not a page of this source's sites ({', '.join(sorted(sites))})",
                               "Cite a page of this publisher, put the row in the source of the page's publisher, "
                               "or add the site to sites: in source.yml if this publisher really publishes there.")
    if parse_date(origin, "accessed", raw["accessed"])[1] != "day":
        raise origin.error("accessed", raw["accessed"], "the date the page was read is missing or not a full date",
                           "Write the day you read the page, as YYYY-MM-DD.")
    return "; ".join(urls)


def person_record(source_id, person):
    """The records row tying a person to the source line or page that names them."""
    cited = person["upstream_ref"].startswith(("http://", "https://"))
    return {"id": f"{source_id}/{person['id']}", "upstream_id": person["id"], "person_id": person["id"],
            "name_as_written": person.get("_name_as_written") or person["name"],
            "url": person["upstream_ref"].split("; ")[0] if cited else None,
            "raw": json.dumps(person["_raw"], ensure_ascii=False), "source_id": source_id,
            "upstream_ref": person["upstream_ref"]}
