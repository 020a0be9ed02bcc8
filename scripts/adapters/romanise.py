"""Romanised forms of names written in Chinese characters."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

# Two-character surnames, so that 欧阳修 reads "Ouyang Xiu" rather than "Ou Yangxiu".
COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "长孙", "宇文"}


# Names repeat (common surnames and given names) and pypinyin is slow: each reading is worked out once.
@lru_cache(maxsize=100_000)
def romanise(name, script):
    """Pinyin in the usual order and spacing: '刘晓波' -> 'Liu Xiaobo'."""
    if script not in ("Hans", "Hant"):
        raise ValueError(f"no romanisation for script {script!r}")
    name = name.strip()
    split = 2 if name[:2] in COMPOUND_SURNAMES else 1
    surname, given = "".join(lazy_pinyin(name[:split])), "".join(lazy_pinyin(name[split:]))
    return " ".join(part.capitalize() for part in (surname, given) if part)


@lru_cache(maxsize=100_000)
def pinyin_keys(name, limit=16):
    """Every toneless pinyin reading of a name (characters with several readings multiply them), lower-case."""
    keys = [""]
    for readings in pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore"):
        keys = [key + reading for key in keys for reading in dict.fromkeys(readings)][:limit]
    return frozenset(keys)
