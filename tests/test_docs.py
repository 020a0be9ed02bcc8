"""The README and docs/ say what the code does: generated pages are what their generator makes, every path, module,
make target, table, column and link a page names exists, and the figures they state are the database's."""

import re

import pytest
import yaml

from scripts import docs
from scripts.read import ROOT

KEPT_AS_WRITTEN = ("benchmarks", "hostile")  # the benchmarks' reports, dated as they are
PAGES = ["README.md"] + sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").glob("*.md")
                               if not path.name.startswith(KEPT_AS_WRITTEN))
EXAMPLES = ("raw/my-list",)  # the list adding-a-list.md makes up
PATH = re.compile(r"(?<![\w/.-])(?:\.github|\.ci|scripts|plugins|templates|raw|tests|benchmarks|docs)/[\w.*<>/-]*")
MODULE = re.compile(r"(?<![\w/.-])scripts(?:\.\w+)+")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def read(page):
    return (ROOT / page).read_text(encoding="utf-8")


def test_the_readme_is_a_newcomers_page():
    assert len(read("README.md").splitlines()) <= 300
    for page in PAGES[1:]:
        assert page in read("README.md"), f"README.md's 'Where the rest is' does not name {page}"


@pytest.mark.parametrize("page", docs.PAGES)
def test_a_generated_page_is_what_its_generator_makes(page):
    text = read(page)
    assert docs.in_page(text, docs.PAGES[page]()) == text, f"{page} is stale: run python -m scripts.docs"


@pytest.mark.parametrize("page", PAGES)
def test_every_path_and_module_a_page_names_exists(page):
    text = read(page)
    missing = []
    for path in PATH.findall(text):
        path = path.rstrip(".")
        if not path.startswith(EXAMPLES) and not list(ROOT.glob(re.sub(r"<[^>]*>", "*", path).rstrip("/") or ".")):
            missing.append(path)
    for module in MODULE.findall(text):
        file = ROOT / module.replace(".", "/")
        if not (file.with_suffix(".py").exists() or (file / "__init__.py").exists()):
            missing.append(module)
    assert missing == [], f"{page} names what does not exist: {missing}"


def make_targets():
    return set(re.findall(r"^([\w-]+):", read("Makefile"), re.M))


@pytest.mark.parametrize("page", PAGES)
def test_every_make_target_a_page_names_exists(page):
    named = {target for code in CODE.findall(read(page)) for target in re.findall(r"\bmake ([a-z][\w-]*)", code)}
    assert named - make_targets() == set(), page


@pytest.fixture(scope="module")
def columns(conn):
    """Every table and view of the built database, with its columns; canned queries with none."""
    names = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    found = {name: {row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")} for name in names}
    queries = yaml.safe_load(read("metadata.yml"))["databases"]["conscience"]["queries"]
    return found | {name: set() for name in queries}


@pytest.mark.parametrize("page", PAGES)
def test_every_table_and_column_a_page_names_exists(page, columns):
    text, wrong = read(page), []
    for code in CODE.findall(text):
        for table, column in re.findall(r"^`([a-z_]+)\.([a-z_]+)`$", code):
            if column == "csv" and table not in columns:  # a curated or reference file is named after its table
                wrong.append(table)
            elif table in columns and column not in columns[table] | {"csv"}:
                wrong.append(f"{table}.{column}")
    for before, name, after in re.findall(r"(table|view|canned query)? ?`([a-z_]+)`( table| view)?\b", text):
        if (before or after) and name not in columns:
            wrong.append(name)
    wrong += [name for name in re.findall(r"/conscience/(\w+)", text) if name not in columns]
    every_column = set().union(*columns.values())
    wrong += [name for name in re.findall(r"`([a-z_]+)` column", text) if name not in every_column]
    assert wrong == [], f"{page} names tables or columns the database does not have: {wrong}"


def anchors(text):
    """GitHub's ids for a page's headings."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES)
def test_every_link_between_pages_leads_somewhere(page):
    broken = []
    for target in LINK.findall(read(page)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (ROOT / page).parent / file if file else ROOT / page
        if not path.exists() or (anchor and anchor not in anchors(path.read_text(encoding="utf-8"))):
            broken.append(target)
    assert broken == [], f"{page} links to what does not exist: {broken}"


# The figures the pages state about this build: (page, text with {} for the figure, the SQL that counts it).
VIETNAM_DETAINED_UNDER_THE_CODE = """
    SELECT count(DISTINCT p.id) FROM persons p JOIN detentions d ON d.person_id = p.id
    JOIN detention_charges dc ON dc.detention_id = d.id
    WHERE p.country = 'VN' AND coalesce(d.detained_on, d.sentenced_on) IS NOT NULL
      AND (dc.charge_id LIKE 'VN-PC1999-%' OR dc.charge_id LIKE 'VN-PC2015-%')"""
CITED = "SELECT id FROM sources WHERE kind = 'cited web pages'"
FIGURES = [
    ("README.md", "{} persons in", "SELECT count(*) FROM persons"),
    ("README.md", "in {} countries", "SELECT count(DISTINCT country) FROM persons"),
    ("README.md", "{} of them last reported detained", "SELECT count(*) FROM persons WHERE status = 'detained'"),
    ("README.md", "**Viet Nam** {} persons in this dataset", "SELECT count(*) FROM persons WHERE country = 'VN'"),
    ("README.md", "the UN** {} cases in this dataset", "SELECT count(*) FROM cases"),
    ("README.md", "from {} states, where ISHR", "SELECT count(DISTINCT state) FROM cases"),
    ("docs/sources.md", "holds {} persons in Vietnam", "SELECT count(*) FROM persons WHERE country = 'VN'"),
    ("docs/sources.md", "read from the records of {} sources",
     "SELECT count(DISTINCT r.source_id) FROM records r JOIN persons p ON p.id = r.person_id WHERE p.country = 'VN'"),
    ("docs/sources.md", "{} of them are last reported detained",
     "SELECT count(*) FROM persons WHERE country = 'VN' AND status = 'detained'"),
    ("docs/sources.md", "{} have a dated detention under the 1999 or 2015 Penal Code", VIETNAM_DETAINED_UNDER_THE_CODE),
    ("docs/sources.md", "The dataset has {} publishers of cited web pages", f"SELECT count(*) FROM ({CITED})"),
    ("docs/sources.md", "rows in this build: {} lost Chinese names",
     "SELECT count(*) FROM data_quality WHERE problem LIKE 'Chinese characters lost%'"),
    ("docs/sources.md", "Nothing an adapter cannot read is dropped: the value goes to `data_quality` with the problem ({} rows",
     "SELECT count(*) FROM data_quality"),
    ("docs/schema.md", "with no later detention recorded ({} persons in this build)",
     "SELECT count(*) FROM persons WHERE status_may_be_stale = 1"),
    ("docs/schema.md", "`count(distinct same_detention)` ({} rows", "SELECT count(*) FROM detentions"),
    ("docs/schema.md", "rows, {} detentions in this build", "SELECT count(DISTINCT same_detention) FROM detentions"),
    ("docs/linking.md", "In this build {} of the 926 CPPC records are on a person with a CECC record",
     "SELECT count(*) FROM records WHERE source_id = 'cppc-china' AND person_id IN "
     "(SELECT person_id FROM records WHERE source_id = 'cecc-ppd')"),
    ("docs/linking.md", "and {} weaker pairs wait in", "SELECT count(*) FROM link_candidates"),
    ("docs/readers.md", "placed to a city ({})", "SELECT count(*) FROM persons WHERE coordinate_precision = 'city'"),
    ("docs/readers.md", "province ({}); each popup", "SELECT count(*) FROM persons WHERE coordinate_precision = 'province'"),
    ("docs/readers.md", "The {} persons known only by their country",
     "SELECT count(*) FROM persons WHERE coordinate_precision = 'country'"),
    ("docs/readers.md", "the ethnicity facet counts the {} whose", "SELECT count(*) FROM persons WHERE ethnicity = 'Uyghur'"),
    ("docs/readers.md", "`scripts/places.py`): {} of them",
     "SELECT count(*) FROM persons WHERE country = 'VN' AND coordinate_precision = 'province'"),
]


@pytest.mark.parametrize("page, text, sql", FIGURES, ids=[f"{page}: {text[:30]}" for page, text, _ in FIGURES])
def test_a_figure_a_page_states_is_the_databases(conn, page, text, sql):
    (figure,) = conn.execute(sql).fetchone()
    said = " ".join(text.format(f"{figure:,}").split())
    assert said in " ".join(read(page).split()), (f"{page}: the database now gives {figure:,} for {text!r}: run "
                                                  "python -m tests.test_docs")


def test_the_readmes_sources_are_counted_as_the_database_counts_them(conn):
    rows = re.findall(r"^\| (.+?) \| .+ \| ([\d,]+) \|$", read("README.md").split("## What is in it")[1], re.M)
    kinds = {"transcribed documents": "kind NOT IN ('database', 'cited web pages', 'reference')",
             "publishers of cited web pages": "kind = 'cited web pages'"}
    assert len(rows) == 5
    for source, records in rows:
        if source.startswith("`"):
            where, sources = "id = '%s'" % source.strip("`"), 1
        else:
            sources, kind = source.split(" ", 1)
            where, sources = kinds[kind], int(sources)
        counted = conn.execute(f"SELECT count(*), (SELECT count(*) FROM records WHERE source_id IN "
                               f"(SELECT id FROM sources WHERE {where})) FROM sources WHERE {where}").fetchone()
        assert counted == (sources, int(records.replace(",", ""))), (source, counted)


def update_figures(conn):
    """Write each figure FIGURES names as the database gives it: `python -m tests.test_docs [DB]`."""
    for page, text, sql in FIGURES:
        (figure,) = conn.execute(sql).fetchone()
        before, _, after = text.partition("{}")
        words = [r"\s+".join(map(re.escape, part.split())) for part in (before, after)]
        pattern = re.compile(words[0] + (r"\s+" if before.endswith(" ") else "") + r"(?P<figure>[\d,]+)"
                             + (r"\s+" if after.startswith(" ") else "") + words[1])
        path = ROOT / page
        page_text = path.read_text(encoding="utf-8")
        if found := pattern.search(page_text):
            page_text = page_text[:found.start("figure")] + f"{figure:,}" + page_text[found.end("figure"):]
            path.write_text(page_text, encoding="utf-8")


if __name__ == "__main__":
    import sqlite3
    import sys

    update_figures(sqlite3.connect(sys.argv[1] if len(sys.argv) > 1 else ROOT / "conscience.db"))
