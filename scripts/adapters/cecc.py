"""Adapter for the CECC Political Prisoner Database export (R workspace, object `cecc`).

`adapt(rows, context)` is pure: CECC rows (dicts keyed by the R column names) in, our rows out,
with every value that cannot be parsed sent to data_quality rather than dropped.
"""

import csv
import json
import re
import warnings

from ..rawfiles import read_csv
from .common import Problems, json_list

CECC_COLUMNS = 40  # columns 41-174 are the researcher's derived variables, not CECC's
NOT_AVAILABLE = {"(na)", "(na)?", ""}
CECC_DATE = re.compile(r"^(\d{4}|yyyy)/(\d{2}|mm)/(\d{2}|dd)$")
CHARGE_CODE = re.compile(r"^(CL79|CL97|PSAPL)-art(\d+)(?:\((\d+)\))?$")
LAWS = {"CL79": "CN-CL1979", "CL97": "CN-CL1997", "PSAPL": "CN-PSAPL2005"}
DAYS_PER_MONTH = 365.25 / 12
# What follows a place's name in CECC's gazetteer strings: its kind ("Cty.", "Auto. Region", "AP"), after the peoples
# an autonomous area is named for ("Changji Hui Auto. Pref.", "Xinjiang Uyghur Auto. Region").
PEOPLES = ("Uyghur|Hui|Zhuang|Mongol|Kazakh|Kyrgyz|Tibetan|Korean|Yi|Miao|Dong|Bai|Dai|Hani|Qiang|Tujia|Buyi|Yao|Lisu|"
           "Naxi|Salar|Tu|Dongxiang|Bonan|Xibe|Daur|Ewenki|Oroqen|Tajik|Manchu|She|Li|Jingpo|Va|Lahu|Nu|Pumi|Derung")
PLACE_SUFFIX = re.compile(rf"(?:(?:\s+(?:{PEOPLES}))*\s+(?:Auto|Autonomous|AP)|"
                          r"\s+(?:Shi|Cty|Pref|Province|Muni|SAR|Qu|Xian|Dist|Region))\b.*$")
LOST_NAME = re.compile(r"^[?？\s]+$")
SENTENCE_UNITS = (("years", 12.0), ("months", 1.0), ("weeks", 7 / DAYS_PER_MONTH), ("days", 1 / DAYS_PER_MONTH))


def read_rows(path, select=iter):
    """CECC's own 40 fields of the records `select` picks (all by default), as plain Python values (None for NA).

    The R workspace is the published export; a CSV with the same column names reads the same way.
    """
    if path.suffix == ".csv":
        return read_csv_rows(path, select)
    import rdata  # imported here: reading the R workspace is this adapter's concern alone

    with warnings.catch_warnings():
        # rdata warns that it leaves R's Date and difftime classes unconverted: only derived columns use them.
        warnings.simplefilter("ignore", UserWarning)
        frame = rdata.read_rda(str(path))["cecc"].iloc[:, :CECC_COLUMNS]
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), None)
    return ({k: plain(v) for k, v in row.items()} for row in select(frame.to_dict("records")))


NUMERIC_COLUMNS = {"Age"} | {f"current_last_sentence_or_time_served_{unit}" for unit, _ in SENTENCE_UNITS}


def read_csv_rows(path, select=iter):
    with open(path, newline="", encoding="utf-8") as handle:
        for row in select(csv.DictReader(handle)):  # records not picked are never converted
            yield {k: (int(v) if k in NUMERIC_COLUMNS else v) if v != "" else None for k, v in row.items()}


def plain(value):
    return int(value) if hasattr(value, "item") and isinstance(value.item(), int) else value


def load_codes(folder):
    """The status code table kept beside source.yml, as {code: (status, confirmed, detail)}."""
    codes = {}
    for origin, row in read_csv(folder / "status_codes.csv", required=("code", "status", "confirmed", "detail")):
        if row["confirmed"] not in ("0", "1"):
            raise origin.error("confirmed", row["confirmed"], "not 0 or 1",
                               "Write 1 if the code states the status as confirmed, 0 if it marks it uncertain.")
        codes[row["code"]] = (row["status"], int(row["confirmed"]), row["detail"] or None)
    return codes


def parse_date(value, field, problems):
    """'1989/mm/dd' -> ('1989', 'year'); 'yyyy/mm/dd' -> (None, None); anything else is a problem."""
    if value is None:
        return None, None
    match = CECC_DATE.match(value.strip())
    if not match:
        problems.add(field, value, "unparseable date (expected YYYY/MM/DD with mm or dd for unknown parts)")
        return None, None
    year, month, day = match.groups()
    if year == "yyyy":
        if month != "mm" or day != "dd":
            problems.add(field, value, "month or day given without a year")
        return None, None
    if month == "mm":
        return (year, "year") if day == "dd" else bad_date(field, value, problems)
    if day == "dd":
        return f"{year}-{month}", "month"
    return f"{year}-{month}-{day}", "day"


def bad_date(field, value, problems):
    problems.add(field, value, "day given without a month")
    return None, None


def sentence(row):
    """(months, as written) from the years/months/weeks/days fields of the current or last sentence."""
    parts = [(row.get(f"current_last_sentence_or_time_served_{unit}"), unit, factor) for unit, factor in SENTENCE_UNITS]
    given = [(value, unit, factor) for value, unit, factor in parts if value is not None]
    if not given:
        return None, None
    months = round(sum(value * factor for value, _, factor in given), 2)
    return months, ", ".join(f"{value} {unit if value != 1 else unit[:-1]}" for value, unit, _ in given)


def place_names(text):
    """'Lasa [Lhasa] Shi (pref.)' -> ['Lasa', 'Lhasa']."""
    text = re.sub(r"\([^)]*\)", "", text)
    names = [PLACE_SUFFIX.sub("", text.split("[")[0]).strip()]
    bracket = re.search(r"\[([^\]]+)\]", text)
    if bracket:
        names.append(bracket.group(1).strip())
    return [n for n in names if n]


def given(value):
    return None if value is None or str(value).strip() in NOT_AVAILABLE else str(value).strip()


def adapt(rows, context):
    """(table, row) for every row of our tables each CECC record gives, tagged with its upstream record."""
    for row in rows:
        for table, new_rows in adapt_record(row, context).items():
            for new in new_rows:
                yield table, new


def adapt_record(row, context):
    source_id, upstream_id = context["source_id"], row["CECC_record_number"]
    person_id = f"{source_id}-{upstream_id}"
    ref = f"CECC record {upstream_id}"
    problems = Problems(upstream_id)
    status, confirmed, detail = status_of(row["detention_status"], context["status_codes"], problems)
    issues = issues_of(row["issue_category"], context["issues"], problems)
    country, place, (latitude, longitude, precision) = locate(row, context, problems)
    name = row["main.name"].strip()
    native = given(row["Chinese.characters..main.name."])
    if native and "?" in native:
        problems.add("Chinese.characters..main.name.", native, "Chinese characters lost upstream (question marks)")
        native = None
    detained_on, detained_precision = parse_date(row["date_of_detention"], "date_of_detention", problems)
    months, sentence_text = sentence(row)
    person = {
        "id": person_id, "name": name, "name_native": native,
        "alternate_names": json_list(alternates(row, name, problems)),
        "sex": {"M": "male", "F": "female"}.get(row["Sex"]), "birth_year": None,
        "ethnicity": given(row["ethnic_group"]), "religion": given(row["religion"]),
        "occupation": given(row["occupation"]),
        "categories": json_list(categories_of(issues, given(row["religion"]), context["issues"])),
        "country": country, "status": status, "status_as_of": None, "status_as_of_precision": None,
        "status_confirmed": confirmed, "status_detail": detail, "issues": json_list(issues), "place": place,
        "latitude": latitude, "longitude": longitude, "coordinate_precision": precision,
        "summary": given(row["short_summary"]),
    }
    detention = {
        "id": person_id, "person_id": person_id, "kind": "detention",
        "detained_on": detained_on, "detained_on_precision": detained_precision,
        "age_at_detention": row["Age"], "sentence_as_written": sentence_text, "sentence_months": months,
        "place": given(row["current_last_prison_detentioncenter"]),
    }
    for column, field in (("sentenced_on", "sentence_date"), ("sentence_ends_on", "sentence_ends_per_PRC"),
                          ("released_on", "actual_date_released")):
        detention[column], detention[column + "_precision"] = parse_date(row[field], field, problems)
    tagged = {
        "persons": [person],
        "records": [{"id": f"{source_id}/{upstream_id}", "upstream_id": upstream_id, "person_id": person_id,
                     "name_as_written": name, "url": None, "raw": json.dumps(row, ensure_ascii=False, default=str)}],
        "detentions": [detention],
        "detention_charges": charges_of(row["charge_statute"], person_id, problems),
        "person_issues": [{"person_id": person_id, "issue": issue} for issue in issues],
        "data_quality": problems.rows,
    }
    for rows in tagged.values():
        for new in rows:
            new.update(source_id=source_id, upstream_ref=ref, _record=(source_id, upstream_id))
    return tagged


def categories_of(issues, religion, issue_categories):
    """Person categories: those the issue codes imply, and 'religious' for anyone whose religion CECC records."""
    categories = {issue_categories[i] for i in issues if issue_categories[i]}
    if religion:
        categories.add("religious")
    return sorted(categories)


def alternates(row, name, problems):
    """Other names, each once; a name made only of question marks (characters lost upstream) is not a name."""
    names = []
    for field in ("pinyin.name", "alternate.name..lay.or.pen.", "additional.name.s."):
        value = given(row[field])
        parts = [part.strip() for part in (value or "").split(",") if part.strip()]
        if any(LOST_NAME.match(part) for part in parts):
            problems.add(field, value, "names made only of question marks (characters lost upstream) left out")
        names.extend(part for part in parts if not LOST_NAME.match(part))
    return [n for n in dict.fromkeys(names) if n != name]


def status_of(code, codes, problems):
    if code in codes:
        return codes[code]
    problems.add("detention_status", code, "unknown status code; recorded as unknown")
    return "unknown", 0, None


def issues_of(value, known, problems):
    issues = []
    for part in (value or "").split("/"):
        code = part.strip()
        if code in known:
            issues.append(code)
        elif code:
            problems.add("issue_category", part, "unknown issue category code")
    return list(dict.fromkeys(issues))


def charges_of(value, person_id, problems):
    links = []
    for code in (value or "").split("/"):
        match = CHARGE_CODE.match(code.strip())
        if not match:
            if code.strip():
                problems.add("charge_statute", code, "unrecognised statute code")
            continue
        law, article, _ = match.groups()
        links.append({"detention_id": person_id, "charge_id": f"{LAWS[law]}-{article}", "charge_as_written": code})
    return links


def locate(row, context, problems):
    """(country, place as written, (lat, lon, precision)): place of detention first, else residence."""
    gazetteer, capitals = context["gazetteer"], context["province_capitals"]
    country = "CN"
    for prefix in ("province_imprisoned_detained", "residence_province"):
        province = given(row[prefix]) or ""
        if province.startswith("Hong Kong"):
            country = "HK"
        elif province.startswith("Macao"):
            country = "MO"
    for level in ("imprisoned_detained", None):
        columns = [f"county_{level}", f"prefecture_{level}", f"province_{level}"] if level else \
            ["residence_county", "residence_prefecture", "residence_province"]
        parts = [given(row[c]) for c in columns]
        if not any(parts):
            continue
        place = ", ".join(p for p in parts if p)
        found = resolve(country, tuple(parts), gazetteer, capitals)
        if found:
            return country, place, found
        problems.add(columns[0], place, "place not found in the gazetteer; mapped at the country's centroid")
        return country, place, (None, None, None)
    return country, None, (None, None, None)


def resolve(country, parts, gazetteer, capitals):
    """(lat, lon, precision) for (county, prefecture, province); the same places recur, so answers are kept."""
    key = (country, parts)
    if key not in gazetteer.resolved:
        gazetteer.resolved[key] = resolve_place(country, parts, gazetteer, capitals)
    return gazetteer.resolved[key]


def resolve_place(country, parts, gazetteer, capitals):
    county, prefecture, province = parts
    area = None
    if province:
        capital = capitals.get(place_names(province)[0]) if place_names(province) else None
        capital_city = gazetteer.city(country, [capital]) if capital else None
        area = capital_city["admin1code"] if capital_city else None
    for name in (county, prefecture):
        if name:
            city = gazetteer.city(country, place_names(name), area) or (
                None if area else gazetteer.city(country, place_names(name)))
            if city:
                return city["latitude"], city["longitude"], "city"
    if country != "CN":
        city = gazetteer.city(country, [{"HK": "Hong Kong", "MO": "Macau"}[country]])
        return (city["latitude"], city["longitude"], "city") if city else None
    if area:
        latitude, longitude = gazetteer.area_point(country, area)
        return latitude, longitude, "province"
    return None
