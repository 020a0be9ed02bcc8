"""The formats NGOs publish, read into rows of named cells: CSV/TSV in any encoding, XLSX, ODS, JSON, HTML, PDF, R.
Each reader yields (number, where, cells) records, the first naming the columns. What makes a list unreadable as a
table (bytes not in the declared encoding, a NUL, a cell over 128 KiB, a column named twice, a row longer than the
header) stops the build naming the file, the place in it, the column and the value."""

import bisect
import csv
import datetime
import html
import json
import re
import warnings
from contextlib import closing, suppress
from dataclasses import dataclass
from itertools import islice
from json.decoder import WHITESPACE

from scripts.common import BuildError
from scripts.read import MAX_CELL


@dataclass(frozen=True)
class Row:
    number: str  # the row's number in the file: its upstream id when the list has no id column
    where: str  # where it is, for references and messages: "line 12", "row 12", "page 2, row 5"
    values: dict  # column name -> value as the file gives it (text, a whole number, a number or None)


class ListFile:
    """A list's file as a table. Files other than CSV are read whole once: the forked workers share what it read."""

    def __init__(self, path, mapping, shown):
        self.path, self.mapping, self.shown = path, mapping, shown
        self.header, self.header_where = None, None
        self.records = None if mapping.format in ("csv", "tsv") else list(self.read())
        next(self.rows(), None)  # reads the header: a file that cannot be read at all says so now
        if self.header is None:
            raise BuildError(shown, None, None, None, "the file holds no table (no header row was found)",
                             "Check the file, and the format, sheet, table or pages the mapping names.")

    def read(self):
        read = READERS["document" if self.mapping.document else self.mapping.format]
        return read(self.path, self.mapping, self.shown)

    def rows(self, select=iter):
        """The data rows `select` picks, converted and checked only once picked (each worker picks its share)."""
        records = self.data_records(self.read() if self.records is None else self.records)
        return (Row(number, where, self.cells(where, cells)) for number, where, cells in select(records))

    def data_records(self, records):
        """(number, where, cells) of the rows holding data; the first record (or the mapping's header) names columns."""
        header = list(self.mapping.header or []) or None
        if header:
            self.header, self.header_where = header, "the mapping's header"
        for number, where, cells in islice(records, 0 if header else self.mapping.header_row - 1, None):
            if header is None:
                header = self.header = self.named(where, [plain(value) for value in cells])
                self.header_where = where
                continue
            cells = cells[: self.mapping.first_columns]  # None: all
            if all(value is None or str(value).strip() == "" for value in cells):
                continue  # a row with nothing in it carries nothing (spreadsheets end with them)
            yield number, where, cells

    def named(self, where, cells):
        names = [str(value).strip() if value is not None else "" for value in cells]
        while names and not names[-1]:
            names.pop()  # trailing empty header cells: columns nobody named
        names = [name or f"(column {n})" for n, name in enumerate(names[: self.mapping.first_columns], start=1)]
        for position, name in enumerate(names, start=1):
            if (first := names.index(name) + 1) < position:
                raise BuildError(self.shown, where, name, name,
                                 f"the header names the column '{name}' twice (columns {first} and {position})",
                                 "Give every column its own name: otherwise one column's values would silently "
                                 "replace the other's.")
        return names

    def cells(self, where, cells):
        header = self.header
        cells = [value if value.__class__ is str else plain(value) for value in cells]
        if extra := [value for value in cells[len(header):] if value not in (None, "")]:
            raise BuildError(self.shown, where, None, extra[0], "the row has more cells than the header has columns",
                             "Quote values that contain the separator, or name the extra column in the header.")
        row = dict.fromkeys(header) | dict(zip(header, cells))  # a short row's last columns have no value
        texts = [value for value in cells if isinstance(value, str)]
        if max(map(len, texts), default=0) <= MAX_CELL and "\x00" not in "".join(texts):
            return row  # most rows: one look at all their cells; which cell is at fault is found below
        for column, value in row.items():
            if isinstance(value, str) and (len(value) > MAX_CELL or "\x00" in value):
                if "\x00" in value:
                    raise BuildError(self.shown, where, column, shortened(value),
                                     "the value holds a NUL character (a zero byte)",
                                     "The file may be in another encoding (UTF-16?) or damaged: declare its "
                                     "encoding in the mapping, or remove the character.")
                raise too_long(self.shown, where, column, value)
        return row


def plain(value):
    """A cell as text or a number; dates as ISO dates, whole numbers without a decimal point."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def shortened(value, limit=80):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def too_long(shown, where, column, value):
    return BuildError(shown, where, column, shortened(value),
                      f"the value is longer than {MAX_CELL:,} characters (128 KiB)",
                      "A quote that opens a value and never closes usually does this: check the quotes on this "
                      "line and the lines after it.")


def python_encoding(name):
    """The codec for a declared encoding; UTF-8 also skips the byte-order mark spreadsheets write."""
    return "utf-8-sig" if name.lower().replace("_", "-") in ("utf-8", "utf8") else name


def csv_records(path, mapping, shown):
    delimiter = mapping.delimiter or ("\t" if mapping.format == "tsv" else ",")
    encoding = python_encoding(mapping.encoding)
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for cells in reader:
                if cells:
                    yield str(reader.line_num), f"line {reader.line_num}", cells
        except UnicodeDecodeError as exc:
            if path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise BuildError(shown, "line 1", None, None, "the file is UTF-16 (it starts with a UTF-16 byte-order "
                                 f"mark), not {mapping.encoding}",
                                 "Add encoding: utf-16 to the mapping, or save the file as UTF-8.") from None
            line, column, value = first_cell(path, encoding, delimiter, lambda value: "\ufffd" in value)
            raise BuildError(shown, line and f"line {line}", column, value and shortened(value),
                             f"byte 0x{exc.object[exc.start:exc.start + 1].hex()} cannot be read as {mapping.encoding}",
                             "Save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8'), or declare the encoding it is "
                             "in, such as encoding: latin-1 or encoding: cp1252.") from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                line, column, value = first_cell(path, encoding, delimiter, lambda value: len(value) > MAX_CELL)
                raise too_long(shown, f"line {line}", column, value) from None
            raise BuildError(shown, f"line {reader.line_num + 1}", None, None, f"not readable as CSV ({exc})",
                             "Check the quotes on this line.") from None


def first_cell(path, encoding, delimiter, wanted):
    """(line its row starts on, column, value) of the first cell `wanted` accepts, to name a fault's place."""
    limit = csv.field_size_limit(1 << 30)  # the limit before: a cell longer than it may be what is looked for
    try:
        with suppress(csv.Error), open(path, newline="", encoding=encoding, errors="replace") as handle:
            reader, header, line = csv.reader(handle, delimiter=delimiter), None, 1
            for cells in reader:
                for position, value in enumerate(cells):
                    if wanted(value):
                        return line, header[position] if header and position < len(header) else None, value
                header, line = header or cells, reader.line_num + 1
    finally:
        csv.field_size_limit(limit)
    return None, None, None


def xlsx_records(path, mapping, shown):
    import openpyxl  # imported where used: only spreadsheet lists need it

    with closing(openpyxl.load_workbook(path, read_only=True, data_only=True)) as workbook:
        sheet = pick_sheet(workbook.sheetnames, mapping.sheet, shown)
        for number, cells in enumerate(workbook[sheet].iter_rows(values_only=True), start=1):
            yield str(number), f"row {number}", list(cells)


def pick_sheet(names, wanted, shown):
    if wanted is not None and wanted not in names:
        raise BuildError(shown, None, "sheet", wanted, "the workbook has no sheet of this name",
                         f"Name one of its sheets in the mapping's sheet: {', '.join(names)}.")
    return names[0] if wanted is None else wanted


def ods_records(path, mapping, shown):
    from odf import teletype
    from odf.namespaces import OFFICENS, TABLENS
    from odf.opendocument import load
    from odf.table import Table, TableRow

    tables = {table.getAttribute("name"): table for table in load(str(path)).spreadsheet.getElementsByType(Table)}
    sheet = pick_sheet(list(tables), mapping.sheet, shown)
    number = 0
    for element in tables[sheet].getElementsByType(TableRow):
        repeated = int(element.attributes.get((TABLENS, "number-rows-repeated")) or 1)
        cells = []
        for cell in element.childNodes:
            value_type = cell.attributes.get((OFFICENS, "value-type"))
            if value_type in ("float", "percentage", "currency"):
                value = float(cell.attributes.get((OFFICENS, "value")))
            elif value_type == "date":
                value = cell.attributes.get((OFFICENS, "date-value"))[:10]
            elif value_type == "boolean":
                value = cell.attributes.get((OFFICENS, "boolean-value"))
            else:
                value = teletype.extractText(cell) or None
            cells += [value] * int(cell.attributes.get((TABLENS, "number-columns-repeated")) or 1)
        if all(value is None for value in cells):
            number += repeated  # blank rows, often repeated a million times: counted, not expanded
            continue
        for _ in range(repeated):
            number += 1
            yield str(number), f"row {number}", cells


def json_records(path, mapping, shown):
    text = path.read_bytes().decode(python_encoding(mapping.encoding))
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BuildError(shown, f"line {exc.lineno}", None, None, f"not valid JSON ({exc.msg})",
                         "Check the file with a JSON validator.") from None
    if not isinstance(items, list):
        raise BuildError(shown, "line 1", None, None, "the file is not a JSON array of objects",
                         "Give the list as [ {\"column\": \"value\", …}, … ].")
    header = list(dict.fromkeys(key for item in items if isinstance(item, dict) for key in item))
    yield "0", "line 1", header
    decoder, end, line = json.JSONDecoder(), text.index("["), 1
    for number, item in enumerate(items, start=1):
        start = WHITESPACE.match(text, end + 1).end()  # the item, past the '[' or ',' before it
        line += text.count("\n", end, start)
        if not isinstance(item, dict):
            raise BuildError(shown, f"line {line}", None, shortened(item), "an item of the array is not an object",
                             "Give each row as an object of column names and values.")
        yield str(number), f"item {number} (line {line})", [
            json.dumps(value, ensure_ascii=False) if isinstance(value, bool | dict | list) else value
            for value in map(item.get, header)]
        end = WHITESPACE.match(text, decoder.raw_decode(text, start)[1]).end()  # the ',' or ']' after it
        line += text.count("\n", start, end)


def html_records(path, mapping, shown):
    import lxml.html

    document = lxml.html.parse(str(path), parser=lxml.html.HTMLParser(encoding=mapping.encoding))
    tables = document.getroot().xpath("//table") if document.getroot() is not None else []
    if len(tables) < mapping.table:
        raise BuildError(shown, None, "table", mapping.table, f"the page has {len(tables)} table(s)",
                         "Name the table by its position on the page (1 = first).")
    for number, row in enumerate(tables[mapping.table - 1].xpath(".//tr"), start=1):
        cells = [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")
                 for _ in range(int(cell.get("colspan") or 1))]
        yield str(number), f"line {row.sourceline}", cells


def pdf_records(path, mapping, shown):
    """The table rows of the declared pages, numbered per page; a header repeated atop a page is left out."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        header = None
        for page_number in page_numbers(mapping.pages, len(pdf.pages), shown):
            page = pdf.pages[page_number - 1]
            tables = [columns_of_words(page, mapping.pdf_columns)] if mapping.pdf_columns else page.extract_tables()
            for number, cells in enumerate((cells for table in tables for cells in table), start=1):
                cells = [" ".join(value.split()) if value else None for value in cells]
                if header is None:
                    header = cells
                elif cells == header:
                    continue
                yield f"{page_number}.{number}", f"page {page_number}, row {number}", cells


def columns_of_words(page, borders, tolerance=3):
    """Rows of a table drawn without rules: words within `tolerance` points of a line, between consecutive `borders`."""
    rows, top = [], None
    for word in sorted(page.extract_words(), key=lambda w: (round(w["top"]), w["x0"])):
        column = bisect.bisect_right(borders, word["x0"]) - 1
        if not 0 <= column < len(borders) - 1:
            continue
        if top is None or word["top"] - top > tolerance:
            rows.append([[] for _ in borders[1:]])
            top = word["top"]
        rows[-1][column].append(word["text"])
    return [[" ".join(words) or None for words in row] for row in rows]


def page_numbers(pages, count, shown):
    if not pages:
        return range(1, count + 1)
    numbers = []
    for part in str(pages).split(","):
        first, _, last = part.strip().partition("-")
        numbers += range(int(first), int(last or first) + 1)
    if not numbers or max(numbers) > count:
        raise BuildError(shown, None, "pages", pages, f"the PDF has {count} page(s)",
                         "Give pages as 1-3,5 within the document.")
    return numbers


def rdata_records(path, mapping, shown):
    import rdata

    with warnings.catch_warnings():
        # rdata warns about R classes it leaves unconverted (Date, difftime): the cells keep R's own values.
        warnings.simplefilter("ignore", UserWarning)
        objects = rdata.read_rda(str(path))
    if mapping.object not in objects:
        raise BuildError(shown, None, "object", mapping.object, "the R workspace holds no object of this name",
                         f"Name one of: {', '.join(map(str, objects))}.")
    frame = objects[mapping.object].iloc[:, : mapping.first_columns]
    frame = frame.astype(object).where(frame.notna(), None)
    yield "0", "row 0", [str(column) for column in frame.columns]
    for number, cells in enumerate(frame.itertuples(index=False, name=None), start=1):
        yield str(number), f"row {number}", list(cells)


def document_records(path, mapping, shown):
    """A document's entries as rows: its heading's and section's named groups, labelled fields and whole text."""
    spec = mapping.document
    heading, section = re.compile(spec.heading), re.compile(spec.section or "(?!)")
    labels = {name: re.compile(label) for name, label in spec.fields.items()}
    header = list(dict.fromkeys([*heading.groupindex, *section.groupindex, *labels, "text"]))
    yield "0", "the mapping's document", header
    started, context, entries, entry = spec.start is None, {}, 0, None

    def row():
        return str(entries), entry["where"], [" ".join(" ".join(entry["cells"].get(column, ())).split()) or None
                                              for column in header]

    for where, line in document_lines(path, mapping, shown):
        line = " ".join(line.split())
        started = started or bool(re.fullmatch(spec.start, line))
        if not started or any(re.fullmatch(pattern, line) for pattern in spec.drop):
            continue
        new, in_section = heading.fullmatch(line), section.fullmatch(line)
        if (new or in_section) and entry:
            yield row()
        if new or in_section:
            context = in_section.groupdict() if in_section else context
            entries += bool(new)
            cells = {name: [value] for name, value in {**context, **new.groupdict()}.items() if value} if new else {}
            entry = {"where": where, "field": None, "cells": cells} if new else None
        elif entry is not None:
            label = next(((name, found) for name, pattern in labels.items() if (found := pattern.match(line))), None)
            entry["field"] = label[0] if label else entry["field"] if line else None
            if entry["field"]:
                entry["cells"].setdefault(entry["field"], []).append(line[label[1].end():].strip() if label else line)
            entry["cells"].setdefault("text", []).append(line)
    if entry:
        yield row()


def document_lines(path, mapping, shown):
    """(where, line): a PDF's lines as laid out (a gap is a blank line), or an HTML page's broken at <br>."""
    if mapping.format == "pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            for page in page_numbers(mapping.pages, len(pdf.pages), shown):
                for number, line in enumerate(pdf.pages[page - 1].extract_text(layout=True).splitlines(), start=1):
                    yield f"page {page}, line {number}", line
        return
    text = path.read_bytes().decode(python_encoding(mapping.encoding))
    text = re.sub(r"<(head|style|script)\b.*?</\1\s*>|<!--.*?-->", lambda m: "\n" * m[0].count("\n"), text,
                  flags=re.S | re.I)
    for number, source in enumerate(text.split("\n"), start=1):
        for line in re.split(r"<br\s*/?>", source, flags=re.I):
            yield f"line {number}", html.unescape(re.sub(r"<[^>]*>", "", line))


READERS = {"csv": csv_records, "tsv": csv_records, "xlsx": xlsx_records, "ods": ods_records, "json": json_records,
           "html": html_records, "pdf": pdf_records, "rdata": rdata_records, "document": document_records}

FORMATS = tuple(name for name in READERS if name != "document")
