"""Every link a page makes resolves: a crawl of the home page, one person of every source and every kind of page,
following each local link once (issue 28: every source-record link of a person page was a 404)."""

import html
import re

import pytest

pytestmark = pytest.mark.pages

# One page of every kind the site makes, beside the home page and a person per source.
START = ["/", "/?_lang=vi", "/about", "/releases", "/search?q=Nguyen+Van+Dai", "/organization/viasna",
         "/campaign/china-mechanism-letter", "/charge/VN-PC2015-117", "/charge/CN-CL1997-105", "/conscience",
         "/conscience/persons", "/conscience/charges", "/conscience/reprisals", "/conscience/records/cecc-ppd~2F2011-00179",
         "/conscience?sql=select+id,+name+from+persons+limit+3", "/person/no-such-person"]
LINK = re.compile(r'(?:href|src|action)="(/(?!/)[^"#]*)')


def local_links(text):
    return {html.unescape(link) for link in LINK.findall(text)}


async def test_no_local_link_of_any_page_is_a_404(ds, conn):
    people = [person for (person,) in conn.execute(
        "select min(person_id) from records group by source_id order by source_id")]
    pages = START + [f"/person/{person}" for person in people]
    links = {}
    for path in pages:
        response = await ds.client.get(path)
        assert response.status_code == (404 if "no-such" in path else 200), path
        for link in local_links(response.text):
            if link.split("?")[0] != path.split("?")[0] or response.status_code == 200:  # a 404's language switch
                links.setdefault(link, path)
    assert len(links) > 1000
    broken = []
    for link, found_on in sorted(links.items()):
        status = (await ds.client.get(link)).status_code
        if status == 404:
            broken.append((link, found_on))
    assert broken == []


async def test_a_person_pages_source_records_open(ds):
    text = (await ds.client.get("/person/jiang-tianyong")).text
    assert 'href="/conscience/records/cecc-ppd~2F2011-00179"' in text
    record = await ds.client.get("/conscience/records/cecc-ppd~2F2011-00179")
    assert record.status_code == 200 and "2011-00179" in record.text


@pytest.mark.parametrize("path, says", [
    ("/conscience/records/cecc-ppd/2011-00179", None),
    ("/person/nobody", "Person not found"),
    ("/conscience/no_such_table", "Table not found"),
    ("/conscience/persons.xml", "There is no .xml format"),
])
async def test_a_404_says_what_was_not_found_and_offers_search(ds, path, says):
    response = await ds.client.get(path)
    assert response.status_code == 404
    text = response.text
    assert "<h1>Not found</h1>" in text and f'<code translate="no">{path}</code>' in text
    assert says is None or says in text
    assert 'role="search"' in text and 'action="/search"' in text and 'name="q"' in text
