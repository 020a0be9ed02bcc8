"""Small pure functions: dates, folding, CJK substrings, adapting in parallel."""

import pytest

from scripts.common import (
    BuildError,
    fold,
    parse_partial_date,
    slugify,
    unspaced_substrings,
)
from scripts.stage import Stage
from scripts.stage.parallel import CHUNK, in_background, stage_in_parallel


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


def staged_rows(tmp_path, produce, workers=None):
    stage = Stage(tmp_path / f"{workers}.stage")
    if workers:
        stage_in_parallel(stage, produce, workers=workers)
    else:
        stage.insert(produce(iter))
    rows = stage.conn.execute("SELECT * FROM statuses ORDER BY rowid").fetchall()
    stage.close()
    return rows


def one_to_three_statuses(select):
    for record in select(range(CHUNK * 5 + 7)):
        for copy in range(record % 3 + 1):
            yield "statuses", (f"{record}-{copy}", None, None, None, None, "test", record, None, None, None, None, None)


def test_staging_in_parallel_keeps_the_order_one_process_would(tmp_path):
    in_one_process = staged_rows(tmp_path, one_to_three_statuses)
    assert len(in_one_process) == sum(record % 3 + 1 for record in range(CHUNK * 5 + 7))
    assert staged_rows(tmp_path, one_to_three_statuses, workers=3) == in_one_process
    assert staged_rows(tmp_path, one_to_three_statuses, workers=1) == in_one_process
    assert not list(tmp_path.glob("*.stage.*"))  # the workers write to the stage itself


def test_staging_in_parallel_passes_over_a_chunk_that_gives_no_rows(tmp_path):
    def second_chunk_empty(select):
        for record in select(range(CHUNK * 4)):
            if record // CHUNK != 1:
                yield "statuses", (str(record), None, None, None, None, "test", record, None, None, None, None, None)

    in_one_process = staged_rows(tmp_path, second_chunk_empty)
    assert len(in_one_process) == CHUNK * 3
    assert staged_rows(tmp_path, second_chunk_empty, workers=2) == in_one_process


def test_staging_in_parallel_reports_a_failing_worker(tmp_path):
    def produce(select):
        for record in select(range(10)):
            yield "statuses", (1 / (record - 5),)

    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        staged_rows(tmp_path, produce, workers=2)


def test_in_background_waits_and_raises_what_the_function_raised():
    def fails():
        raise BuildError("raw/x.csv", 3, "country", "XX", "unknown country", "Use an ISO code.")

    with in_background(fails) as wait:
        with pytest.raises(BuildError, match=r"raw/x.csv, line 3, field 'country': value 'XX' — unknown country"):
            wait()
    with in_background(print, "from a second process") as wait:
        wait()
