"""Interface language for our pages: ?lang=en|vi|zh, words from templates/translations.yml."""

from pathlib import Path

import yaml
from datasette import hookimpl
from datasette.utils import path_with_replaced_args

TRANSLATIONS = yaml.safe_load((Path(__file__).parent.parent / "templates" / "translations.yml").read_text("utf-8"))
LANGUAGES = TRANSLATIONS["languages"]
DEFAULT = "en"


def language(request):
    lang = request.args.get("lang") if request else None
    return lang if lang in LANGUAGES else DEFAULT


def translator(lang):
    def t(text):
        return TRANSLATIONS["strings"].get(text, {}).get(lang) or (
            TRANSLATIONS["strings"].get(text, {}).get("en") or text)

    return t


@hookimpl
def extra_template_vars(request):
    lang = language(request)
    switch = [(code, name, path_with_replaced_args(request, {"lang": code}) if request else f"?lang={code}")
              for code, name in LANGUAGES.items()]
    return {"lang": lang, "t": translator(lang), "language_switch": switch,
            "with_lang": (lambda path: path if lang == DEFAULT else f"{path}{'&' if '?' in path else '?'}lang={lang}")}
