"""Interface language: ?_lang=vi or ?_lang=zh on any page, English without it (docs/readers.md says what is translated,
from where, and how to add a language). The parameter starts with an underscore so that Datasette's table pages take it
as an option, not as a filter on a column called lang, and keep it in their links and forms. Data stays as sourced.
One file: the template hooks and the label lookups they call share the translations loaded at startup.
"""

import json
import re
from functools import lru_cache, partial
from pathlib import Path

import yaml
from babel import Locale
from babel.numbers import format_decimal
from datasette import hookimpl
from datasette.utils import path_with_replaced_args
from jinja2 import pass_context
from markupsafe import Markup

TEMPLATES = Path(__file__).parent.parent / "templates"
TRANSLATIONS = yaml.safe_load((TEMPLATES / "translations.yml").read_text("utf-8"))
VOCABULARIES = yaml.safe_load((TEMPLATES / "vocabularies.yml").read_text("utf-8"))
LANGUAGES = TRANSLATIONS["languages"]
DEFAULT = "en"
# The vocabularies of raw/reference/, each a table: its English column (where the id is not the English), label_vi/zh.
REFERENCE_VOCABULARIES = {"statuses": "label", "categories": None, "event_types": None, "reprisal_types": None,
                          "un_mechanisms": "name", "metrics": None, "detention_kinds": None}
PARAMETER = "_lang"
# The language tag pages declare (BCP 47; Babel's locale, with "_"): the Chinese interface is in simplified characters.
HTML_LANG = {"en": "en", "vi": "vi", "zh": "zh-Hans"}
# Columns holding a vocabulary id (or a JSON array of them): their values are shown in the reader's language.
VOCABULARY_COLUMNS = {
    "status": "statuses", "categories": "categories", "event_type": "event_types", "change_type": "change_types",
    "reprisal_types": "reprisal_types", "un_mechanisms": "un_mechanisms", "un_mechanism": "un_mechanisms",
    "sex": "sex", "country": "countries", "state": "countries", "kind": "detention_kinds",  # other kinds: not in it
    "charges": "charges", "charge_id": "charges",
    "status_may_be_stale": "status_may_be_stale", "status_confirmed": "status_confirmed",
}
# Vocabularies whose English label is not the id itself: shown by their labels on English pages too.
LABELLED_IN_ENGLISH = {"statuses", "un_mechanisms", "charges", "status_may_be_stale", "status_confirmed"}
VALUE_PAGES = {"charges": "/charge/"}
# Vocabularies labelled in English only, so far: marked lang="en", translate="no" on other languages' pages.
ENGLISH_ONLY = {"charges"}


def language(request):
    lang = request.args.get(PARAMETER) if request else None
    return lang if lang in LANGUAGES else DEFAULT


def babel_locale(lang):
    return HTML_LANG.get(lang, DEFAULT).replace("-", "_")


@lru_cache(maxsize=None)
def territories(lang):
    return Locale.parse(babel_locale(lang)).territories


def country_name(lang, code, english=None):
    """A country's name in the reader's language: vocabularies.yml's, else CLDR's, else English."""
    if not code or lang == DEFAULT:
        return english or code or ""
    return VOCABULARIES["countries"].get(code, {}).get(lang) or territories(lang).get(code) or english or code


def vocabulary_label(lang, vocabulary, value, english=None):
    """The label of a vocabulary id in the reader's language; English is the id itself unless `english` is given."""
    if value is None or value == "":
        return ""
    if vocabulary == "countries":
        return country_name(lang, value, english)
    labels = VOCABULARIES.get(vocabulary, {}).get(value, {})
    return (lang != DEFAULT and labels.get(lang)) or english or labels.get(DEFAULT) or value


def charge_title(lang, charge):
    """(title, English beside it or None) of a row with title_en, title_original and original_language."""
    original, english = charge.get("title_original"), charge.get("title_en")
    if lang == DEFAULT or not original:
        return english or original or "", None
    return original, None if (charge.get("original_language") or "").split("-")[0] == lang else english


def campaign_title(lang, campaign):
    """(title, its language, English or None): the original (the source's first non-English language) in that one."""
    languages = [code for code in (campaign.get("source_language") or "").split(";") if code.split("-")[0] != "en"]
    if lang != DEFAULT and campaign.get("title_original") and languages and languages[0].split("-")[0] == lang:
        return campaign["title_original"], languages[0], campaign["title"]
    return campaign["title"], "en", None


# A sentence as the lists write it in numbers ("5 years", "1 year, 6 months"), each unit in the interface's words.
SENTENCE_PART = re.compile(r"(\d+) (year|month|week|day)s?")
SENTENCE_UNITS = {"vi": {"year": "năm", "month": "tháng", "week": "tuần", "day": "ngày"},
                  "zh": {"year": "年", "month": "个月", "week": "周", "day": "天"}}
SENTENCE_WORDS = {"life": {"vi": "tù chung thân", "zh": "无期徒刑"}, "death": {"vi": "tử hình", "zh": "死刑"}}


def sentence_text(lang, written):
    """"3 years, 6 months", "life" or "death" in the reader's language ("3年6个月"); None where shown as written."""
    if lang == DEFAULT or not written:
        return None
    if written in SENTENCE_WORDS:
        return SENTENCE_WORDS[written][lang]
    if not all(parts := [SENTENCE_PART.fullmatch(part) for part in written.split(", ")]):
        return None
    between, space = ("", "") if lang == "zh" else (", ", " ")
    return between.join(f"{part[1]}{space}{SENTENCE_UNITS[lang][part[2]]}" for part in parts)


def column_description(lang, table, column, english):
    """(description, its language) of a table's column: translations.yml's, else metadata.yml's English."""
    translated = TRANSLATIONS.get("column_descriptions", {}).get(table, {}).get(column, {}).get(lang)
    return (translated, lang) if translated and lang != DEFAULT else (english, "en")


def local(path):
    return bool(path) and path.startswith("/") and not path.startswith("//")


def add_language(path, lang):
    """`path` with ?_lang= for a non-default language (a local path; anything else is returned as it is)."""
    if lang == DEFAULT or not local(path) or f"{PARAMETER}=" in path:
        return path
    path, hash_mark, fragment = path.partition("#")
    return f"{path}{'&' if '?' in path else '?'}{PARAMETER}={lang}{hash_mark}{fragment}"


def site_path(datasette, path):
    """A path of this site under base_url (those Datasette made have it: add_language alone); anything else as is."""
    return datasette.urls.path(path) if local(path) else path


LOCAL_LINK = re.compile(r'href="(/[^"/][^"]*|/)"')
FIRST_LINK = re.compile(r'<a href="([^"]*)"')


def links_with_language(markup, lang):
    """Local links in a piece of Datasette's markup (a foreign-key cell, say) keep the reader's language."""
    if lang == DEFAULT or "href=" not in markup:
        return markup
    return Markup(LOCAL_LINK.sub(lambda m: f'href="{add_language(m.group(1), lang)}"', str(markup)))


def translated_cell(cell, value, vocabulary, lang, datasette):
    """A vocabulary cell in the reader's language: a foreign key keeps its link, a JSON array becomes a list."""
    raw = cell["raw"]
    if raw is None or raw == "":
        return value
    if isinstance(raw, str) and raw.startswith("["):
        try:
            items = [str(item) for item in json.loads(raw)]
        except ValueError:
            return value
        if vocabulary in VALUE_PAGES:
            return Markup("; ").join(translated_cell({"raw": item}, item, vocabulary, lang, datasette)
                                     for item in items)
        return ", ".join(vocabulary_label(lang, vocabulary, item) for item in items)
    label = vocabulary_label(lang, vocabulary, str(raw))
    if vocabulary in VALUE_PAGES:
        english = Markup(' lang="en"') if lang != DEFAULT and vocabulary in ENGLISH_ONLY else ""
        return Markup('<a href="{}"{}>{}</a>').format(value_page(datasette, lang, vocabulary, raw), english, label)
    if (link := FIRST_LINK.match(value) if isinstance(value, Markup) else None) is None:
        return label
    code = Markup("&nbsp;<em>{}</em>").format(raw) if vocabulary == "countries" else ""
    return Markup('<a href="{}">{}</a>').format(add_language(link.group(1), lang), label) + code


def cell_translator(lang, columns, datasette):
    """A function translating a row's cell values (templates/_table.html), or None where nothing is to translate."""
    vocabularies = [VOCABULARY_COLUMNS.get(column["name"]) for column in columns]
    if lang == DEFAULT:
        vocabularies = [vocabulary if vocabulary in LABELLED_IN_ENGLISH else None for vocabulary in vocabularies]
        if not any(vocabularies):
            return None

    def translate(cells, values):
        return [translated_cell(cell, value, vocabulary, lang, datasette) if vocabulary
                else links_with_language(value, lang) if isinstance(value, Markup) else value
                for cell, value, vocabulary in zip(cells, values, vocabularies, strict=True)]

    return translate


def value_page(datasette, lang, vocabulary, value):
    """The page of a vocabulary's value (a charge's /charge/<id>) in the reader's language, or None."""
    pages = VALUE_PAGES.get(vocabulary)
    return add_language(site_path(datasette, pages + str(value)), lang) if pages and value not in (None, "") else None


def facet_label(lang, column, value, label):
    vocabulary = VOCABULARY_COLUMNS.get(column)
    if vocabulary is None or (lang == DEFAULT and vocabulary not in LABELLED_IN_ENGLISH):
        return label
    return vocabulary_label(lang, vocabulary, str(value), None if vocabulary != "countries" else str(label))


@pass_context
def number(context, value):
    """`{{ n|number }}`: 8,698 in English, 8.698 in Vietnamese, as the page's language writes numbers (Babel's CLDR)."""
    return format_decimal(value, locale=babel_locale(context.get("lang")))


@hookimpl
def extra_template_vars(request, datasette):
    lang = language(request)
    # This page in each language (its query kept); the home page's, for a page without a request.
    switch = [(code, name, path_with_replaced_args(request, {PARAMETER: None if code == DEFAULT else code}) if request
               else add_language(site_path(datasette, "/"), code)) for code, name in LANGUAGES.items()]

    def t(text):
        entry = TRANSLATIONS["strings"].get(text, {})
        return entry.get(lang) or entry.get(DEFAULT) or text

    return {
        "lang": lang, "html_lang": HTML_LANG[lang], "t": t, "language_switch": switch,
        "language_alternates": [(HTML_LANG[code], datasette.absolute_url(request, url) if request else url)
                                for code, _, url in switch if code != lang],
        "with_lang": lambda path: add_language(path, lang),
        "link": lambda path: add_language(site_path(datasette, path), lang),
        **{name: partial(function, lang) for name, function in {  # each given the reader's language first
            "vocabulary": vocabulary_label, "country_name": country_name, "charge_title": charge_title,
            "campaign_title": campaign_title, "sentence_text": sentence_text, "column_description": column_description,
            "facet_label": facet_label}.items()},
        "column_label": lambda column: TRANSLATIONS["columns"].get(column, {}).get(lang) or column,
        "metadata_text": lambda page, field, english:  # a table's (or the site's, page "") title or description
        TRANSLATIONS["metadata"].get(page, {}).get(field, {}).get(lang) or english,
        "cell_translator": lambda columns: cell_translator(lang, columns, datasette),
        "is_vocabulary": lambda column: VOCABULARY_COLUMNS.get(column) not in (None, *ENGLISH_ONLY),
        "value_page": lambda column, value: value_page(datasette, lang, VOCABULARY_COLUMNS.get(column), value),
    }


@hookimpl
def startup(datasette):
    async def read_reference_vocabularies():
        if set(datasette.databases) <= {"_internal"}:
            return
        db = datasette.get_database()
        for vocabulary, english in REFERENCE_VOCABULARIES.items():
            rows = (await db.execute(f"select id, {english or 'id'}, label_vi, label_zh from {vocabulary}")).rows
            VOCABULARIES[vocabulary] = {value: {"en": en, "vi": vi, "zh": zh} for value, en, vi, zh in rows}
        # charges: their label (law, article, English title), in every language until they carry translations
        VOCABULARIES["charges"] = {value: {"en": label} for value, label in
                                   (await db.execute("select id, label from charges")).rows}

    return read_reference_vocabularies


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.globals.update(extra_template_vars(None, datasette))  # English on pages rendered without asking plugins
    env.filters["number"] = number
