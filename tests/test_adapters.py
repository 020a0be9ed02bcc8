"""Each upstream adapter (and the real mappings) on three lines of input (values copied from the real lists)."""

import csv
import json
import shutil
from collections import defaultdict

from scripts.adapters import mapped
from scripts.places import Gazetteer
from scripts.read import RAW, read_source_yml

GAZETTEER = Gazetteer({"CN", "HK", "MO", "AZ"})


def cecc_row(number, **values):
    row = dict.fromkeys(["CECC_record_number", "detention_status", "issue_category", "main.name",
                         "Chinese.characters..main.name.", "alternate.name..lay.or.pen.", "additional.name.s.",
                         "pinyin.name", "ethnic_group", "Sex", "Age", "religion", "occupation", "affiliation",
                         "residence_province", "residence_prefecture", "residence_county", "date_of_detention",
                         "current_last_prison_detentioncenter", "current_last_sentence_or_time_served_years",
                         "current_last_sentence_or_time_served_months", "current_last_sentence_or_time_served_weeks",
                         "current_last_sentence_or_time_served_days", "province_imprisoned_detained",
                         "prefecture_imprisoned_detained", "county_imprisoned_detained", "legal_process",
                         "formal_arrest_date", "sentence_date", "charge_statute", "sentence_ends_per_PRC",
                         "actual_date_released", "short_summary"])
    row.update(CECC_record_number=number, **values)
    return row


CECC_ROWS = [
    cecc_row("2004-00001", detention_status="REL", issue_category="eth/rel", **{"main.name": "Ajo"}, Sex="M", Age=24,
             ethnic_group="Tibetan", religion="Tibetan Buddhist", date_of_detention="1989/01/dd", current_last_sentence_or_time_served_years=3,
             province_imprisoned_detained="Tibet [Xizang] Auto. Region",
             prefecture_imprisoned_detained="Changdu [Chamdo] Shi (pref.)",
             county_imprisoned_detained="Changdu [Chamdo] Cty."),
    cecc_row("2004-03114", detention_status="DEC-ill", issue_category="spch/dem", **{"main.name": "Liu Xiaobo",
             "Chinese.characters..main.name.": "???"}, Sex="M", Age=52, date_of_detention="2008/12/08",
             charge_statute="CL97-art105(2)"),
    cecc_row("2009-00315", detention_status="DET?/life", issue_category="eth/spch", **{"main.name": "Ilham Tohti",
             "pinyin.name": "Yilihamu Tuheti"}, date_of_detention="yyyy/mm/dd", sentence_date="2014/09/23",
             charge_statute="CL79-art103/XX-1"),
]
CONTEXT = {"gazetteer": GAZETTEER, "province_capitals": {"Tibet": "Lhasa"}}


def by_table(pairs):
    """An adapter's stream of (table, row) grouped by table."""
    out = defaultdict(list)
    for table, row in pairs:
        out[table].append(row)
    return out


def cecc_mapped(rows, tmp_path):
    """CECC's mapping (raw/cecc-ppd/source.yml) reading rows from a CSV with CECC's columns instead of the R file."""
    folder = tmp_path / "cecc-ppd"
    folder.mkdir()
    shutil.copy(RAW / "cecc-ppd" / "status_codes.csv", folder)
    text = (RAW / "cecc-ppd" / "source.yml").read_text("utf-8")
    (folder / "source.yml").write_text(text.replace("format: rdata", "format: csv").replace("  object: cecc\n", ""))
    return mapped_rows(folder, rows, tmp_path)


def test_cecc_statuses_dates_sentences_and_places(tmp_path):
    out = cecc_mapped(CECC_ROWS, tmp_path)
    ajo, liu, tohti = out["persons"]
    assert (ajo["status"], ajo["status_confirmed"]) == ("released", 1)
    assert (tohti["status"], tohti["status_confirmed"], tohti["status_detail"]) == ("detained", 0, "life sentence")
    assert (liu["status"], liu["status_detail"]) == ("deceased", "died of illness")
    assert json.loads(ajo["issues"]) == ["eth", "rel"]
    assert json.loads(ajo["categories"]) == ["ethnic minority rights", "religious"]
    assert ajo["coordinate_precision"] == "city" and round(ajo["latitude"]) == 31  # Qamdo
    first = out["detentions"][0]
    assert (first["detained_on"], first["detained_on_precision"]) == ("1989-01", "month")
    assert (first["sentence_months"], first["sentence_as_written"]) == (36.0, "3 years")
    assert out["detentions"][2]["detained_on"] is None  # yyyy/mm/dd: unknown, not a problem
    assert json.loads(tohti["alternate_names"]) == ["Yilihamu Tuheti"]


def test_cecc_charges_become_rows_and_oddities_go_to_data_quality(tmp_path):
    out = cecc_mapped(CECC_ROWS, tmp_path)
    assert [(c["charge_id"], c["charge_as_written"]) for c in out["detention_charges"]] == [
        ("CN-CL1997-105", "CL97-art105(2)"), ("CN-CL1979-103", "CL79-art103")]
    problems = {(q["upstream_id"], q["field"], q["raw_value"]) for q in out["data_quality"]}
    assert ("2009-00315", "charge_statute", "XX-1") in problems
    assert ("2004-03114", "Chinese.characters..main.name.", "???") in problems
    assert all(row["_record"][0] == "cecc-ppd" for rows in out.values() for row in rows)


def mapped_rows(folder, rows, tmp_path, context=None):
    """The mapped adapter's output for rows (dicts) written to a CSV and read through folder's source.yml."""
    path = tmp_path / "list.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _, meta = read_source_yml(folder)
    plan = mapped.prepare(meta, folder, path, *mapped.vocabularies(RAW))
    return by_table(mapped.adapt(plan, plan.records(), context or CONTEXT))


def test_cppc_mapping_reads_names_dates_statuses_and_deaths(tmp_path):
    rows = [
        {"Name": "刘晓波", "Gender": "male", "Date of Birth": "1955-12-28", "Date of Death": "2017-07-13",
         "Place": "长春", "Sentence": "2019-12-07", "Source": "https://cppc1989.blogspot.com/2014/02/blog-post.html"},
        {"Name": "王炳章", "Gender": "male", "Date of Birth": "1947-12-30", "Date of Death": "", "Place": "石家庄",
         "Sentence": "life", "Source": "https://cppc1989.blogspot.com/2014/02/cppc00003.html"},
        {"Name": "洛桑桑杰", "Gender": "male", "Date of Birth": "19812", "Date of Death": "", "Place": "果洛州",
         "Sentence": "2024-08-19", "Source": "https://cppc1989.blogspot.com/2018/03/cppc00650.html"},
    ]
    out = mapped_rows(RAW / "cppc-china", rows, tmp_path)
    liu, wang, lobsang = out["persons"]
    assert (liu["name"], liu["name_native"], liu["birth_year"], liu["status"]) == ("Liu Xiaobo", "刘晓波", 1955, "deceased")
    assert (wang["status"], wang["status_detail"]) == ("detained", "life sentence")
    assert (lobsang["status"], lobsang["status_confirmed"]) == ("detained", 0)
    assert out["detentions"][0]["sentence_ends_on"] == "2019-12-07"
    assert [(e["person_id"], e["date"], e["event_type"]) for e in out["events"]] == [("cppc-china-2", "2017-07-13", "death")]
    assert out["records"][0]["url"].endswith("blog-post.html")
    assert (liu["coordinate_precision"], round(liu["latitude"])) == ("city", 44)  # 长春: Changchun
    assert [(q["field"], q["raw_value"], q["upstream_ref"]) for q in out["data_quality"]] == [
        ("Date of Birth", "19812", "line 4"), ("Place", "果洛州", "line 4")]


AZ_DOCUMENT = """<b>A.  JOURNALISTS AND BLOGGERS ..... 8 </b><br/>
1. Abdul Abdulmanaf oglu Abilov ......... 8 <br/>
<b>B.  HUMAN RIGHTS DEFENDERS ..... 30 </b><br/>
2. Leyla Yunus (Leyla Islam qızı Yunusova) ......... 30 <br/>
<b>F. </b><br/>
<b>LIFETIME PRISONERS ..... 90 </b><br/>
3. Elchin Samad oglu Amiraslanov ......... 91 <br/>
PREFACE – STANDING UP FOR EUROPEAN VALUES<br/>
A.  JOURNALISTS AND BLOGGERS<br/>
1. Abdul Abdulmanaf oglu Abilov<br/>
Date of arrest: 22 November 2013<br/>
Charge:  Criminal  Code  Article  234.4.3  (Illegal  purchase  or<br/>
storage of narcotics)<br/>
<br/>
Place  of  detention:  Baku Investigative Prison No. 1<br/>
<br/>
Case  background:  Abilov  was  sentenced  to  five  and  half  years  by  the  decision  of  the court.<br/>
B.  HUMAN RIGHTS DEFENDERS<br/>
2. Leyla Yunus (Leyla Islam qızı Yunusova)<br/>
Date of arrest: 30 July 2014<br/>
Charges: Articles 274 of the Criminal Code (treason against the State), 178.3.2 (fraud)<br/>
31<br/>
F.  LIFETIME PRISONERS<br/>
3. Elchin Samad oglu Amiraslanov<br/>
Date of arrest: 10 December 1996<br/>
Charge: Criminal Code (of 1960) Article 57 (High treason); Article 57-1, Parts 2 (Use of armed units)<br/>
Place of detention: Gobustan Closed Prison<br/>
"""


def test_azerbaijan_cases_read_as_a_document_of_numbered_entries(tmp_path):
    (tmp_path / "list.html").write_text(AZ_DOCUMENT, "utf-8")
    folder = RAW / "esi-azerbaijan-2014"
    plan = mapped.prepare(read_source_yml(folder)[1], folder, tmp_path / "list.html", *mapped.vocabularies(RAW))
    out = by_table(mapped.adapt(plan, plan.records(), CONTEXT))
    abilov, yunus, amiraslanov = out["persons"]
    assert (abilov["name"], abilov["sex"], json.loads(abilov["categories"])) == (
        "Abdul Abdulmanaf oglu Abilov", "male", ["journalist/blogger"])
    assert (yunus["name"], yunus["sex"], json.loads(yunus["alternate_names"])) == (
        "Leyla Yunus", "female", ["Leyla Islam qızı Yunusova"])
    detentions = out["detentions"]
    assert (detentions[0]["detained_on"], detentions[0]["sentence_months"]) == ("2013-11-22", 66)
    assert abilov["coordinate_precision"] == "city"  # Baku
    assert (detentions[2]["sentence_as_written"], detentions[2]["sentence_months"]) == ("life imprisonment", None)
    assert [p["upstream_ref"] for p in out["persons"]] == ["case 1 (line 10)", "case 2 (line 19)", "case 3 (line 24)"]
    assert [(c["detention_id"][-1], c["charge_id"], c["charge_as_written"]) for c in out["detention_charges"]] == [
        ("1", "AZ-CC2000-234", "234.4.3"), ("2", "AZ-CC2000-274", "274"), ("2", "AZ-CC2000-178", "178.3.2"),
        ("3", "AZ-CC1960-57", "57"), ("3", "AZ-CC1960-57-1", "57-1")]
    assert json.loads(out["records"][0]["raw"])["category"] == "A. JOURNALISTS AND BLOGGERS"
    assert {q["field"] for q in out["data_quality"]} == {"charges"}  # the 1960 code's ambiguous parts
    assert "31" not in json.loads(out["records"][1]["raw"])["text"]  # a page number is not the entry's text
