"""The public schema of conscience.db, declared once.

The build creates tables from TABLES, checks every reference declared here, and
indexes every column listed as a facet or sort column. Column descriptions for
readers live in metadata.yml; tests/test_metadata.py checks both stay in step.

Column kinds:
  text, integer, real  stored as is
  list                 a JSON array of strings (";"-separated in raw CSV)
  json                 a JSON object (a record's upstream row)
  date                 an ISO partial date ("2016", "2016-11", "2016-11-21");
                       stored with a sibling "<name>_precision" column
"""

from dataclasses import dataclass

SQL_TYPES = {"text": str, "integer": int, "real": float, "list": str, "date": str, "json": str}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    references: str | None = None  # "table" (its primary key); for lists, each item
    derived: bool = False  # computed by the build, never read from raw/
    narrative: bool = False  # free text that may name other people: redacted where it names a withheld person


@dataclass(frozen=True)
class Table:
    name: str
    pk: str | tuple[str, ...]
    columns: tuple[Column, ...]
    indexes: tuple[str, ...] = ()
    fts: tuple[str, ...] = ()  # columns copied into <name>_fts, plus CJK substrings
    provenance: bool = True  # adds source_id and upstream_ref

    def column(self, name):
        return next(c for c in self.columns if c.name == name)


def _provenance():
    return (
        Column("source_id", required=True, references="sources"),
        Column("upstream_ref", required=True),
    )


def stored_columns(table):
    """(name, python type) of every column as stored, in order."""
    out = []
    columns = table.columns + (_provenance() if table.provenance else ())
    for column in columns:
        out.append((column.name, SQL_TYPES[column.kind]))
        if column.kind == "date":
            out.append((column.name + "_precision", str))
    return out


def foreign_keys(table):
    columns = table.columns + (_provenance() if table.provenance else ())
    return [
        (c.name, c.references, TABLES[c.references].pk)
        for c in columns
        if c.references and c.kind != "list"
    ]


_T = Table
_C = Column
# A vocabulary's labels in the interface's other languages (plugins/i18n.py), beside its id and English, so that
# each vocabulary lives in one place: its file in raw/reference/.
LABELS = (_C("label_vi", required=True), _C("label_zh", required=True))

TABLES = {
    t.name: t
    for t in [
        _T(
            "sources",
            pk="id",
            provenance=False,
            columns=(
                _C("id", required=True),
                _C("title", required=True, narrative=True),
                _C("publisher", required=True),
                _C("url"),
                _C("licence", required=True),
                _C("as_of", "date"),
                _C("as_of_note", narrative=True),
                _C("language", required=True),
                _C("kind", required=True),
                _C("description", required=True, narrative=True),
                _C("file"),
                _C("sha256"),
            ),
            indexes=("kind", "language"),
        ),
        _T(
            "countries",
            pk="iso2",
            columns=(
                _C("iso2", required=True),
                _C("iso3", required=True),
                _C("name", required=True),
                _C("latitude", "real", derived=True),
                _C("longitude", "real", derived=True),
            ),
            indexes=("name",),
        ),
        _T(
            "statuses",
            pk="id",
            provenance=False,
            columns=(_C("id", required=True), _C("label", required=True), _C("description", required=True), *LABELS),
        ),
        _T("categories", pk="id", provenance=False,
           columns=(_C("id", required=True), _C("description", required=True), *LABELS)),
        _T("event_types", pk="id", provenance=False,
           columns=(_C("id", required=True), _C("description", required=True), *LABELS)),
        _T("detention_kinds", pk="id", provenance=False,
           columns=(_C("id", required=True), _C("description", required=True), *LABELS)),
        _T("reprisal_types", pk="id", provenance=False,
           columns=(_C("id", required=True), _C("description", required=True), *LABELS)),
        _T("metrics", pk="id", provenance=False,
           columns=(_C("id", required=True), _C("description", required=True), _C("dataset_count", required=True),
                    *LABELS)),
        _T(
            "issue_categories",
            pk="id",
            provenance=False,
            columns=(_C("id", required=True), _C("label", required=True), _C("category", references="categories")),
        ),
        _T(
            "un_mechanisms",
            pk="id",
            provenance=False,
            columns=(_C("id", required=True), _C("name", required=True), _C("kind", required=True), *LABELS),
            indexes=("kind",),
        ),
        _T(
            "charges",
            pk="id",
            provenance=False,
            columns=(
                _C("id", required=True),
                _C("country", required=True, references="countries"),
                _C("law", required=True),
                _C("article"),
                _C("title_en", required=True),
                _C("title_original"),
                _C("original_language", required=True),
                _C("replaced_by", references="charges"),
                _C("note"),
                _C("label", required=True, derived=True),
            ),
            indexes=("country", "law", "article"),
            fts=("id", "law", "article", "title_en", "title_original", "note"),
        ),
        _T(
            "organizations",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("name", required=True),
                _C("name_native"),
                _C("name_folded", required=True, derived=True),
                _C("names_as_written", "list", derived=True),
                _C("country", references="countries"),
                _C("description", narrative=True),
            ),
            indexes=("name", "country"),
            fts=("name", "name_native", "name_folded", "names_as_written", "description"),
        ),
        _T(
            "persons",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("name", required=True),
                _C("name_native"),
                _C("name_folded", required=True, derived=True),
                _C("alternate_names", "list"),
                _C("sex"),
                _C("birth_year", "integer"),
                _C("ethnicity"),
                _C("religion"),
                _C("occupation"),
                _C("categories", "list", references="categories"),
                _C("country", required=True, references="countries"),
                _C("status", required=True, references="statuses"),
                _C("status_as_of", "date"),
                _C("status_confirmed", "integer"),
                _C("status_detail"),
                _C("status_may_be_stale", "integer", derived=True),
                _C("issues", "list", references="issue_categories"),
                _C("place"),
                _C("latitude", "real", derived=True),
                _C("longitude", "real", derived=True),
                _C("coordinate_precision", derived=True),
                _C("charges", "list", references="charges", derived=True),
                _C("sources", "list", references="sources", derived=True),
                _C("summary", narrative=True),
                _C("summary_links", "json", derived=True, narrative=True),
                _C("name_withheld", "integer", derived=True),
            ),
            indexes=("name", "name_folded", "sex", "birth_year", "country", "status", "status_as_of", "status_confirmed",
                     "status_may_be_stale",
                     "ethnicity", "religion", "occupation"),
            fts=("name", "name_native", "name_folded", "alternate_names", "occupation", "place", "summary"),
        ),
        _T(
            "records",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("upstream_id", required=True),
                _C("person_id", required=True, references="persons"),
                _C("name_as_written", required=True),
                _C("url"),
                _C("link_method", required=True),
                _C("link_confidence", "real", required=True),
                _C("raw", "json", required=True, narrative=True),
            ),
            indexes=("person_id", "source_id", "link_method"),
        ),
        _T(
            "person_issues",
            pk=("person_id", "issue", "source_id"),
            columns=(
                _C("person_id", required=True, references="persons"),
                _C("issue", required=True, references="issue_categories"),
            ),
            indexes=("issue",),
        ),
        _T(
            "link_candidates",
            pk=("record_id", "candidate_record_id"),
            provenance=False,
            columns=(
                _C("record_id", required=True, references="records"),
                _C("candidate_record_id", required=True, references="records"),
                _C("score", "integer", required=True),
                _C("evidence", required=True),
            ),
            indexes=("candidate_record_id", "score"),
        ),
        _T(
            "cases",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("title", required=True, narrative=True),
                _C("state", required=True, references="countries"),
                _C("summary", required=True, narrative=True),
                # As ISHR codes the UN Secretary-General's reports on reprisals (endreprisals.ishr.ch):
                _C("sg_report_year", "integer"),
                _C("sg_case_reference"),
                _C("record_type"),
                _C("un_bodies_prior", "list"),
                _C("engagement", "list"),
                _C("engagement_types", "list"),
                _C("perpetrators", "list"),
                _C("case_status"),
                # Where sources present one case apart (raw/case_links.csv, scripts/link/cases.py): every source of
                # the case, and the upstream references of the rows merged into it.
                _C("sources", "list", references="sources", derived=True),
                _C("other_records", "list", derived=True),
            ),
            indexes=("state", "sg_report_year", "record_type", "case_status"),
        ),
        _T(
            "detentions",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("person_id", required=True, references="persons"),
                _C("kind", required=True, references="detention_kinds"),
                _C("detained_on", "date"),
                _C("detained_year", "integer", derived=True),
                _C("age_at_detention", "integer"),
                _C("sentenced_on", "date"),
                _C("sentence_as_written"),
                _C("sentence_months", "real"),
                _C("sentence_ends_on", "date"),
                _C("released_on", "date"),
                _C("place"),
                _C("same_detention", references="detentions", derived=True),
            ),
            indexes=("person_id", "kind", "detained_on", "detained_year", "sentenced_on", "sentence_months",
                     "same_detention"),
        ),
        _T(
            "detention_charges",
            pk=("detention_id", "charge_as_written"),
            columns=(
                _C("detention_id", required=True, references="detentions"),
                _C("charge_id", required=True, references="charges"),
                _C("charge_as_written", required=True),
            ),
            indexes=("charge_id",),
        ),
        _T(
            "charge_citations",
            pk=("source_id", "charge_id"),
            columns=(_C("charge_id", required=True, references="charges"), _C("context", required=True, narrative=True)),
            indexes=("charge_id",),
        ),
        _T(
            "campaigns",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("title", required=True),
                _C("title_original"),
                _C("kind", required=True),
                _C("organizer", references="organizations"),
                _C("country", references="countries"),
                _C("started_on", "date"),
                _C("description", required=True, narrative=True),
            ),
            indexes=("kind", "organizer", "country", "started_on"),
        ),
        _T(
            "signatures",
            pk=("campaign_id", "position"),
            columns=(
                _C("campaign_id", required=True, references="campaigns"),
                _C("position", "integer", required=True, derived=True),
                _C("organization_id", required=True, references="organizations", derived=True),
                _C("name_as_written", required=True),
            ),
            indexes=("organization_id",),
        ),
        _T(
            "reprisals",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("case_id", required=True, references="cases"),
                _C("person_id", references="persons"),
                _C("organization_id", references="organizations"),
                _C("state", required=True, references="countries"),
                _C("un_mechanisms", "list", references="un_mechanisms"),
                _C("un_mechanism_as_written", "list"),
                _C("reprisal_types", "list", required=True, references="reprisal_types"),
                _C("reprisal_types_as_written", "list"),
                _C("date", "date"),
                _C("date_note", narrative=True),
                _C("description", required=True, narrative=True),
            ),
            indexes=("case_id", "person_id", "organization_id", "state", "date"),
        ),
        _T(
            "events",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("person_id", references="persons"),
                _C("organization_id", references="organizations"),
                _C("case_id", references="cases"),
                _C("date", "date"),
                _C("year", "integer", derived=True),
                _C("date_note", narrative=True),
                _C("event_type", required=True, references="event_types"),
                _C("description", required=True, narrative=True),
            ),
            indexes=("person_id", "organization_id", "case_id", "date", "year", "event_type"),
        ),
        _T(
            "statistics",
            pk="id",
            columns=(
                _C("id", required=True),
                _C("reported_by", references="organizations"),
                _C("campaign_id", references="campaigns"),
                _C("as_of", "date"),
                _C("metric", required=True, references="metrics"),
                _C("country", references="countries"),
                _C("value", "integer", required=True),
                _C("description", required=True, narrative=True),
            ),
            indexes=("reported_by", "campaign_id", "as_of", "metric", "country"),
        ),
        _T(
            "withheld_counts",
            pk=("country", "status"),
            provenance=False,
            columns=(
                _C("country", required=True, references="countries"),
                _C("status", required=True, references="statuses"),
                _C("persons", "integer", required=True),
            ),
        ),
        _T(
            "releases",
            pk="released_on",
            provenance=False,
            # id: the date and the short hash of the build's inputs (scripts/derive/changes.py, release_id); the
            # release's files are at /releases/<id>/. Releases made before ids were given have none.
            columns=(_C("released_on", required=True), _C("id"), _C("changes", "integer", required=True)),
        ),
        _T(
            "changes",
            pk="id",
            provenance=False,
            columns=(
                _C("id", required=True),
                _C("released_on", required=True, references="releases"),
                _C("change_type", required=True),
                _C("person_id"),
                _C("organization_id"),
                _C("campaign_id"),
                _C("country"),
                _C("title", required=True),
                _C("old_value"),
                _C("new_value"),
            ),
            indexes=("released_on", "change_type", "person_id", "organization_id", "campaign_id", "country"),
        ),
        _T(
            "data_quality",
            pk="id",
            columns=(
                _C("id", "integer", required=True, derived=True),
                _C("upstream_id", required=True),
                _C("field", required=True),
                _C("raw_value", narrative=True),
                _C("problem", required=True),
            ),
            indexes=("source_id", "field", "problem"),
        ),
    ]
}

# Tables filled from raw/reference/<table>.csv, in load order.
REFERENCE_TABLES = (
    "statuses", "categories", "event_types", "detention_kinds", "reprisal_types", "metrics", "issue_categories",
    "un_mechanisms", "charges",
)

# Tables a curated source folder may hold as <table>.csv; the file names the target table.
CURATED_TABLES = (
    "organizations", "persons", "cases", "campaigns", "signatures", "detentions",
    "detention_charges", "charge_citations", "events", "reprisals", "statistics",
)
