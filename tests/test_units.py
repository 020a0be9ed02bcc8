"""Small pure functions: dates, folding, CJK substrings, adapting in parallel."""

import pytest

from scripts.dates import parse_partial_date
from scripts.parallel import CHUNK, in_parallel
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


def test_in_parallel_gives_the_items_in_the_order_one_process_would():
    def produce(select):
        for record in select(range(CHUNK * 5 + 7)):
            yield from [(record, copy) for copy in range(record % 3 + 1)]  # one to three items per record

    assert list(in_parallel(produce, workers=3)) == list(produce(iter))
    assert list(in_parallel(produce, workers=1)) == list(produce(iter))


def test_in_parallel_reports_a_failing_worker():
    def produce(select):
        for record in select(range(10)):
            yield 1 / (record - 5)

    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        list(in_parallel(produce, workers=2))
