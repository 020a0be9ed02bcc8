"""Three languages all the way: every page kind in Vietnamese and Chinese leaves no English interface word and no
untranslated vocabulary id; every vocabulary id has its translations; links keep the language; the templates
copied from Datasette are those of the installed version."""

import hashlib
import re
from pathlib import Path

import datasette
import lxml.html
import pytest
import yaml

from scripts.read import ROOT

pytestmark = pytest.mark.pages

TRANSLATIONS = yaml.safe_load((ROOT / "templates" / "translations.yml").read_text("utf-8"))
VOCABULARIES = yaml.safe_load((ROOT / "templates" / "vocabularies.yml").read_text("utf-8"))
CANNED_QUERIES = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))["databases"]["conscience"]["queries"]
PAGES = ["/", "/about", "/person/jiang-tianyong", "/person/nguyen-lan-thang", "/organization/viasna",
         "/campaign/china-mechanism-letter", "/charge/CN-CL1997-105", "/charge/VN-PC1999-88",
         "/conscience/persons", "/conscience/persons?status=detained&country=VN", "/conscience/persons_map",
         "/conscience/events", "/conscience/reprisals", "/search?q=Liu+Xiaobo", "/conscience",
         "/conscience/persons/jiang-tianyong", "/conscience/detained_under_article?article=88&country=VN",
         "/conscience?sql=select+id,+name+from+persons+limit+3", "/releases"]
# Text that is data or code, not interface: the rows of a table, code samples, the raw values of source records,
# and what the page marks translate="no" (names of organisations, facet values outside the vocabularies).
NOT_INTERFACE = ("//table[contains(@class, 'rows-and-columns')]//tbody | //code | //pre | //textarea | //script | //style"
                 " | //*[@translate='no']"
                 " | //dl[contains(@class, 'raw')] | //details[contains(@class, 'column-descriptions')]//dl")


def interface_text(html, lang):
    """The page's visible text outside data: elements in another language than the page's (lang="en" on a
    source's summary, say) and NOT_INTERFACE are left out."""
    tree = lxml.html.fromstring(html)
    for element in tree.xpath(NOT_INTERFACE) + [e for e in tree.xpath("//body//*[@lang]")
                                                 if not e.get("lang").startswith(lang)]:
        if element.getparent() is not None:
            element.drop_tree()
    return " ".join(tree.xpath("//body")[0].text_content().split())


def english_strings(conn):
    """The interface strings shown in English: translations.yml's keys (or their `en`), table titles of
    metadata.yml, and every vocabulary id (those of raw/reference/ read from the database)."""
    strings = {entry.get("en") or key for key, entry in TRANSLATIONS["strings"].items()}
    strings |= {key for key in TRANSLATIONS["columns"] if "_" in key}
    strings |= {query["title"] for query in CANNED_QUERIES.values()}
    ids = {value for vocabulary, entries in VOCABULARIES.items() if vocabulary != "countries" for value in entries}
    ids |= {value for vocabulary in ("statuses", "categories", "event_types", "reprisal_types", "un_mechanisms", "metrics",
                                     "detention_kinds")
            for (value,) in conn.execute(f"select id from {vocabulary}")}
    return {s for s in strings | ids if len(s) > 3 and not re.fullmatch(r"[\W\d]+", s)}


@pytest.mark.parametrize("lang", ["vi", "zh"])
@pytest.mark.parametrize("path", PAGES)
async def test_no_english_interface_word_is_left(ds, conn, path, lang):
    response = await ds.client.get(path + ("&" if "?" in path else "?") + f"_lang={lang}")
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{ {"vi": "vi", "zh": "zh-Hans"}[lang]}">' in html
    text = interface_text(html, lang)
    left = sorted(s for s in english_strings(conn) if re.search(rf"(?<![\w/=-]){re.escape(s)}(?![\w/-])", text))
    assert not left, f"{path} in {lang}: {left}"


@pytest.mark.parametrize("lang", ["vi", "zh"])
@pytest.mark.parametrize("path", ["/conscience/persons/no-such-person", "/no-such-database"])
async def test_error_pages_speak_the_readers_language(ds, conn, path, lang):
    response = await ds.client.get(f"{path}?_lang={lang}")
    assert response.status_code == 404
    text = interface_text(response.text, lang)
    assert {"vi": "Không tìm thấy", "zh": "未找到"}[lang] in text
    assert not [s for s in english_strings(conn) if re.search(rf"(?<![\w/=-]){re.escape(s)}(?![\w/-])", text)]


def test_every_column_header_has_its_translations(conn):
    """A column added to the schema (scripts/schema.py) or a view shows its header in every language."""
    names = [name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view') "
                                               "and name not like 'sqlite%' and name not like '%_fts%'")]
    columns = {column for name in names for (column,) in conn.execute(f"select name from pragma_table_info('{name}')")}
    assert sorted(c for c in columns if not {"vi", "zh"} <= set(TRANSLATIONS["columns"].get(c, {}))) == []


def test_every_vocabulary_id_has_its_translations(conn):
    """The vocabularies of raw/reference/ carry their labels (label_vi, label_zh); the others are in vocabularies.yml."""
    for vocabulary in ("statuses", "categories", "event_types", "reprisal_types", "un_mechanisms", "metrics",
                       "detention_kinds"):
        assert vocabulary not in VOCABULARIES  # one place each
        rows = conn.execute(f"select id, label_vi, label_zh from {vocabulary}").fetchall()
        assert rows and all(vi and zh and vi != value for value, vi, zh in rows), vocabulary
    for (value,) in conn.execute("select distinct sex from persons where sex is not null"):
        assert set(VOCABULARIES["sex"].get(value, {})) >= {"vi", "zh"}, value
    for (value,) in conn.execute("select distinct kind from campaigns"):
        assert set(VOCABULARIES["campaign_kinds"].get(value, {})) >= {"vi", "zh"}, value
    for key, entry in TRANSLATIONS["strings"].items():
        assert set(entry) >= {"vi", "zh"}, key


async def test_country_names_and_charge_titles_in_the_readers_language(ds):
    vi = (await ds.client.get("/person/nguyen-lan-thang?_lang=vi")).text
    assert "Việt Nam" in vi
    zh = (await ds.client.get("/charge/CN-CL1997-105?_lang=zh")).text
    assert "中国" in zh and "煽动颠覆国家政权罪" in zh and "Inciting subversion" not in zh  # the law's own title
    vi_charge = (await ds.client.get("/charge/CN-CL1997-105?_lang=vi")).text
    assert "煽动颠覆国家政权罪" in vi_charge and 'lang="en"' in vi_charge  # no Vietnamese title: original + English


async def test_table_pages_keep_the_language_in_their_links(ds):
    html = (await ds.client.get("/conscience/persons?_lang=vi&country=BY")).text
    tree = lxml.html.fromstring(html)
    local = [a.get("href") for a in tree.xpath("//a[@href][not(@hreflang)]")  # the language switch aside
             if a.get("href").startswith(("/", "http://localhost/"))
             and not re.search(r"\.(json|csv|db|atom|jsonfeed)\b|/-/", a.get("href"))]
    assert len(local) > 50
    assert [href for href in local if "_lang=vi" not in href] == []
    assert "đang bị giam" in html and "Ales Bialiatski" in html  # translated status cells, names as sourced


def sentence_cells(html):
    """The Sentence cells of a person page's detentions, each as (text shown, its lang or None, its title)."""
    tree = lxml.html.fromstring(html)
    return [(" ".join(span.text_content().split()), span.get("lang"), span.get("title"))
            for span in tree.xpath("//table[contains(@class, 'detentions')]//tr/td[3]/div/span")]


@pytest.mark.parametrize("person,written,vi,zh", [
    ("cecc-ppd-2004-03114", "11 years", "11 năm", "11年"), ("cecc-ppd-2004-00005", "1 year, 6 months", "1 năm, 6 tháng",
                                                         "1年6个月"), ("cppc-china-105", "life", "tù chung thân", "无期徒刑")])
async def test_a_sentence_in_numbers_reads_in_the_readers_language(ds, person, written, vi, zh):
    """A sentence the lists write as numbers and units is a value, shown in the reader's language; what the source
    wrote stays one hover away."""
    assert (written, "en", None) in sentence_cells((await ds.client.get(f"/person/{person}")).text)
    for lang, shown in (("vi", vi), ("zh", zh)):
        cells = sentence_cells((await ds.client.get(f"/person/{person}?_lang={lang}")).text)
        assert (shown, None, written) in cells, cells


async def test_a_sentence_in_words_stays_as_written_and_says_it_is_english(ds):
    cells = sentence_cells((await ds.client.get("/person/bui-thi-bich-tuyen-dtd?_lang=vi")).text)
    assert ("three years in prison", "en", None) in cells


async def test_a_campaign_title_is_the_sources_own_in_the_readers_language_never_a_translation(ds):
    zh = lxml.html.fromstring((await ds.client.get("/campaign/china-mechanism-letter?_lang=zh")).text)
    title = zh.xpath("//h1")[0]
    assert title.text_content() == "呼籲成立國際機制以處理中國政府的人權侵犯" and title.get("lang") == "zh-Hant"
    assert zh.xpath("//p[@lang='en']")[0].text_content().startswith("Coalition letter")
    vi = lxml.html.fromstring((await ds.client.get("/campaign/china-mechanism-letter?_lang=vi")).text)
    assert vi.xpath("//h1")[0].get("lang") == "en"  # the source gives no Vietnamese title: none is made up
    person = lxml.html.fromstring((await ds.client.get("/person/nguyen-lan-thang?_lang=vi")).text)
    link = person.xpath("//a[starts-with(@href, '/campaign/vhrn-hrc-petition-2023-2025')]")[0]
    assert link.get("lang") == "vi" and link.text_content().startswith("Không Bầu Việt Nam")


async def test_a_place_is_shown_as_its_source_wrote_it_marked_with_that_language(ds):
    page = lxml.html.fromstring((await ds.client.get("/person/cppc-china-141?_lang=vi")).text)
    assert [(span.text_content(), span.get("lang")) for span in page.xpath("//span[text()='阿克苏']")][0] == \
        ("阿克苏", "zh-Hans")


async def test_column_descriptions_in_the_readers_language_or_marked_english(ds, metadata):
    tables = metadata["databases"]["conscience"]["tables"]
    for table, translated in TRANSLATIONS["column_descriptions"].items():  # a table's every column, in both languages
        assert set(translated) == set(tables[table]["columns"]), table
        assert all(set(entry) == {"vi", "zh"} for entry in translated.values()), table
    for lang in ("vi", "zh"):
        tree = lxml.html.fromstring((await ds.client.get(f"/conscience/persons?_lang={lang}")).text)
        shown = dict(zip([dt.text_content() for dt in tree.xpath("//dl[@class='column-descriptions']/dt")],
                         tree.xpath("//dl[@class='column-descriptions']/dd")))
        assert shown["status"].text_content() == TRANSLATIONS["column_descriptions"]["persons"]["status"][lang]
        assert shown["status"].get("lang") is None
        assert tree.xpath("//th[@data-column='status']/@data-column-description") == [
            TRANSLATIONS["column_descriptions"]["persons"]["status"][lang]]
    tree = lxml.html.fromstring((await ds.client.get("/conscience/events?_lang=zh")).text)
    assert {dd.get("lang") for dd in tree.xpath("//dl[@class='column-descriptions']/dd")} == {"en"}


COPIED = ROOT / "templates" / f"datasette-{datasette.__version__}"


async def test_templates_copied_from_datasette_serve_only_the_version_they_come_from(ds):
    """plugins/instance.py: on the version they were copied from, each copy names that version's file
    and its sha256 (so an upgrade fails here until they are copied again); on any other, Datasette's own serve."""
    page = (await ds.client.get("/conscience/persons?_lang=vi")).text
    if not COPIED.is_dir():
        assert 'hreflang="en"' not in page  # Datasette's own base.html, without our languages
        return
    installed = Path(datasette.__file__).parent / "templates"
    copies = sorted(COPIED.glob("*.html"))
    assert [copy.name for copy in copies] == ["_codemirror_foot.html", "_crumbs.html",
                                              "_description_source_license.html", "_facet_results.html", "_footer.html", "_table.html", "base.html",
                                              "database.html", "error.html", "query.html", "row.html", "table.html"]
    for copy in copies:
        sha = hashlib.sha256((installed / copy.name).read_bytes()).hexdigest()
        assert f"Datasette {datasette.__version__}'s {copy.name} (sha256 {sha})" in copy.read_text("utf-8"), (
            f"templates/{COPIED.name}/{copy.name} was copied from another Datasette: start again from the installed one")
    assert 'hreflang="en"' in page and "đang bị giam" in page
