"""Numbers written as the reader's language writes them: 8,698 in English, 8.698 in Vietnamese, 8,698 in Chinese,
through Babel's CLDR data (format_decimal): `{{ n|number }}` in every template, in the page's language (the `lang`
that plugins/i18n.py gives each page; English where a page has none)."""

from babel.numbers import format_decimal
from datasette import hookimpl
from jinja2 import pass_context

# Babel's locale for each interface language (plugins/i18n.py's LANGUAGES).
LOCALES = {"en": "en", "vi": "vi", "zh": "zh_Hans"}


def formatted(value, lang):
    return format_decimal(value, locale=LOCALES.get(lang, "en"))


@pass_context
def number(context, value):
    return formatted(value, context.get("lang"))


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["number"] = number
