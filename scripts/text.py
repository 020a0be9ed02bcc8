"""Name folding for search and stable ids."""

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

# Scripts written without spaces between words: a search for any part of a name
# must match, so the index holds every substring of each run of these characters.
_UNSPACED_RUN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")
# Longest substring indexed; runs in names are shorter than this.
MAX_SUBSTRING = 16


@lru_cache(maxsize=1 << 16)  # a name is folded for its search column and again for its link keys
def fold(text):
    """ASCII form of a name in any script: 'Nguyễn Lân Thắng' -> 'Nguyen Lan Thang', 'Đặng' -> 'Dang'."""
    if not text:
        return text
    return " ".join(anyascii(unicodedata.normalize("NFC", text)).split())


def unspaced_substrings(*texts):
    """Every substring of each Chinese/Japanese run, space-separated, for the full-text index."""
    texts = [text for text in texts if text]
    if not _UNSPACED_RUN.search(" ".join(texts)):  # most rows: one search instead of one per text
        return ""
    grams = []
    for text in texts:
        for run in _UNSPACED_RUN.findall(text):
            for size in range(1, min(len(run), MAX_SUBSTRING) + 1):
                grams.extend(run[i : i + size] for i in range(len(run) - size + 1))
    return " ".join(dict.fromkeys(grams))


def slugify(text, limit=60):
    """Lower-case ASCII id from a name in any script."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")
    return slug[:limit].rstrip("-") or "x"
