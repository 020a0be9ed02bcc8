"""The mapping language on SYNTHETIC lists made for the purpose (tests/fixtures/mapping): every construct, every
input format, and every error, with its message."""

import hashlib
import io
import json
import shutil
import sqlite3
from collections import defaultdict

import pytest

from scripts.adapters import mapped
from scripts.adapters.dateformats import DateProblem, DateReader, read_term
from scripts.adapters.mapping_language import mapping_node, parse
from scripts.build import main as build_main
from scripts.check import check
from scripts.check import main as check_main
from scripts.common import BuildError
from scripts.places import Gazetteer
from scripts.read import RAW, ROOT, read_source_yml
from tests.conftest import copy_curated_raw, make_datasette

FIXTURES = ROOT / "tests" / "fixtures" / "mapping"
CONTEXT = {"gazetteer": Gazetteer({"VN", "CN"}), "province_capitals": {}}


def copy_list(tmp_path, change=lambda text: text, source="ngo-list"):
    """A copy of a fixture list (and the list it refers to), its source.yml changed by `change`."""
    for name in ("ngo-list", "other-list"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    path = tmp_path / source / "source.yml"
    path.write_text(change(path.read_text("utf-8")), "utf-8")
    return tmp_path / source


def prepared(folder, file=None):
    _, meta = read_source_yml(folder)
    return mapped.prepare(meta, folder, file or folder / meta["file"], *mapped.vocabularies(RAW))


def adapted(folder, file=None):
    plan = prepared(folder, file)
    out = defaultdict(list)
    for table, row in mapped.adapt(plan, plan.records(), CONTEXT):
        out[table].append(row)
    return out


def fails(folder, file=None):
    with pytest.raises(BuildError) as failure:
        adapted(folder, file)
    return str(failure.value)


@pytest.fixture(scope="module")
def ngo():
    return adapted(FIXTURES / "ngo-list")


def problems(out):
    return [(q["upstream_ref"], q["field"], q["raw_value"], q["problem"]) for q in out["data_quality"]]


# Constructs -------------------------------------------------------------------------------------------------

def test_persons_fields_value_maps_constants_and_several_columns(ngo):
    thu, liu, three = ngo["persons"]
    assert (thu["name"], thu["sex"], thu["birth_year"], thu["country"]) == ("Nguyễn Văn Thử", "male", 1970, "VN")
    assert json.loads(thu["categories"]) == ["journalist/blogger"]  # occupation and activity both map to it
    assert json.loads(liu["categories"]) == ["lawyer"] and liu["birth_year"] == 1980  # from 1980-05
    assert three["categories"] is None and three["sex"] is None  # teacher: null; NA is a missing value
    assert json.loads(three["issues"]) == ["spch"]  # spch;bogus: bogus is recorded, not kept


def test_native_names_are_romanised_beside_or_as_the_name(ngo):
    _, liu, three = ngo["persons"]
    assert (liu["name"], liu["name_native"], json.loads(liu["alternate_names"])) == ("Lu Ceshi", "刘测试", ["Liu Ceshi"])
    assert (three["name"], three["name_native"]) == ("Ce Shisan", "测试三")  # no romanised name: the pinyin is it


def test_status_with_its_date_and_confirmed_flag_from_columns(ngo):
    thu, liu, three = ngo["persons"]
    assert (thu["status"], thu["status_confirmed"], thu["status_as_of"], thu["status_as_of_precision"]) == (
        "detained", 1, "2024-05-01", "day")
    assert (liu["status"], liu["status_confirmed"], liu["status_as_of"]) == ("released", 0, None)
    assert (three["status"], three["status_confirmed"]) == ("unknown", 0)


def test_mapped_places_are_geocoded(ngo):
    thu, liu, three = ngo["persons"]
    assert (thu["place"], thu["coordinate_precision"], round(thu["latitude"])) == ("Hà Nội", "city", 21)
    assert liu["latitude"] is None and three["latitude"] is None  # 长春 is not in Vietnam; Nowhere Town nowhere


def test_detentions_dates_terms_places_and_charges(ngo):
    first, second, third = ngo["detentions"]
    assert (first["detained_on"], first["detained_on_precision"], first["sentence_months"], first["place"]) == (
        "2014-12-17", "day", 66.0, "Hỏa Lò")
    assert (second["detained_on"], second["detained_on_precision"], second["sentence_months"]) == ("2014-12", "month", 36.0)
    assert (third["detained_on"], third["sentence_as_written"], third["sentence_months"]) == (None, "life", None)
    assert [(c["detention_id"], c["charge_id"], c["charge_as_written"]) for c in ngo["detention_charges"]] == [
        ("ngo-list-T-001", "VN-PC2015-117", "Art. 117"), ("ngo-list-T-001", "VN-PC2015-331", "Art. 331"),
        ("ngo-list-T-002", "VN-PC2015-331", "Art. 331")]  # VN-PC2015-999 is no charge: reported (below)


def test_events_urls_and_cross_references(ngo):
    assert [(e["id"], e["date"]) for e in ngo["events"]] == [("ngo-list-T-001-arrest", "2014-12-17"),
                                                              ("ngo-list-T-002-arrest", "2014-12")]
    urls = [r["url"] for r in ngo["records"]]
    assert urls == ["https://example.org/t-001", None, None]  # "." is a missing value, not an address
    assert [r["_refers_to"] for r in ngo["records"]] == [
        '[["Ref", "other-list/B-1"]]', None, '[["Ref", "other-list/B-404"]]']


def test_unreadable_values_go_to_data_quality_with_line_column_and_value(ngo):
    assert problems(ngo) == [
        ("line 3", "Province", "长春", "place not found in the gazetteer; mapped at the country's centroid"),
        ("line 4", "Born", "19x0", "unparseable date (expected YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("line 4", "Issues", "bogus", "neither an id of the issue_categories vocabulary "
                                      "(raw/reference/issue_categories.csv) nor translated into one; left out"),
        ("line 4", "Province", "Nowhere Town", "place not found in the gazetteer; mapped at the country's centroid"),
        ("line 4", "Status", "unknown-word", "unknown status code (not in the mapping's status values); recorded as "
                                             "unknown"),
        ("line 4", "Arrested", "sometime 2015", "unparseable date (expected DD/MM/YYYY, <month abbreviation> YYYY or "
                                                "YYYY)"),
        ("line 4", "Charges", "Art. 999", "neither an id of the charges vocabulary (raw/reference/charges.csv) nor "
                                         "translated into one; left out")]


def test_a_second_record_giving_the_same_unreadable_values_has_them_recorded_too(tmp_path):
    """Values are worked out once per distinct set of cells (scripts/adapters/mapped.py); their problems still go to
    data_quality for each record that gives them, on its own line."""
    folder = copy_list(tmp_path)
    lines = (folder / "list.csv").read_text("utf-8").splitlines()
    (folder / "list.csv").write_text("\n".join([*lines, lines[3].replace("T-003", "T-004", 1)]) + "\n", "utf-8")
    found = problems(adapted(folder))
    fourth, fifth = ([problem[1:] for problem in found if problem[0] == line] for line in ("line 4", "line 5"))
    assert len(fourth) == 6 and fifth == fourth


def test_several_rows_of_one_person_give_several_detentions(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("  id_column: Number", "  id_column: Number\n"
                                                           "  several_rows_per_person: true"))
    with open(folder / "list.csv", "a", encoding="utf-8") as handle:
        handle.write("T-001,Nguyễn Văn Thử,,F,1970,03/2019,2 years,Art. 117,B14,Hà Nội,,,,,,,,\n")
    out = adapted(folder)
    assert [p["id"] for p in out["persons"]] == ["ngo-list-T-001", "ngo-list-T-002", "ngo-list-T-003"]
    assert [(d["id"], d["upstream_ref"]) for d in out["detentions"] if d["person_id"] == "ngo-list-T-001"] == [
        ("ngo-list-T-001", "line 2"), ("ngo-list-T-001-2", "line 5")]
    assert out["records"][0]["upstream_ref"] == "line 2, line 5" and len(json.loads(out["records"][0]["raw"])) == 2
    assert ("line 5", "Sex", "F", "the rows of one person disagree on sex; the first row's value is kept") \
        in problems(out)
    assert ("line 5", "Arrested", "03/2019", "unparseable date (expected DD/MM/YYYY, <month abbreviation> YYYY or "
                                             "YYYY)") in problems(out)


def test_one_row_can_give_several_detentions_and_numeric_sentence_terms(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("  events:", """    - every_row: true
      kind: {value: conviction in absentia}
      sentence_terms: {years: Born}
  events:"""))
    out = adapted(folder)
    assert [(d["id"], d["kind"]) for d in out["detentions"] if d["person_id"] == "ngo-list-T-003"] == [
        ("ngo-list-T-003", "detention"), ("ngo-list-T-003-2", "conviction in absentia")]
    second = [d for d in out["detentions"] if d["id"] == "ngo-list-T-001-2"][0]
    assert (second["sentence_months"], second["sentence_as_written"]) == (1970 * 12.0, "1970 years")
    assert ("line 4", "Born", "19x0", "not a number of years") in problems(out)


def test_patterns_can_record_a_problem_and_otherwise_keep(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("    occupation: Occupation", """    occupation:
      column: Occupation
      patterns: [{match: 'teach.*', problem: not an occupation we publish}, {match: 'law(yer)', value: 'law {1}'}]
      otherwise: keep"""))
    out = adapted(folder)
    assert [p["occupation"] for p in out["persons"]] == ["journalist", "law yer", None]
    assert ("line 4", "Occupation", "teacher", "not an occupation we publish") in problems(out)


def test_a_value_map_may_send_a_value_to_null_and_a_value_outside_it_to_data_quality(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("{M: male, F: female}", "{M: male, NA: null}")
                       .replace("  missing: [NA, \".\"]", "  missing: [\".\"]"))
    out = adapted(folder)
    assert [p["sex"] for p in out["persons"]] == ["male", None, None]
    assert ("line 3", "Sex", "F", "value not in the mapping's value map") in problems(out)


def test_dates_as_lists_write_them():
    reader = DateReader(["%Y.%m.%d", "%d/%m/%Y", "%B %Y", "%Y"], "vi")
    assert reader.read("2014.12.17") == ("2014-12-17", "day")
    assert reader.read("17/12/2014") == ("2014-12-17", "day")
    assert reader.read("tháng 12 2014") == ("2014-12", "month")  # month names in the list's language
    assert reader.read("December 2014") == ("2014-12", "month")  # and in English
    assert reader.read("2014") == ("2014", "year")
    assert reader.read("2014-12-17") == ("2014-12-17", "day")  # a spreadsheet's date cell, whatever the formats
    cecc = DateReader(["%Y/%m/%d"], "en", {"year": "yyyy", "month": "mm", "day": "dd"})
    assert [cecc.read(v) for v in ("1989/mm/dd", "1990/09/dd", "yyyy/mm/dd")] == [
        ("1989", "year"), ("1990-09", "month"), (None, None)]
    for value, message in (("yyyy/05/dd", "month or day given without a year"),
                           ("1990/mm/05", "day given without a month"),
                           ("1997/02/29", "not a date in the calendar (month or day out of range)"),
                           ("28.02.1997", "unparseable date (expected YYYY/MM/DD with yyyy, mm or dd for unknown parts)")):
        with pytest.raises(DateProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
            cecc.read(value)


# A list as NGOs keep it (issue 29): nothing lost in silence, kinds kept -----------------------------------------

@pytest.fixture(scope="module")
def kinds():
    return adapted(FIXTURES / "kinds-list")


def test_sentences_are_read_in_words_numerals_and_two_scripts_or_reported(kinds):
    assert [(d["sentence_as_written"], d["sentence_months"]) for d in kinds["detentions"]] == [
        ("十天10 days", 0.33), ("四年 / 4 years", 48.0), ("năm năm tù", 60.0), ("life", None), ("death", None),
        ("3 years suspended", 36.0), ("about a decade", None), ("四年 / 5 years", None)]
    assert [p for p in problems(kinds) if p[1] == "刑期"] == [
        ("line 8", "刑期", "about a decade", "not read as a sentence (kept as written)"),
        ("line 9", "刑期", "四年 / 5 years", "the sentence's renderings in different languages disagree (kept as written)")]
    assert [(d["detained_on"], d["detained_on_precision"]) for d in kinds["detentions"][:2]] == [
        ("2014-12-17", "day"), ("2014-03", "month")]  # 2014.03.00: the day unknown


@pytest.mark.parametrize("text,months", [
    ("5 years 6 months", 66), ("一年半", 18), ("二十年", 240), ("有期徒刑三年，缓刑四年", 36), ("18 tháng tù", 18),
    ("hai mươi lăm năm", 300), ("two years and three months", 27), ("five and half years", 66),
    ("a year and a half", 18), ("半年", 6), ("chung thân", None), ("无期徒刑", None), ("tử hình", None)])
def test_sentences_in_the_languages_of_the_lists(text, months):
    assert read_term(text) == (months, None)


def test_kinds_of_detention_from_a_value_map(kinds):
    assert [d["kind"] for d in kinds["detentions"]] == [
        "administrative detention", "criminal detention", "residential surveillance at a designated location",
        "house arrest", "enforced disappearance", "psychiatric detention", "re-education or extra-legal detention",
        "detention"]  # 黑监狱 is not in the value map: the kind is not stated, and the value is reported
    assert ("line 9", "类型", "黑监狱", "value not in the mapping's value map") in problems(kinds)


def test_find_reads_values_inside_a_text_and_one_valued_fields_only_where_all_agree(kinds):
    assert [(c["detention_id"], c["charge_id"], c["charge_as_written"]) for c in kinds["detention_charges"]] == [
        ("kinds-list-K-1", "CN-CL1997-105", "105"), ("kinds-list-K-1", "CN-CL1997-293", "293")]
    assert [d["age_at_detention"] for d in kinds["detentions"][:2]] == [34, None]
    assert ("line 3", "备注", "39 | 40", "the cell gives different values for a field that takes one; none kept") in \
        problems(kinds)
    assert ("line 3", "罪名", "999", "neither an id of the charges vocabulary (raw/reference/charges.csv) nor "
                                   "translated into one; left out") in problems(kinds)  # the list's own column


def test_the_first_column_holding_a_web_address_gives_the_records_link(kinds):
    assert [r["url"] for r in kinds["records"][:3]] == ["https://example.org/k-1", "https://example.org/k-2", None]
    assert json.loads(kinds["records"][0]["raw"])["链接"] == "not a link"  # the cell kept as written
    assert ("line 9", "链接", "see the archive", "not a web address (http:// or https://); left out") in problems(kinds)


def test_a_key_of_the_first_language_is_told_what_replaced_it(tmp_path):
    message = mapping_fails(tmp_path, "  detentions:\n", "  detention: {sentence_column: Sentence}\n  detentions:\n")
    assert "field 'mapping.detention': value {'sentence_column': 'Sentence'} — 'detention' is a key of the mapping " \
           "language's first version. Write `detentions:`, a list of detention blocks" in message


def test_the_mapping_reference_describes_every_key():
    from scripts import docs

    for line in docs.mapping_reference():
        assert not (line.startswith("| `") and line.rstrip().endswith("|  |")), line
    assert "#### Keys replaced" in docs.mapping_reference()


# Input formats ----------------------------------------------------------------------------------------------

FORMATS = [
    ("list.xlsx", "  format: xlsx\n  sheet: People\n  header_row: 2\n"),
    ("list.ods", "  format: ods\n  sheet: People\n"),
    ("list.json", "  format: json\n"),
    ("list.html", "  format: html\n  table: 2\n"),
]


@pytest.mark.parametrize("name,keys", FORMATS, ids=[name for name, _ in FORMATS])
def test_each_format_gives_the_csv_lists_rows(tmp_path, ngo, name, keys):
    folder = copy_list(tmp_path, lambda text: text.replace("mapping:\n", "mapping:\n" + keys))
    out = adapted(folder, FIXTURES / name)
    for table in ("persons", "detentions", "detention_charges", "events"):
        assert [{k: v for k, v in row.items() if k != "upstream_ref"} for row in out[table]] == [
            {k: v for k, v in row.items() if k != "upstream_ref"} for row in ngo[table]], table
    where = [row["upstream_ref"] for row in out["persons"]]
    assert where == {"list.xlsx": ["row 3", "row 4", "row 5"], "list.ods": ["row 2", "row 3", "row 4"],
                     "list.json": ["item 1 (line 2)", "item 2 (line 22)", "item 3 (line 42)"],
                     "list.html": ["line 11", "line 12", "line 13"]}[name]


PLAIN_MAPPING = """mapping:
{keys}  id_column: Number
  fields: {{name: Name, birth_year: Born}}
  constants: {{country: FR}}
  detentions:
    - detained_on: {{column: Arrested, formats: ["%d/%m/%Y"]}}
      sentence_as_written: Sentence
      charges: {{column: Charges, patterns: [{{match: 'Art\\. (\\d+)', value: 'VN-PC2015-{{1}}'}}]}}
"""


@pytest.mark.parametrize("name,keys", [("plain-latin1.tsv", "  format: tsv\n  encoding: latin-1\n"),
                                       ("plain.pdf", "  format: pdf\n  pages: \"1\"\n")])
def test_a_latin1_tsv_and_a_pdf_table(tmp_path, name, keys):
    folder = copy_list(tmp_path, lambda text: text.split("mapping:")[0] + PLAIN_MAPPING.format(keys=keys))
    out = adapted(folder, FIXTURES / name)
    assert [(p["name"], p["birth_year"]) for p in out["persons"]] == [("José Martínez", 1970), ("Zoé Dupré", 1981)]
    assert [(d["detained_on"], d["sentence_months"]) for d in out["detentions"]] == [("2014-12-17", 60.0),
                                                                                     ("2015-03-02", 18.0)]
    assert [c["charge_id"] for c in out["detention_charges"]] == ["VN-PC2015-117", "VN-PC2015-331"]
    if name.endswith(".pdf"):
        assert [p["upstream_ref"] for p in out["persons"]] == ["page 1, row 2", "page 1, row 3"]


def test_pdf_columns_can_be_declared(tmp_path):
    keys = "  format: pdf\n  pdf_columns: [40, 80, 190, 230, 300, 370, 440]\n"
    folder = copy_list(tmp_path, lambda text: text.split("mapping:")[0] + PLAIN_MAPPING.format(keys=keys))
    out = adapted(folder, FIXTURES / "plain-unruled.pdf")  # a table drawn without rules
    assert [(p["name"], p["birth_year"]) for p in out["persons"]] == [("José Martínez", 1970), ("Zoé Dupré", 1981)]
    assert [c["charge_id"] for c in out["detention_charges"]] == ["VN-PC2015-117", "VN-PC2015-331"]


REPORT_MAPPING = r"""mapping:
  format: pdf
  document:
    start: CASES
    section: '(?P<category>[A-Z]\. [A-Z]+)'
    heading: '(?P<number>\d+)\. (?P<name>[A-Z].*)'
    fields: {arrested: 'Date of arrest:', charges: 'Charges?:'}
    drop: ['\d+', '\d+ https?://\S+']
  id_column: number
  upstream_ref: "case {id} ({where})"
  fields:
    name: name
    categories: {column: category, values: {A. JOURNALISTS: journalist/blogger, B. DEFENDERS: human rights defender}}
  constants: {country: AZ}
  detentions:
    - detained_on: {column: arrested, formats: ["%d %B %Y"]}
      sentence_as_written: {column: text, find: 'sentenced to (\w+ years)'}
      charges: {column: charges, find: '(\d+)[.\d]*', patterns: [{match: '(\d+)', value: 'AZ-CC2000-{1}'}]}
"""


def test_a_report_of_numbered_cases_in_a_pdf(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.split("mapping:")[0] + REPORT_MAPPING)
    out = adapted(folder, FIXTURES / "report.pdf")
    assert [(p["name"], p["categories"], p["upstream_ref"]) for p in out["persons"]] == [
        ("Abdul Testov", '["journalist/blogger"]', "case 1 (page 1, line 9)"),
        ("Zoe Testova", '["human rights defender"]', "case 2 (page 2, line 7)")]  # a case before the contents' is not
    assert [(d["detained_on"], d["sentence_as_written"], d["sentence_months"]) for d in out["detentions"]] == [
        ("2013-11-22", "five years", 60.0), ("2014-07-30", None, None)]
    assert [(c["detention_id"][-1], c["charge_id"]) for c in out["detention_charges"]] == [
        ("1", "AZ-CC2000-234"), ("2", "AZ-CC2000-274"), ("2", "AZ-CC2000-178")]
    first, second = (json.loads(r["raw"]) for r in out["records"])
    assert first["charges"] == "Criminal Code Article 234.4.3 (narcotics, storage)"  # across lines, to the blank one
    assert first["text"].endswith("sentenced to five years in jail. He appealed.")  # across the page, its number left
    assert "note" not in second["text"]  # a footnote left out


# Errors: each names source.yml's line (or the list's file, line, column and value) and says what to do ------

def mapping_fails(tmp_path, old, new):
    folder = copy_list(tmp_path, lambda text: text.replace(old, new))
    assert old in (FIXTURES / "ngo-list" / "source.yml").read_text("utf-8")
    return fails(folder)


def test_a_misspelt_field_is_an_error_not_a_silent_drop(tmp_path):
    message = mapping_fails(tmp_path, "    place: Province", "    plaec: Province")
    assert "source.yml, line 27, field 'mapping.fields.plaec': value 'Province' — 'plaec' is not a persons column " \
           "a mapping can fill. Use one of: name, name_native, alternate_names, sex, birth_year, ethnicity, religion, " \
           "occupation, categories, country, issues, place, summary." in message


def test_a_misspelt_key_inside_a_value_is_an_error_not_a_traceback(tmp_path):
    message = mapping_fails(tmp_path, "    place: Province", "    place: {colum: Province}")
    assert "source.yml, line 27, field 'mapping.fields.place.colum': value 'Province' — 'colum' is not a key here. " \
           "Use one of: column, value, missing, values, patterns, otherwise, separator, find, join, formats, unknown." \
           in message


def test_an_unknown_vocabulary_id_names_the_line_and_the_allowed_values(tmp_path):
    message = mapping_fails(tmp_path, "{journalist: journalist/blogger,", "{journalist: journalist,")
    assert "source.yml, line 24, field 'mapping.fields.categories.0.values.journalist': value 'journalist' — not an " \
           "id of the categories vocabulary. Use one of: activist, ethnic minority rights, human rights defender, " \
           "journalist/blogger, land rights, lawyer, politician, religious, trade unionist." in message


def test_a_wrong_type_and_an_unknown_format_directive(tmp_path):
    assert "line 13, field 'mapping.missing': value 'NA' — Input should be a valid list" in mapping_fails(
        tmp_path / "a", '  missing: [NA, "."]', "  missing: NA")
    assert "line 35, field 'mapping.detentions.0.detained_on.formats' — %y is not a supported directive" in \
        mapping_fails(tmp_path / "b", '"%d/%m/%Y", "%b %Y", "%Y"]}\n      sentence', '"%d/%m/%y"]}\n      sentence')


def test_a_pattern_naming_a_group_it_lacks_and_an_unknown_placeholder(tmp_path):
    assert "line 42, field 'mapping.detentions.0.charges.patterns.0' — {2} names no group of 'Art\\. (\\d+)' (it has " \
           "1)" in mapping_fails(tmp_path / "a", "'VN-PC2015-{1}'", "'VN-PC2015-{2}'")
    assert "line 15, field 'mapping.upstream_ref': value 'row {row}' — use only {where} and {id} in upstream_ref" in \
        mapping_fails(tmp_path / "b", "  id_column: Number\n", "  id_column: Number\n  upstream_ref: row {row}\n")


def test_a_key_of_another_format(tmp_path):
    assert "line 13, field 'mapping.sheet': value 'People' — 'sheet' is for the xlsx and ods format(s), and this " \
           "list is csv. Remove it, or set format: to xlsx or ods." in mapping_fails(
               tmp_path, '  missing: [NA, "."]', '  sheet: People\n  missing: [NA, "."]')


def test_a_column_the_file_lacks_names_the_mappings_line_and_the_header(tmp_path):
    message = mapping_fails(tmp_path, "    occupation: Occupation", "    occupation: Ocupation")
    assert "source.yml, line 22, field 'mapping.fields.occupation': value 'Ocupation' — the list " in message
    assert "list.csv has no column of this name. Its columns (line 1) are: Number, Name, Native name," in message


def test_a_cross_reference_to_an_unknown_source(tmp_path):
    assert "line 46, field 'mapping.cross_references.0.source': value 'no-such-list' — no source has this id" in \
        mapping_fails(tmp_path, "source: other-list}", "source: no-such-list}")


def test_a_status_code_file_with_an_unreadable_flag(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("    values: {in prison: detained, released: released}",
                                                           "    codes_file: codes.csv"))
    (folder / "codes.csv").write_text("code,status,confirmed,detail\nin prison,detained,yes,\n", "utf-8")
    assert "codes.csv, line 2, field 'confirmed': value 'yes' — not 1 or 0. Write 1 where the code states the " \
           "status for sure, 0 where it is uncertain." in fails(folder)
    (folder / "codes.csv").write_text("code,status,confirmed,detail\nin prison,jailed,1,\n", "utf-8")
    assert "codes.csv, line 2, field 'status': value 'jailed' — not an id of the statuses vocabulary. Use one of: " \
           "at risk, deceased, detained," in fails(folder)


def write_list(folder, data):
    (folder / "list.csv").write_bytes(data)
    return folder


def good_csv():
    return (FIXTURES / "ngo-list" / "list.csv").read_bytes()


def test_a_header_naming_a_column_twice(tmp_path):
    data = good_csv().replace(b"Status date", b"Province", 1)
    message = fails(write_list(copy_list(tmp_path), data))
    assert "list.csv, line 1, field 'Province': value 'Province' — the header names the column 'Province' twice " \
           "(columns 10 and 12). Give every column its own name" in message


def test_latin1_bytes_in_a_utf8_list(tmp_path):
    data = good_csv().replace("Hỏa Lò".encode(), "Hôpital".encode("latin-1"))
    message = fails(write_list(copy_list(tmp_path), data))
    assert "list.csv, line 2, field 'Prison': value 'H\ufffdpital' — byte 0xf4 cannot be read as utf-8. Save the " \
           "file as UTF-8 (in a spreadsheet: 'CSV UTF-8'), or declare the encoding it is in" in message


def test_a_utf16_list_read_as_utf8(tmp_path):
    message = fails(write_list(copy_list(tmp_path), good_csv().decode("utf-8").encode("utf-16")))
    assert "list.csv, line 1 — the file is UTF-16 (it starts with a UTF-16 byte-order mark), not utf-8. Add " \
           "encoding: utf-16 to the mapping, or save the file as UTF-8." in message


def test_a_utf16_list_declared_so_reads(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("mapping:\n", "mapping:\n  encoding: utf-16\n"))
    write_list(folder, good_csv().decode("utf-8").encode("utf-16"))
    assert [p["name"] for p in adapted(folder)["persons"]] == ["Nguyễn Văn Thử", "Lu Ceshi", "Ce Shisan"]


def test_a_nul_byte(tmp_path):
    message = fails(write_list(copy_list(tmp_path), good_csv().replace(b"Lu Ceshi", b"Lu\x00Ceshi")))
    assert "list.csv, line 3, field 'Name': value 'Lu\\x00Ceshi' — the value holds a NUL character (a zero byte)" \
        in message


def test_a_field_over_128_kib(tmp_path):
    data = good_csv().replace(b"Lu Ceshi", b'"Lu Ceshi' + b"x" * 140_000 + b'"')
    message = fails(write_list(copy_list(tmp_path), data))
    assert "list.csv, line 3, field 'Name': value 'Lu Ceshixxxx" in message
    assert "— the value is longer than 131,072 characters (128 KiB). A quote that opens a value and never closes " \
           "usually does this" in message


def test_a_row_with_more_cells_than_the_header(tmp_path):
    message = fails(write_list(copy_list(tmp_path), good_csv().replace(b"https://example.org/t-001",
                                                                       b"https://example.org/t-001,extra")))
    assert "list.csv, line 2: value 'extra' — the row has more cells than the header has columns" in message


def test_a_row_naming_nobody(tmp_path):
    folder = write_list(copy_list(tmp_path), good_csv().replace("测试三".encode(), b""))
    assert "list.csv, line 4 — the row names nobody (no name in it). Fill in the name, or remove the row." in \
        fails(folder)


def test_a_sheet_or_table_the_file_lacks(tmp_path):
    folder = copy_list(tmp_path, lambda text: text.replace("mapping:\n", "mapping:\n  format: xlsx\n  sheet: Poeple\n"))
    assert "list.xlsx, field 'sheet': value 'Poeple' — the workbook has no sheet of this name. Name one of its " \
           "sheets in the mapping's sheet: About, People." in fails(folder, FIXTURES / "list.xlsx")
    folder = copy_list(tmp_path / "h", lambda text: text.replace("mapping:\n", "mapping:\n  format: html\n  table: 3\n"))
    assert "list.html, field 'table': value 3 — the page has 2 table(s)" in fails(folder, FIXTURES / "list.html")


# Built with the other sources, previewed by make check ----------------------------------------------------------

LISTS = ("ngo-list", "other-list", "kinds-list", "registry-list")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The curated sources and the SYNTHETIC lists built into a throwaway database (never published)."""
    folder = tmp_path_factory.mktemp("mapped")
    raw = copy_curated_raw(folder / "raw")
    for name in LISTS:
        shutil.copytree(FIXTURES / name, raw / name)
    build_main(["--raw", str(raw), "--out", str(folder / "conscience.db")])  # the site serves it by this name
    return raw, folder / "conscience.db"


@pytest.mark.slow
def test_a_list_kept_beside_its_source_yml_is_named_with_its_checksum(built):
    conn = sqlite3.connect(built[1])
    assert conn.execute("SELECT file, sha256 FROM sources WHERE id = 'ngo-list'").fetchone() == (
        "list.csv", hashlib.sha256((FIXTURES / "ngo-list" / "list.csv").read_bytes()).hexdigest())


@pytest.mark.slow
def test_a_cross_reference_links_the_two_records(built):
    conn = sqlite3.connect(built[1])
    assert conn.execute("SELECT id, person_id, link_method FROM records WHERE source_id IN ('ngo-list', 'other-list') "
                        "ORDER BY id").fetchall() == [
        ("ngo-list/T-001", "other-list-B-1", "cross-reference"), ("ngo-list/T-002", "ngo-list-T-002", "defines the person"),
        ("ngo-list/T-003", "ngo-list-T-003", "defines the person"), ("other-list/B-1", "other-list-B-1", "defines the person"),
        ("other-list/B-2", "other-list-B-2", "defines the person")]
    assert conn.execute("SELECT field, raw_value, problem FROM data_quality WHERE upstream_id = 'T-003' AND field "
                        "IN ('Ref', 'Charges') ORDER BY id").fetchall() == [
        ("Charges", "Art. 999", "neither an id of the charges vocabulary (raw/reference/charges.csv) nor translated "
                                "into one; left out"),
        ("Ref", "B-404", "no record of other-list has this id; nothing linked")]


CONTRADICTED = "linked to registry-list/R-1 as its column CECC says, though the two records differ on it"


@pytest.mark.slow
def test_a_cross_reference_that_contradicts_its_record_links_as_said_and_is_noted_field_by_field(built):
    conn = sqlite3.connect(built[1])
    assert conn.execute("SELECT person_id, link_method FROM records WHERE id = 'registry-list/R-1'").fetchone() == (
        "kinds-list-K-1", "cross-reference")
    assert conn.execute("SELECT upstream_id, field, raw_value, problem FROM data_quality WHERE source_id = 'kinds-list' "
                        "AND problem LIKE 'linked%' "
                        "ORDER BY id").fetchall() == [
        ("K-1", "birth_year", "1980 (here) / 1950 (registry-list/R-1)", CONTRADICTED),
        ("K-1", "detained_on", "2014-12-17 (here) / 2011-04-21 (registry-list/R-1)", CONTRADICTED),
        ("K-1", "place", "北京 (here) / 广州 (registry-list/R-1)", CONTRADICTED),
        ("K-1", "sex", "male (here) / female (registry-list/R-1)", CONTRADICTED)]


@pytest.mark.slow
async def test_the_person_page_shows_the_mapped_detention_charges_and_both_records(built, metadata):
    page = (await make_datasette(built[1], metadata).client.get("/person/other-list-B-1")).text
    for shown in ("Nguyễn Văn Thử", "2014-12-17", "Hỏa Lò", "5 years 6 months", "VN-PC2015-117", "VN-PC2015-331",
                  "ngo-list/T-001", "other-list/B-1", "cross-reference"):
        assert shown in page, shown


@pytest.mark.slow
async def test_kinds_of_detention_show_on_the_person_page_and_as_a_facet(built, metadata):
    client = make_datasette(built[1], metadata).client
    assert "administrative detention" in (await client.get("/person/kinds-list-K-1")).text
    assert "行政拘留" in (await client.get("/person/kinds-list-K-1?_lang=zh")).text  # raw/reference's label_zh
    facet = (await client.get("/conscience/detentions.json?source_id=kinds-list")).json()["facet_results"]["kind"]
    assert {row["value"]: row["count"] for row in facet["results"]} == {
        "administrative detention": 1, "criminal detention": 1, "residential surveillance at a designated location": 1,
        "house arrest": 1, "enforced disappearance": 1, "psychiatric detention": 1,
        "re-education or extra-legal detention": 1, "detention": 1}


@pytest.mark.slow
async def test_the_site_runs_whatever_the_database_file_is_called(built, metadata, tmp_path):
    shutil.copy(built[1], tmp_path / "prisoners.db")
    client = make_datasette(tmp_path / "prisoners.db", metadata).client
    for path in ("/person/kinds-list-K-1", "/", "/about", "/search?q=Nguyen", "/prisoners/detentions"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert 'href="/conscience/' not in response.text.replace('href="/conscience/sources', ""), path
    assert "administrative detention" in (await client.get("/person/kinds-list-K-1")).text


@pytest.mark.slow
def test_a_mapping_fault_stops_the_build_before_any_list_is_read(built, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(built[0], raw)
    path = raw / "ngo-list" / "source.yml"
    path.write_text(path.read_text("utf-8").replace("    place: Province", "    plaec: Province"), "utf-8")
    out = tmp_path / "conscience.db"
    out.write_bytes(b"the previous database")
    with pytest.raises(SystemExit) as failure:
        build_main(["--raw", str(raw), "--out", str(out)])
    assert str(failure.value).startswith(f"build failed: {path}, line 27, field 'mapping.fields.plaec'")
    assert out.read_bytes() == b"the previous database"


@pytest.mark.slow
def test_make_check_previews_exactly_what_the_build_does(built):
    raw, db = built
    conn = sqlite3.connect(db)
    for source in LISTS:
        figures = check(raw / source, raw=raw, out=io.StringIO())
        for table in ("persons", "records", "detentions", "detention_charges", "events", "data_quality"):
            assert figures[table] == conn.execute(f"SELECT count(*) FROM {table} WHERE source_id = ?",
                                                  (source,)).fetchone()[0], (source, table)
        assert figures["linked"] == dict(conn.execute(
            "SELECT link_method, count(*) FROM records AS r WHERE source_id = ? AND EXISTS (SELECT 1 FROM records AS o "
            "WHERE o.person_id = r.person_id AND o.id != r.id) GROUP BY 1", (source,)).fetchall()), source
        assert figures["candidates"] == conn.execute(
            "SELECT count(*) FROM link_candidates WHERE ? IN (substr(record_id, 1, instr(record_id, '/') - 1), "
            "substr(candidate_record_id, 1, instr(candidate_record_id, '/') - 1))", (source,)).fetchone()[0], source


@pytest.mark.slow
def test_make_check_reports_one_list_and_warns_of_contradictions(built):
    report = io.StringIO()
    check(built[0] / "ngo-list", raw=built[0], out=report)
    text = report.getvalue()
    for line in ("ngo-list: 3 rows read, 3 records", "Values that went to data_quality: 8",
                 "  2 × place not found in the gazetteer", "      line 4, column 'Born': '19x0'",
                 "      line 4, column 'Charges': 'Art. 999'",
                 '  persons: {"id": "other-list-B-1", "name": "Nguyen Van Thu"',
                 '    detention_charges: {"detention_id": "ngo-list-T-001", "charge_id": "VN-PC2015-117"',
                 "Links it makes with the other lists: 1 records linked", "  1 × cross-reference",
                 "      ngo-list/T-001 = other-list/B-1",
                 "      line 4, column 'Ref': 'B-404'"):
        assert line in text, line
    report = io.StringIO()
    check(built[0] / "kinds-list", raw=built[0], out=report)
    assert f"warning: line 2, field 'sex': male (here) / female (registry-list/R-1) — {CONTRADICTED}" in \
        report.getvalue()


@pytest.mark.slow
def test_make_check_exits_non_zero_on_an_error(built, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(built[0], raw)
    (raw / "ngo-list" / "list.csv").write_bytes(good_csv().replace(b"Lu Ceshi", b"Lu\x00Ceshi"))
    with pytest.raises(SystemExit) as failure:
        check_main([str(raw / "ngo-list"), "--raw", str(raw)])
    assert str(failure.value).startswith("check failed: ") and "line 3, field 'Name'" in str(failure.value)


def test_make_check_says_where_a_list_must_be(tmp_path):
    shutil.copytree(FIXTURES / "ngo-list", tmp_path / "ngo-list")
    with pytest.raises(SystemExit) as failure:
        check_main([str(tmp_path / "ngo-list")])
    assert "the folder is not in raw. make check previews the build, which reads the lists of raw/: put the list's " \
           "folder there." in str(failure.value)


# docs/ ------------------------------------------------------------------------------------------------------------

def test_the_reference_names_the_languages_keys():  # and tests/test_docs.py checks it is what the language generates
    text = (ROOT / "docs" / "mapping.md").read_text("utf-8")
    for key in ("several_rows_per_person", "cross_references", "sentence_terms", "pdf_columns", "codes_file"):
        assert f"| `{key}` |" in text


def test_the_guides_example_is_a_valid_mapping(tmp_path):
    text = (ROOT / "docs" / "adding-a-list.md").read_text("utf-8")
    example = text.split("```yaml\n")[1].split("```")[0]
    (tmp_path / "source.yml").write_text(example, "utf-8")
    mapping, fault = parse(*mapping_node(tmp_path / "source.yml"))
    assert fault is None and mapping.format == "xlsx" and len(mapping.fields.categories) == 2
