"""A charge page counts each article apart, as the persons table's facet and filter count it (issue 28, item 2)."""

import html
import re

import pytest

pytestmark = pytest.mark.pages

HEADING = re.compile(r'<h2>(.*?): <a class="count" href="([^"]+)">([\d,]+)</a></h2>', re.DOTALL)


def text(markup):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", markup))).strip()


async def charges_facet(ds):
    data = (await ds.client.get("/conscience/persons.json?_size=0&_facet_size=max")).json()
    return {r["value"]: r["count"] for r in data["facet_results"]["charges"]["results"]}


@pytest.mark.parametrize("charge, headings", [
    ("VN-PC2015-117", [("Charged under this article", "VN-PC2015-117"),
                       ("Charged under its predecessor, Vietnam Penal Code 1999, art. 88", "VN-PC1999-88")]),
    ("VN-PC1999-88", [("Charged under this article", "VN-PC1999-88"),
                      ("Charged under its successor, Vietnam Penal Code 2015, art. 117", "VN-PC2015-117")]),
    ("CN-CL1997-105", [("Charged under this article", "CN-CL1997-105")]),
])
async def test_each_article_is_counted_apart_as_the_facet_and_its_filter_count_it(ds, charge, headings):
    page = (await ds.client.get(f"/charge/{charge}")).text
    found = HEADING.findall(page)
    facet = await charges_facet(ds)
    assert [(text(words), html.unescape(href).split("=")[-1]) for words, href, _ in found] == headings
    for (_, href, count), (_, counted) in zip(found, headings, strict=True):
        count = int(count.replace(",", ""))
        assert href == f"/conscience/persons?charges__arraycontains={counted}"
        filtered = (await ds.client.get(href.replace("/persons?", "/persons.json?_size=0&"))).json()
        assert count == facet[counted] == filtered["filtered_table_rows_count"] > 0, (charge, counted)


def detained_dates(page, person_id):
    """The dates a charge page gives beside a person's name."""
    item = page.split(f'href="/person/{person_id}"', 1)[1].split("</li>", 1)[0]
    return re.findall(r'<time datetime="([^"]+)"', item.split("Status", 1)[0])


async def test_a_persons_detention_is_dated_as_on_their_own_page(ds):
    """Nguyễn Lân Thắng's charge comes from one source's row of his detention, its date from another's: the
    charge page showed 'unknown date', his page 2022."""
    page = (await ds.client.get("/charge/VN-PC2015-117")).text
    assert detained_dates(page, "nguyen-lan-thang") == ["2022"]
    own = (await ds.client.get("/person/nguyen-lan-thang")).text
    detentions = own.split('<table class="simple detentions">', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'Detained:</small>\s*<time datetime="([^"]+)"', detentions) == ["2022"]
