"""Small pure functions: dates, folding, CJK substrings."""

import pytest

from scripts.dates import parse_partial_date
from scripts.text import fold, slugify, unspaced_substrings


@pytest.mark.parametrize("text,expected", [
    ("2016", ("2016", "year")),
    ("2016-11", ("2016-11", "month")),
    ("2016-11-21", ("2016-11-21", "day")),
])
def test_partial_dates_keep_their_precision(text, expected):
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize("text", ["2016/11/21", "21 Nov 2016", "2016-13", "2017-02-30", "1989/mm/dd"])
def test_unparseable_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_partial_date(text)


def test_fold_removes_vietnamese_diacritics_including_d_with_stroke():
    assert fold("Nguyễn Lân Thắng") == "Nguyen Lan Thang"
    assert fold("Đặng Xuân Diệu") == "Dang Xuan Dieu"


def test_unspaced_substrings_cover_every_part_of_a_cjk_run():
    grams = unspaced_substrings("江天勇").split()
    assert {"江", "天勇", "江天", "江天勇"} <= set(grams)
    assert unspaced_substrings("Latin only") == ""


def test_slugify_is_ascii():
    assert slugify("Espacio Público") == "espacio-publico"
