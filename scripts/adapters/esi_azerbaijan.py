"""Adapter for "The List: Political prisoners in Azerbaijan" (August 2014), an HTML rendering of a PDF.

The table of contents names all 98 numbered cases and their category (A-G); each case's
text then gives labelled fields ("Date of arrest:", "Charge:", "Place of detention:", ...)
followed by a narrative, with page numbers and footnotes interleaved.
"""

import html
import json
import re

from scripts.common import Problems, json_list

CATEGORY_HEADING = re.compile(r"^\s*([A-G])\.\s*([A-Z][A-Z ]+?)\s*(?:\.{3,}.*)?$")
TOC_ENTRY = re.compile(r"^\s*(\d{1,2})\.\s*(.+?)\s*\.{3,}\s*\d+\s*$")
CASE_HEADING = re.compile(r"^\s*(\d{1,2})\.\s*(\S.*?)\s*$")
LABELS = {
    "arrested": re.compile(r"^\s*(?:Date of (?:arrest|detention)|Detention date|Detention)\s*:\s*", re.I),
    "charges": re.compile(r"^\s*(?:The\s+)?Charge[sd]?\s*:\s*", re.I),
    "place": re.compile(r"^\s*Place\s+of\s+detention\s*:\s*", re.I),
    "background": re.compile(
        r"^\s*(?:Case\s+background|Background(?:\s+of\s+person)?|Brief\s+Summary\s+of\s+the\s+Case)\s*:\s*", re.I),
}
PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
FOOTNOTE = re.compile(r"^\s*\d{1,3}\s+https?://\S+\s*$")


def html_lines(text):
    """The document as text lines: one per <br/>, tags dropped, entities decoded."""
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return [html.unescape(line).replace("\xa0", " ").rstrip() for line in text.split("\n")]


def table_of_contents(lines):
    """[(number, name, category letter, category title)] from the contents pages."""
    entries, category = [], None
    for line in lines:
        if line.strip().startswith("PREFACE"):  # the body's heading; the contents say "Preface"
            break
        heading = CATEGORY_HEADING.match(line)
        if heading:
            category = heading.groups()
            continue
        lone_letter = re.match(r"^\s*([A-G])\.\s*$", line)
        if lone_letter:  # a heading split over two lines: "E." then "RELIGIOUS ACTIVISTS ...."
            category = (lone_letter.group(1), None)
            continue
        if category and category[1] is None and line.strip():
            category = (category[0], re.sub(r"\s*\.{3,}.*$", "", line.strip()))
            continue
        entry = TOC_ENTRY.match(line)
        if entry and category:
            entries.append((int(entry.group(1)), " ".join(entry.group(2).split()), *category))
    return entries


def case_blocks(lines, count):
    """{number: (first line index, lines)} for cases 1..count, found in order after the contents."""
    preface = next(i for i, line in enumerate(lines) if line.strip().startswith("PREFACE"))
    # The contributors' list is numbered too: cases begin at the first category heading of the body.
    start = next(i for i in range(preface, len(lines)) if CATEGORY_HEADING.match(lines[i]))
    headings, expected = [], 1
    for index in range(start, len(lines)):
        match = CASE_HEADING.match(lines[index])
        if match and int(match.group(1)) == expected and not PAGE_NUMBER.match(lines[index]):
            headings.append((expected, index))
            expected += 1
            if expected > count:
                break
    blocks = {}
    for position, (number, index) in enumerate(headings):
        end = headings[position + 1][1] if position + 1 < len(headings) else len(lines)
        # A category's introduction (section F's names other prisoners) is not part of the case before it.
        end = next((i for i in range(index + 1, end) if CATEGORY_HEADING.match(lines[i])
                    or re.match(r"^\s*[A-G]\.\s*$", lines[i])), end)
        blocks[number] = (index, lines[index:end])
    return blocks


def fields(block):
    """Labelled fields of a case: each value runs until a blank line or the next label."""
    out, current = {}, None
    for line in block[1:]:
        if PAGE_NUMBER.match(line) or FOOTNOTE.match(line):
            continue
        label = next((name for name, pattern in LABELS.items() if pattern.match(line)), None)
        if label:
            current = label
            out.setdefault(label, [])
            out[label].append(LABELS[label].sub("", line))
            continue
        if not line.strip():
            if current != "background":
                current = None
            continue
        if current:
            out[current].append(line)
    return {name: " ".join(" ".join(parts).split()) for name, parts in out.items()}


PARENTHESES = re.compile(r"\([^()]*\)")
ARTICLE_PART = re.compile(r"Article\s+(\d+(?:-\d+)?),\s*Parts?\s+(\d+)")
ARTICLE_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:[.-]\d{1,2})*)(?![\d.])")


def article_codes(charges_text):
    """Article numbers in a charge text, e.g. '220.1', '315.2'; descriptions in brackets are ignored."""
    text = charges_text
    while PARENTHESES.search(text):
        text = PARENTHESES.sub(" ", text)
    text = ARTICLE_PART.sub(lambda m: f"{m.group(1)}.{m.group(2)}", text)
    return list(dict.fromkeys(ARTICLE_NUMBER.findall(text)))


SOURCE_ID = "esi-azerbaijan-2014"
LIST_CATEGORIES = {"A": "journalist/blogger", "B": "human rights defender", "C": "activist", "D": "politician",
                   "E": "religious"}
MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"], start=1)}
NUMBER_WORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                            "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen"])}
SENTENCE = re.compile(
    r"sentenced\s+(?:him\s+|her\s+|(?P<who>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)?)\s+)?to\s+"
    r"(?P<years>\d+|[a-z]+)(?P<half>\s+and\s+(?:a\s+)?half)?\s+years?"
    r"(?:\s+and\s+(?P<months>\d+|[a-z]+)\s+months?)?"
    r"(?=\s+(?:in\s+jail|in\s+prison|of\s+imprisonment|imprisonment|by|on|under))", re.I)


def english_date(text):
    """'22 November 2013', 'July 23rd, 2014', 'March13, 2007' -> ISO; None when no month and year are found."""
    month = re.search(r"(" + "|".join(MONTHS) + r")", text, re.I)
    year = re.search(r"(19|20)\d{2}", text)
    if not (month and year):
        return None
    before = re.findall(r"(\d{1,2})(?:st|nd|rd|th)?\s*$", text[: month.start()])
    after = re.match(r"\s*(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", text[month.end():])
    day = int(before[-1]) if before else int(after.group(1)) if after and after.group(1) != year.group(0)[:2] else None
    iso = f"{year.group(0)}-{MONTHS[month.group(1).lower()]:02d}"
    return (f"{iso}-{day:02d}", "day") if day else (iso, "month")


def number(word):
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word.lower())


def sentence_in(narrative, surname):
    """The last prison sentence the narrative gives this person: (months, words as written), or (None, None)."""
    found = None
    for match in SENTENCE.finditer(narrative):
        who = match.group("who")
        if who and surname.lower() not in who.lower():
            continue  # a sentence given to someone else named in the narrative
        years, months = number(match.group("years")), number(match.group("months") or "zero")
        if years is None or months is None:
            continue
        found = (years * 12 + (6 if match.group("half") else 0) + months, match.group(0))
    return found or (None, None)


def split_name(written):
    """'Leyla Yunus (Leyla Islam qızı Yunusova)' -> ('Leyla Yunus', ['Leyla Islam qızı Yunusova'])."""
    inner = re.findall(r"\(([^)]+)\)", written)
    name = " ".join(re.sub(r"\([^)]*\)", "", written).split())
    return name, inner


def sex_of(name):
    """Azerbaijani patronymics say it: 'oglu' (son of) or 'qizi' (daughter of)."""
    folded = name.lower().replace("ğ", "g").replace("ı", "i")
    return "male" if re.search(r"\boglu\b", folded) else "female" if re.search(r"\bqizi\b", folded) else None


def read_cases(document):
    """(number, name as written, category letter, category, first line, lines) for each of the document's cases."""
    lines = html_lines(document)
    contents = table_of_contents(lines)
    blocks = case_blocks(lines, len(contents))
    return [(number_, written, letter, category, *blocks[number_]) for number_, written, letter, category in contents]


def adapt(cases, context):
    """(table, row) for every row of our tables the cases give, tagged with its upstream record (the case number)."""
    for number_, written, letter, category, start, block in cases:
        for table, rows in adapt_case(number_, written, letter, category, block, context).items():
            for row in rows:
                row.update(source_id=SOURCE_ID, upstream_ref=f"case {number_} (line {start + 1})",
                           _record=(SOURCE_ID, str(number_)))
                yield table, row


def adapt_case(number_, written, letter, category, block, context):
    upstream_id, person_id = str(number_), f"{SOURCE_ID}-{number_}"
    found = fields(block)
    problems = Problems(upstream_id)
    problem = problems.add

    name, alternates = split_name(written)
    narrative = " ".join(" ".join(line for line in block[1:] if not PAGE_NUMBER.match(line)).split())
    detained = english_date(found.get("arrested", ""))
    if found.get("arrested") and not detained:
        problem("Date of arrest", found["arrested"], "no date found in the field")
    months, sentence_words = sentence_in(narrative, name.split()[-1])
    if letter == "F":
        sentence_words = sentence_words or "life imprisonment (the list's category F: lifetime prisoners)"
    elif sentence_words is None and re.search(r"\bsentenced\b", narrative, re.I):
        problem("Case background", None, "the narrative mentions a sentence that could not be read reliably")
    place = found.get("place")
    city = context["gazetteer"].city("AZ", re.findall(r"[A-Z][a-z]+", place or ""))
    if place and not city:
        problem("Place of detention", place, "no town found in the gazetteer; mapped at the country's centroid")
    charges = charge_rows(person_id, found.get("charges", ""), problem)
    raw = {"number": number_, "name": written, "category": f"{letter}. {category}", **found}
    return {
        "persons": [{
            "id": person_id, "name": name, "name_native": name, "alternate_names": json_list(alternates),
            "sex": sex_of(written), "categories": json_list([LIST_CATEGORIES[letter]] if letter in LIST_CATEGORIES
                                                            else []),
            "country": "AZ", "status": "detained", "status_confirmed": 1, "place": place,
            "latitude": city["latitude"] if city else None, "longitude": city["longitude"] if city else None,
            "coordinate_precision": "city" if city else None,
        }],
        "records": [{"id": f"{SOURCE_ID}/{upstream_id}", "upstream_id": upstream_id, "person_id": person_id,
                     "name_as_written": written, "url": None, "raw": json.dumps(raw, ensure_ascii=False)}],
        "detentions": [{
            "id": person_id, "person_id": person_id, "kind": "detention",
            "detained_on": detained[0] if detained else None, "detained_on_precision": detained[1] if detained else None,
            "sentence_as_written": sentence_words, "sentence_months": months if letter != "F" else None,
            "place": place,
        }],
        "detention_charges": charges,
        "data_quality": problems.rows,
    }


def charge_rows(person_id, text, problem):
    law = "AZ-CC1960" if "1960" in text else "AZ-CC2000"
    if law == "AZ-CC1960":
        codes = re.findall(r"Article\s+(\d+(?:-\d+)?)", text)
        problem("Charge", text, "1960-code parts are listed ambiguously; charges recorded at article level")
    else:
        codes = article_codes(text)
    rows = []
    for code in dict.fromkeys(codes):
        article = code.split(".")[0]
        rows.append({"detention_id": person_id, "charge_id": f"{law}-{article}", "charge_as_written": code})
    if not rows:
        problem("Charge", text, "no article number found")
    return rows

