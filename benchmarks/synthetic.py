"""SYNTHETIC benchmark data: seeded, clearly marked, never published.

    python benchmarks/synthetic.py OUT_DIR --persons 100000 [--seed 1]

Writes OUT_DIR/raw (the real reference tables and country centroids, plus two synthetic lists in the
shape of our sources: a CECC-shaped CSV and a CPPC-shaped CSV, each read through its source's mapping) and
OUT_DIR/flat.csv (the same people as one flat table, for the naive csvs-to-sqlite load).
Every synthetic source's title says SYNTHETIC; none is ever added to raw/ or published.
"""

import argparse
import csv
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CECC_SHARE = 0.7

VIETNAMESE = (["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
               "Dương", "Lý"],
              ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Quang", "Thanh", "Xuân", "Kim"],
              ["Thắng", "Hùng", "Lan", "Hương", "Dũng", "Tuấn", "Hải", "Long", "Mai", "Phương", "Quý", "Sơn", "Tâm",
               "Trí", "Vinh", "Yến", "Đạt", "Khánh", "Nhung", "Oanh"])
CHINESE = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈",
           "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文志红玉兰春海波宁晓东峰")
CYRILLIC = (["Иван", "Алексей", "Мария", "Ольга", "Дмитрий", "Наталья", "Сергей", "Елена", "Андрей", "Татьяна"],
            ["Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров",
             "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"])
PINYIN_SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu"]
PINYIN_GIVEN = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong", "yan", "jie", "juan",
                "tao", "ming", "chao", "xiu", "xia", "ping", "gang", "gui", "ying", "hua", "jian", "guo", "wen", "zhi"]
STATUS_CODES = ["REL"] * 60 + ["DET"] * 15 + ["REL?"] * 9 + ["DET?"] * 3 + ["DET/bail", "DEC", "DEC/?", "DET/life",
                                                                            "ESC", "HOUSE", "DET/dth-r", "bogus"]
CHARGES = ["CL97-art300(1)", "CL97-art293", "CL79-art102", "CL97-art105(2)", "CL97-art225", "CL97-art103(2)",
           "CL97-art290(1)", "CL97-art111", "PSAPL-art23(1)", "CL97-art277(1)"]
ISSUES = ["spch", "eth", "rel", "assoc", "FG", "info", "rol", "dem", "prop", "6489", "lab"]
PLACES = [("Sichuan Province", "Chengdu Shi (pref.)", "Jinjiang Dist."), ("Tibet [Xizang] Auto. Region",
          "Lasa [Lhasa] Shi (pref.)", "Lasa [Lhasa] Shi Muni. Urb. Area (cty.)"),
          ("Beijing Shi (prov.)", "Beijing Shi Muni. Urb. Area (pref.)", "Chaoyang Dist."),
          ("Xinjiang Uyghur Auto. Region", "Kashi [Kashgar] Pref.", "(na)"), ("Guangdong Province", "(na)", "(na)")]
CITIES = ["北京", "上海", "成都", "拉萨", "乌鲁木齐", "长春", "沈阳", "广州", "重庆", "武汉", "不存在的地方"]


def partial_date(rng, placeholder):
    year = rng.randint(1980, 2020)
    shape = rng.random()
    if shape < 0.6:
        return f"{year}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}" if placeholder else \
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if shape < 0.8:
        return f"{year}/{rng.randint(1, 12):02d}/dd" if placeholder else f"{year}-{rng.randint(1, 12):02d}"
    if shape < 0.97:
        return f"{year}/mm/dd" if placeholder else str(year)
    return "yyyy/mm/dd" if placeholder else "19x5"  # an unknown date, or one that does not parse


def latin_name(rng):
    kind = rng.random()
    if kind < 0.45:
        family, middle, given = VIETNAMESE
        return f"{rng.choice(family)} {rng.choice(middle)} {rng.choice(given)} {rng.choice(given)}"
    if kind < 0.85:
        return f"{rng.choice(PINYIN_SURNAMES)} {rng.choice(PINYIN_GIVEN).capitalize()}{rng.choice(PINYIN_GIVEN)}"
    first, last = CYRILLIC
    return f"{rng.choice(first)} {rng.choice(last)}"


def cecc_row(rng, number):
    province, prefecture, county = rng.choice(PLACES)
    years = rng.choice([None, 1, 2, 3, 4, 5, 8, 10, 12, 15])
    return {
        "CECC_record_number": f"9{number // 100000:03d}-{number % 100000:05d}",
        "detention_status": rng.choice(STATUS_CODES),
        "issue_category": "/".join(rng.sample(ISSUES, rng.randint(1, 3))),
        "main.name": latin_name(rng), "Chinese.characters..main.name.": "???" if rng.random() < 0.7 else "",
        "alternate.name..lay.or.pen.": "", "additional.name.s.": "", "pinyin.name": "",
        "ethnic_group": rng.choice(["Tibetan", "Han", "Uyghur", "Han?", ""]), "Sex": rng.choice(["M", "F", ""]),
        "Age": str(rng.randint(18, 80)) if rng.random() < 0.5 else "",
        "religion": rng.choice(["Tibetan Buddhist", "Falun Gong", "Protestant (unreg. church)", "", ""]),
        "occupation": rng.choice(["monk (Buddhist)", "farmer", "lawyer", "teacher (unspec.)", ""]),
        "affiliation": "", "residence_province": province, "residence_prefecture": prefecture,
        "residence_county": county, "date_of_detention": partial_date(rng, True),
        "current_last_prison_detentioncenter": rng.choice(["Chamdo Prison", "Qincheng Prison", ""]),
        "current_last_sentence_or_time_served_years": str(years) if years else "",
        "current_last_sentence_or_time_served_months": str(rng.randint(1, 11)) if rng.random() < 0.2 else "",
        "current_last_sentence_or_time_served_weeks": "", "current_last_sentence_or_time_served_days": "",
        "province_imprisoned_detained": province, "prefecture_imprisoned_detained": prefecture,
        "county_imprisoned_detained": county, "legal_process": "chg/tri/sent/rel", "formal_arrest_date": "",
        "trial_court": "", "trial_date": "", "sentence_court": "", "sentence_date": "", "appeal_court": "",
        "appeal_date": "", "appeal_ruling_court": "", "appeal_ruling_date": "",
        "charge_statute": "/".join(rng.sample(CHARGES, rng.randint(1, 3))) if rng.random() < 0.3 else "",
        "sentence_ends_per_PRC": "", "actual_date_released": "",
        "short_summary": "SYNTHETIC record for benchmarking; not a real person.",
    }


def list_row(rng):
    surname, given = CHINESE
    name = rng.choice(surname) + "".join(rng.choice(given) for _ in range(rng.choice([1, 2, 2])))
    sentence = rng.choice(["detention", "life", "unknown", "death"]) if rng.random() < 0.2 else \
        f"{rng.randint(2000, 2035)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {"Name": name, "Gender": rng.choice(["male", "female"]),
            "Date of Birth": partial_date(rng, False) if rng.random() < 0.7 else "",
            "Date of Death": f"{rng.randint(2000, 2020)}-{rng.randint(1, 12):02d}-01" if rng.random() < 0.02 else "",
            "Place": rng.choice(CITIES), "Sentence": sentence, "Source": "https://example.invalid/synthetic"}


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def source_yml(source_id, title, extra):
    return (f"id: {source_id}\ntitle: \"SYNTHETIC — {title} (benchmark data, not real people)\"\n"
            "publisher: Conscience benchmarks (synthetic)\nlicence: synthetic test data\nas_of: \"2020-09-22\"\n"
            f"language: en\nkind: synthetic\ndescription: Generated by benchmarks/synthetic.py. Not real data.\n{extra}")


def mapping_as_csv(source_id):
    """The mapping block of a real source's source.yml, reading a CSV with the same columns."""
    mapping = "mapping:" + (ROOT / "raw" / source_id / "source.yml").read_text("utf-8").split("\nmapping:", 1)[1]
    mapping = mapping.split("\nassertions:", 1)[0]  # the real list's counts are not the synthetic one's
    mapping = "\n".join(line for line in mapping.split("\n") if not line.startswith("#"))
    return mapping.replace("format: rdata", "format: csv").replace("  object: cecc\n", "")


def generate(out, persons, seed=1):
    out = Path(out)
    raw = out / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.copytree(ROOT / "raw" / "reference", raw / "reference")
    shutil.copytree(ROOT / "raw" / "country-centroids", raw / "country-centroids")
    (raw / "reference" / "organization_aliases.csv").write_text("name_as_written,organization_id,note\n")  # no orgs
    (raw / "synthetic-cecc").mkdir()  # read through CECC's mapping, with CECC's status code table
    shutil.copy(ROOT / "raw" / "cecc-ppd" / "status_codes.csv", raw / "synthetic-cecc" / "status_codes.csv")
    rng = random.Random(seed)
    cecc_rows = [cecc_row(rng, n) for n in range(int(persons * CECC_SHARE))]
    list_rows = [list_row(rng) for _ in range(persons - len(cecc_rows))]
    write_csv(raw / "synthetic-cecc" / "records.csv", cecc_rows)
    (raw / "synthetic-cecc" / "source.yml").write_text(source_yml(
        "synthetic-cecc", "CECC-shaped list", "priority: 1\nfile: records.csv\n" + mapping_as_csv("cecc-ppd")), "utf-8")
    (raw / "synthetic-list").mkdir()
    write_csv(raw / "synthetic-list" / "list.csv", list_rows)
    (raw / "synthetic-list" / "source.yml").write_text(source_yml(
        "synthetic-list", "CSV list read through a mapping", "priority: 2\nfile: list.csv\n" + mapping_as_csv("cppc-china")),
        "utf-8")
    flat = [{"name": r["main.name"], "status": r["detention_status"], "country": "CN", "sex": r["Sex"],
             "detained": r["date_of_detention"], "charges": r["charge_statute"], "place": r["residence_province"]}
            for r in cecc_rows]
    flat += [{"name": r["Name"], "status": r["Sentence"], "country": "CN", "sex": r["Gender"],
              "detained": r["Date of Birth"], "charges": "", "place": r["Place"]} for r in list_rows]
    write_csv(out / "flat.csv", flat)
    return raw


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--persons", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(generate(args.out, args.persons, args.seed))


if __name__ == "__main__":
    main()
