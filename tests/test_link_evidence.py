"""Linking's evidence beyond names: detention dates, places and sentence terms, each scored on two profiles."""

from scripts.link import (
    Profile,
    detention_dates_agree,
    places_agree,
    score,
    sentences_agree,
)


def person(source, detentions=(), point=None, birth=None):
    return Profile(person_id=f"{source}-1", source_id=source, priority=1, native=None, sex=None, birth=birth,
                   point=point, detentions=list(detentions))


def test_detention_dates_agree_to_the_day_or_the_month():
    cecc = person("cecc", [("2016-06-06", "day", 12.0, None, None)])
    assert detention_dates_agree(cecc, person("list", [("2016-06-06", "day", None, None, None)])) == (2, "date of detention")
    assert detention_dates_agree(cecc, person("list", [("2016-06", "month", None, None, None)])) == (1, "month of detention")
    assert detention_dates_agree(cecc, person("list", [("2016", "year", None, None, None)])) is None
    assert detention_dates_agree(cecc, person("list", [("2015-06-06", "day", None, None, None),
                                                        ("2016-06-06", "day", None, None, None)]))[0] == 2  # any detention


def test_places_agree_only_at_the_same_city():
    assert places_agree(person("a", point=(43.88, 125.32)), person("b", point=(43.88, 125.32))) == (1, "place")
    assert places_agree(person("a", point=(43.88, 125.32)), person("b", point=(41.8, 123.4))) is None
    assert places_agree(person("a"), person("b")) is None


def test_sentences_agree_on_the_day_of_release_the_term_or_where_it_ends():
    detained = person("cecc", [("2016-06-06", "day", 12.0, None, None)])  # Hu Changgen, CECC: 12 months from 2016-06-06
    ends = person("cppc", [(None, None, None, "2017-06-05", None)])
    assert sentences_agree(detained, ends) == (2, "sentence end to the day")
    assert sentences_agree(ends, detained) == (2, "sentence end to the day")
    assert sentences_agree(detained, person("cppc", [(None, None, None, "2017-06-20", None)])) == (1, "sentence end")
    assert sentences_agree(detained, person("cppc", [(None, None, None, "2019-06-05", None)])) is None
    assert sentences_agree(detained, person("other", [("2016-07", "month", 12.0, None, None)])) == (1, "sentence term")
    released = person("cecc", [("2016-06", "month", None, None, "2018-09-25")])  # Lin Mingjie: released on the day
    assert sentences_agree(released, person("cppc", [(None, None, None, "2018-09-25", None)])) == (2, "day of release")


def test_the_evidence_adds_up_in_the_score():
    a = person("cecc", [("2016-06-06", "day", 12.0, None, None)], point=(1.0, 2.0), birth=(1970, 1970))
    b = person("cppc", [(None, None, None, "2017-06-05", None)], point=(1.0, 2.0), birth=(1970, 1970))
    assert score(a, b, unique=True) == (1 + 2 + 1 + 2 + 1, "romanised name + birth year + place + "
                                                           "sentence end to the day + only match in each list")
