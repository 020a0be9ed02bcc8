"""The public schema of conscience.db, declared once: tables, references, indexes (docs/schema.md is made from it);
column descriptions live in metadata.yml.

A column is declared in words, "name [kind] [required] [derived] [narrative] [-> table]":
  kind       text (the default), integer, real; list: a JSON array of strings (";"-separated in raw CSV);
             json: a JSON object (a record's upstream row); date: an ISO partial date ("2016", "2016-11",
             "2016-11-21"), stored with a sibling "<name>_precision" column
  required   never empty
  derived    computed by the build, never read from raw/
  narrative  free text that may name other people: redacted where it names a withheld person
  -> table   a reference to that table's primary key (for a list, to each item)
"""

from dataclasses import dataclass

SQL_TYPES = {"text": str, "integer": int, "real": float, "list": str, "date": str, "json": str}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    references: str | None = None
    derived: bool = False
    narrative: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    pk: str | tuple[str, ...]
    columns: tuple[Column, ...]
    indexes: tuple[str, ...] = ()
    fts: tuple[str, ...] = ()  # columns copied into <name>_fts, plus CJK substrings
    provenance: bool = True  # adds source_id and upstream_ref


PROVENANCE = (Column("source_id", required=True, references="sources"), Column("upstream_ref", required=True))


def column(words):
    name, *words = words.split()
    references = words[words.index("->") + 1] if "->" in words else None
    if unknown := set(words) - set(SQL_TYPES) - {"required", "derived", "narrative", "->", references}:
        raise ValueError(f"column {name}: {', '.join(sorted(unknown))} is not a kind or a flag")
    kind = next((word for word in words if word in SQL_TYPES), "text")
    return Column(name, kind, "required" in words, references, "derived" in words, "narrative" in words)


def table(name, pk, columns, indexes="", fts="", provenance=True):
    """A Table from its columns in words and its indexed and searched columns as space-separated names."""
    return Table(name, pk, tuple(map(column, columns)), tuple(indexes.split()), tuple(fts.split()), provenance)


def pk_columns(table):
    return table.pk if isinstance(table.pk, tuple) else (table.pk,)


def all_columns(table):
    return table.columns + (PROVENANCE if table.provenance else ())


def stored_columns(table):
    return [pair for c in all_columns(table)
            for pair in [(c.name, SQL_TYPES[c.kind])] + ([(c.name + "_precision", str)] if c.kind == "date" else [])]


def foreign_keys(table):
    return [(c.name, c.references, TABLES[c.references].pk) for c in all_columns(table)
            if c.references and c.kind != "list"]


# A vocabulary's labels in the interface's other languages (plugins/i18n.py), beside its id and English, so that
# each vocabulary lives in one place: its file in raw/reference/.
LABELS = ("label_vi required", "label_zh required")

TABLES = {t.name: t for t in [
    table("sources", "id", (
        "id required", "title required narrative", "publisher required", "url", "licence required", "as_of date",
        "as_of_note narrative", "language required", "kind required", "description required narrative", "file",
        "sha256"), indexes="kind language", provenance=False),
    table("countries", "iso2", ("iso2 required", "iso3 required", "name required", "latitude real derived",
                                "longitude real derived"), indexes="name"),
    table("statuses", "id", ("id required", "label required", "description required", *LABELS), provenance=False),
    *(table(name, "id", ("id required", "description required", *LABELS), provenance=False)
      for name in ("categories", "event_types", "detention_kinds", "reprisal_types")),
    table("metrics", "id", ("id required", "description required", "dataset_count required", *LABELS),
          provenance=False),
    table("issue_categories", "id", ("id required", "label required", "category -> categories"), provenance=False),
    table("un_mechanisms", "id", ("id required", "name required", "kind required", *LABELS), indexes="kind",
          provenance=False),
    table("charges", "id", (
        "id required", "country required -> countries", "law required", "article", "title_en required",
        "title_original", "original_language required", "replaced_by -> charges", "note", "label required derived"),
        indexes="country law article", fts="id law article title_en title_original note", provenance=False),
    table("organizations", "id", (
        "id required", "name required", "name_native", "name_folded required derived", "names_as_written list derived",
        "country -> countries", "description narrative"), indexes="name country",
        fts="name name_native name_folded names_as_written description"),
    table("persons", "id", (
        "id required", "name required", "name_native", "name_folded required derived", "alternate_names list", "sex",
        "birth_year integer", "ethnicity", "religion", "occupation", "categories list -> categories",
        "country required -> countries", "status required -> statuses", "status_as_of date",
        "status_confirmed integer", "status_detail", "status_may_be_stale integer derived",
        "issues list -> issue_categories", "place", "latitude real derived", "longitude real derived",
        "coordinate_precision derived", "charges list derived -> charges", "sources list derived -> sources",
        "summary narrative", "summary_links json derived narrative", "name_withheld integer derived"),
        indexes="name name_folded sex birth_year country status status_as_of status_confirmed status_may_be_stale "
                "ethnicity religion occupation",
        fts="name name_native name_folded alternate_names occupation place summary"),
    table("records", "id", (
        "id required", "upstream_id required", "person_id required -> persons", "name_as_written required", "url",
        "link_method required", "link_confidence real required", "raw json required narrative"),
        indexes="person_id source_id link_method"),
    table("person_issues", ("person_id", "issue", "source_id"),
          ("person_id required -> persons", "issue required -> issue_categories"), indexes="issue"),
    table("link_candidates", ("record_id", "candidate_record_id"), (
        "record_id required -> records", "candidate_record_id required -> records", "score integer required",
        "evidence required"), indexes="candidate_record_id score", provenance=False),
    table("cases", "id", (
        "id required", "title required narrative", "state required -> countries", "summary required narrative",
        # As ISHR codes the UN Secretary-General's reports on reprisals (endreprisals.ishr.ch):
        "sg_report_year integer", "sg_case_reference", "record_type", "un_bodies_prior list", "engagement list",
        "engagement_types list", "perpetrators list", "case_status",
        # Where sources present one case apart (raw/case_links.csv, scripts/link/cases.py): every source of the
        # case, and the upstream references of the rows merged into it.
        "sources list derived -> sources", "other_records list derived"),
        indexes="state sg_report_year record_type case_status"),
    table("detentions", "id", (
        "id required", "person_id required -> persons", "kind required -> detention_kinds", "detained_on date",
        "detained_year integer derived", "age_at_detention integer", "sentenced_on date", "sentence_as_written",
        "sentence_months real", "sentence_ends_on date", "released_on date", "place",
        "same_detention derived -> detentions"),
        indexes="person_id kind detained_on detained_year sentenced_on sentence_months same_detention"),
    table("detention_charges", ("detention_id", "charge_as_written"), ("detention_id required -> detentions",
          "charge_id required -> charges", "charge_as_written required"), indexes="charge_id"),
    table("charge_citations", ("source_id", "charge_id"),
          ("charge_id required -> charges", "context required narrative"), indexes="charge_id"),
    table("campaigns", "id", (
        "id required", "title required", "title_original", "kind required", "organizer -> organizations",
        "country -> countries", "started_on date", "description required narrative"),
        indexes="kind organizer country started_on"),
    table("signatures", ("campaign_id", "position"), (
        "campaign_id required -> campaigns", "position integer required derived",
        "organization_id required derived -> organizations", "name_as_written required"), indexes="organization_id"),
    table("reprisals", "id", (
        "id required", "case_id required -> cases", "person_id -> persons", "organization_id -> organizations",
        "state required -> countries", "un_mechanisms list -> un_mechanisms", "un_mechanism_as_written list",
        "reprisal_types list required -> reprisal_types", "reprisal_types_as_written list", "date date",
        "date_note narrative", "description required narrative"),
        indexes="case_id person_id organization_id state date"),
    table("events", "id", (
        "id required", "person_id -> persons", "organization_id -> organizations", "case_id -> cases", "date date",
        "year integer derived", "date_note narrative", "event_type required -> event_types",
        "description required narrative"), indexes="person_id organization_id case_id date year event_type"),
    table("statistics", "id", (
        "id required", "reported_by -> organizations", "campaign_id -> campaigns", "as_of date",
        "metric required -> metrics", "country -> countries", "value integer required",
        "description required narrative"), indexes="reported_by campaign_id as_of metric country"),
    table("withheld_counts", ("country", "status"), ("country required -> countries", "status required -> statuses",
                                                     "persons integer required"), provenance=False),
    # id: the date and the short hash of the build's inputs (scripts/derive/changes.py, release_id); the release's
    # files are at /releases/<id>/. Releases made before ids were given have none.
    table("releases", "released_on", ("released_on required", "id", "changes integer required"), provenance=False),
    table("changes", "id", (
        "id required", "released_on required -> releases", "change_type required", "person_id", "organization_id",
        "campaign_id", "country", "title required", "old_value", "new_value"),
        indexes="released_on change_type person_id organization_id campaign_id country", provenance=False),
    table("data_quality", "id", (
        "id integer required derived", "upstream_id required", "field required", "raw_value narrative",
        "problem required"), indexes="source_id field problem"),
]}

# Tables filled from raw/reference/<table>.csv, in load order; and those a curated source folder may hold as
# <table>.csv (the file names the target table).
REFERENCE_TABLES = ("statuses", "categories", "event_types", "detention_kinds", "reprisal_types", "metrics",
                    "issue_categories", "un_mechanisms", "charges")
CURATED_TABLES = ("organizations", "persons", "cases", "campaigns", "signatures", "detentions", "detention_charges",
                  "charge_citations", "events", "reprisals", "statistics")
