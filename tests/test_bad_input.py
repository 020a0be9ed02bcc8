"""Bad input in raw/ stops the build with one message naming file, line, field and value,
and leaves the previous database untouched."""

import csv

import pytest

from scripts.build import main

PREVIOUS = b"the previous conscience.db"


def edit_csv(path, change):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(rows, line, column, value):
    rows[line - 1][rows[0].index(column)] = value


def build_fails(raw, tmp_path):
    out = tmp_path / "conscience.db"
    out.write_bytes(PREVIOUS)
    with pytest.raises(SystemExit) as failure:
        main(["--raw", str(raw), "--out", str(out)])
    assert out.read_bytes() == PREVIOUS
    assert not (tmp_path / "conscience.db.tmp").exists()
    message = str(failure.value)
    assert message.count("build failed") == 1 and "unchanged" in message
    return message


def test_the_copy_builds(raw, tmp_path):
    main(["--raw", str(raw), "--out", str(tmp_path / "ok.db")])
    assert (tmp_path / "ok.db").stat().st_size > 0


def drop_column(rows, column):
    index = rows[0].index(column)
    for row in rows:
        del row[index]


def test_missing_required_column(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/persons.csv", lambda rows: drop_column(rows, "country"))
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/persons.csv, line 1, field 'country'" in message
    assert "required column is missing" in message


def test_unparseable_date(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/events.csv", lambda rows: set_cell(rows, 3, "date", "21/11/2016"))
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/events.csv, line 3, field 'date': value '21/11/2016'" in message
    assert "YYYY-MM-DD" in message


def test_duplicate_id(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/persons.csv", lambda rows: rows.append(list(rows[1])))
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/persons.csv, line 17, field 'id': value 'jiang-tianyong'" in message
    assert "duplicate persons id (first defined in" in message and "line 2)" in message


def test_country_not_in_reference_table(raw, tmp_path):
    edit_csv(raw / "rfa-2021-04-22/persons.csv", lambda rows: set_cell(rows, 2, "country", "XX"))
    message = build_fails(raw, tmp_path)
    assert "rfa-2021-04-22/persons.csv, line 2, field 'country': value 'XX' — not found in the countries table" in message
    assert "ISO 3166-1 alpha-2" in message


def test_charge_not_in_reference_table(raw, tmp_path):
    edit_csv(raw / "ishr-endreprisals/detention_charges.csv",
             lambda rows: set_cell(rows, 2, "charge_id", "CN-CL1997-999"))
    message = build_fails(raw, tmp_path)
    assert "detention_charges.csv, line 2, field 'charge_id': value 'CN-CL1997-999' — not found in the charges table" \
        in message
    assert "raw/reference/charges.csv" in message


def test_a_stray_quote_is_not_a_garbage_organisation(raw, tmp_path):
    path = raw / "vhrn-hrc-petition/signatures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",", ',"', 1)  # a quote opens the name on line 3 and never closes
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = build_fails(raw, tmp_path)
    assert "vhrn-hrc-petition/signatures.csv, line 3, field 'name_as_written'" in message
    assert "the value spans several lines" in message and "close the quote" in message


def test_a_column_named_twice_in_a_header(raw, tmp_path):
    path = raw / "ishr-endreprisals/detentions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("id,person_id,", "id,person_id,person_id,", 1)
                    .replace("\n", ",\n"), encoding="utf-8")
    message = build_fails(raw, tmp_path)
    assert "ishr-endreprisals/detentions.csv, line 1, field 'person_id' — the header names this column twice" in message


@pytest.mark.parametrize("data, problem", [
    ("nul", "the value holds a NUL character"),
    ("latin-1", "the file is not UTF-8 from this line"),
    ("utf-16", "the file is UTF-16, not UTF-8"),
    ("long", "the value is longer than 131,072 characters (128 KiB)"),
    ("very long", "the value is longer than 131,072 characters (128 KiB)"),
])
def test_bytes_that_are_not_a_utf8_csv_of_short_values(raw, tmp_path, data, problem):
    path = raw / "rfa-2021-04-22/organizations.csv"
    text = path.read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    broken = {"nul": first.replace(",", ",\x00", 1), "latin-1": first + ",", "long": first.replace(",", "," + "x" * 140_000, 1),
              "very long": first.replace(",", "," + "x" * 300_000, 1), "utf-16": first}[data]
    text = "\n".join([header, broken, *rest]) + "\n"
    if data == "latin-1":
        encoded = text.replace(broken, first).encode("utf-8").replace(first.encode(), (first + " Café").encode("latin-1"))
    else:
        encoded = text.encode("utf-16" if data == "utf-16" else "utf-8")
    path.write_bytes(encoded)
    message = build_fails(raw, tmp_path)
    assert "rfa-2021-04-22/organizations.csv, line " + ("1" if data == "utf-16" else "2") in message and problem in message


@pytest.mark.parametrize("text, problem", [
    ("id,name,source_line\nx,Some organisation\n", "line 2, field 'source_line' — the row has fewer fields than the "
                                                    "header (2 of 3)"),
    ("", "line 1 — the file is empty"),
])
def test_a_short_row_or_an_empty_file_is_said_as_such(raw, tmp_path, text, problem):
    (raw / "rfa-2021-04-22/organizations.csv").write_text(text, encoding="utf-8")
    message = build_fails(raw, tmp_path)
    assert "rfa-2021-04-22/organizations.csv, " + problem in message


def test_a_link_in_raw_is_refused_without_reading_what_it_points_at(raw, tmp_path):
    (raw / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    message = build_fails(raw, tmp_path)
    assert "raw/elsewhere — a symbolic link in raw/" in message.replace(str(raw), "raw")
    (raw / "elsewhere").unlink()
    (raw / "rfa-2021-04-22/charge_citations.csv").unlink()
    (raw / "rfa-2021-04-22/charge_citations.csv").symlink_to("/etc/passwd")
    message = build_fails(raw, tmp_path)
    assert "a symbolic link in raw/" in message and "root:" not in message


def test_an_unquoted_impossible_date_in_source_yml(raw, tmp_path):
    path = raw / "now-campaign/source.yml"
    path.write_text(path.read_text(encoding="utf-8") + "as_of_2: 2020-02-30\n", encoding="utf-8")
    message = build_fails(raw, tmp_path)
    assert "now-campaign/source.yml — a value is not a valid date" in message and 'as_of: "2020-07-23"' in message


def test_a_status_code_table_with_a_word_where_a_flag_belongs(lists_raw, tmp_path):
    path = lists_raw / "cecc-ppd/status_codes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = ",".join(["yes" if i == lines[0].split(",").index("confirmed") else v
                         for i, v in enumerate(lines[1].split(","))])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = build_fails(lists_raw, tmp_path)
    assert "cecc-ppd/status_codes.csv, line 2, field 'confirmed': value 'yes' — not 1 or 0" in message


def test_a_link_naming_no_record(raw, tmp_path):
    with open(raw / "links.csv", "a", encoding="utf-8") as handle:
        handle.write("rfa-2021-04-22/nguyen-ngoc-gia,ishr-endreprisals/marfa-rabkowa,same,typo\n")
    line = len((raw / "links.csv").read_text(encoding="utf-8").splitlines())
    message = build_fails(raw, tmp_path)
    assert (f"links.csv, line {line}, field 'other_record_id': value 'ishr-endreprisals/marfa-rabkowa' — "
            "no record has this id") in message


def test_implausible_values_are_kept_noted_and_warned_about(raw, tmp_path, capsys):
    edit_csv(raw / "ishr-endreprisals/detentions.csv", lambda rows: set_cell(rows, 2, "released_on", "2001-01-01"))
    edit_csv(raw / "rfa-2021-04-22/persons.csv", lambda rows: set_cell(rows, 2, "birth_year", "2999"))
    out = tmp_path / "ok.db"
    main(["--raw", str(raw), "--out", str(out)])
    printed = capsys.readouterr().out
    assert "ishr-endreprisals/detentions.csv, line 2, field 'released_on': value '2001-01-01' — released before" in printed
    assert "rfa-2021-04-22/persons.csv, line 2, field 'birth_year': value 2999 — not a plausible year of birth" in printed
    import sqlite3

    noted = sqlite3.connect(out).execute("SELECT field, raw_value FROM data_quality WHERE problem LIKE 'implausible%' "
                                         "ORDER BY field").fetchall()
    assert noted == [("birth_year", "2999"), ("released_on", "2001-01-01")]


def test_a_cited_page_off_the_sources_sites(raw, tmp_path):
    edit_csv(raw / "defend-the-defenders/persons.csv",
             lambda rows: set_cell(rows, 3, "source_url", "https://example.com/report"))
    message = build_fails(raw, tmp_path)
    assert ("defend-the-defenders/persons.csv, line 3, field 'source_url': value 'https://example.com/report' — "
            "not a page of this source's sites (vietnamhumanrightsdefenders.net)") in message


def test_a_cited_row_without_its_reading_date(raw, tmp_path):
    edit_csv(raw / "ucanews/detentions.csv", lambda rows: set_cell(rows, 2, "accessed", ""))
    message = build_fails(raw, tmp_path)
    assert "ucanews/detentions.csv, line 2, field 'accessed': value '' — the date the page was read is missing" in message
    assert "YYYY-MM-DD" in message


def test_a_list_that_no_longer_gives_its_declared_counts_stops_the_build(lists_raw, tmp_path):
    """source.yml's assertions: the extract has three records, two of them men."""
    path = lists_raw / "cecc-ppd/source.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "assertions:\n  records: 3\n  persons: {sex: {male: 3}}\n", encoding="utf-8")
    message = build_fails(lists_raw, tmp_path)
    assert "cecc-ppd/source.yml, field 'assertions.persons.sex.male': value 3 — the list gives 2" in message
    assert "update the figure" in message
    path.write_text(text + "assertions:\n  prisoners: 3\n", encoding="utf-8")
    assert "field 'assertions.prisoners': value 'prisoners' — not a table a list fills" in build_fails(lists_raw, tmp_path)
