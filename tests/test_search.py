"""Search finds the person first, says what it reads, and takes any query without an error."""

import re

import pytest

# name typed -> the person's name as the site writes it; several scripts, with and without diacritics or tones
WELL_KNOWN = {
    "Liu Xiaobo": "Liu Xiaobo", "刘晓波": "Liu Xiaobo", "Liú Xiǎobō": "Liu Xiaobo", "Ilham Tohti": "Ilham Tohti",
    "Xu Zhiyong": "Xu Zhiyong", "Jiang Tianyong": "Jiang Tianyong", "江天勇": "Jiang Tianyong",
    "Nguyễn Lân Thắng": "Nguyễn Lân Thắng", "Nguyen Lan Thang": "Nguyễn Lân Thắng", "Ding Jiaxi": "Ding Jiaxi",
    "Ales Bialiatski": "Ales Bialiatski", "Gao Zhisheng": "Gao Zhisheng", "Abdurehim Heyit": "Abdurehim Heyit",
}
FTS_SYNTAX = ['"', '""', '" "', " ", "*", "NEAR(", "AND", "OR NOT", "-x", "^a", 'a"b', "{name}:x", "(", "name:liu", "'"]


async def search(ds, query):
    response = await ds.client.get("/conscience/search.json", params={"q": query, "_shape": "array"})
    assert response.status_code == 200, (query, response.text[:200])
    return response.json()


@pytest.mark.parametrize("typed", WELL_KNOWN)
async def test_a_well_known_name_finds_the_person_first(ds, typed):
    rows = await search(ds, typed)
    assert rows[0]["name"] == WELL_KNOWN[typed] and rows[0]["matched_in"] == "full name", rows[:3]
    page = (await ds.client.get("/search", params={"q": typed})).text
    first = re.search(r'<ol class="results">\s*<li><a href="/person/([^"]+)">([^<]+)</a>', page)
    assert first.group(2) == WELL_KNOWN[typed] and first.group(1) == rows[0]["id"]


async def test_the_best_matches_come_first_then_names_then_other_fields(ds):
    rows = await search(ds, "Liu Xiaobo")
    matched = [row["matched_in"] for row in rows]
    assert matched == sorted(matched, key=["full name", "name", "summary, occupation or place"].index)
    assert len(rows) > 30  # he is named in other people's summaries


async def test_a_searched_persons_table_shows_the_best_matches_above_it(ds):
    html = (await ds.client.get("/conscience/persons?_search=Liu+Xiaobo&_sort=name")).text
    best = html.split('<section class="best-matches">')[1].split("</section>")[0]
    assert re.search(r'<li><a href="/person/cecc-ppd-2004-03114">Liu Xiaobo</a>', best)
    assert best.index("Liu Xiaobo") < best.index("</li>")
    assert "not ethnicity" in best and 'href="/search?q=Liu%20Xiaobo"' in best


@pytest.mark.parametrize("query", FTS_SYNTAX)
async def test_fts_syntax_is_searched_as_text_never_an_error(ds, query):
    for path, params in [("/conscience/search.json", {"q": query}), ("/search", {"q": query}),
                         ("/conscience/persons.json", {"_search": query}), ("/conscience/persons", {"_search": query}),
                         ("/conscience/organizations.json", {"_search": query})]:
        response = await ds.client.get(path, params=params)
        assert response.status_code == 200 and "Invalid SQL" not in response.text, (path, query, response.text[:200])


async def test_the_search_page_says_what_it_reads(ds, conn):
    page = re.sub(r"\s+", " ", (await ds.client.get("/search", params={"q": "Uyghur"})).text)
    found = conn.execute("SELECT count(*) FROM persons_fts WHERE persons_fts MATCH 'uyghur'").fetchone()[0]
    recorded = conn.execute("SELECT count(*) FROM persons WHERE ethnicity = 'Uyghur'").fetchone()[0]
    assert f"<strong>{found:,}</strong> persons match “Uyghur”" in page and found != recorded
    assert "by summary, occupation or place" in page
    assert "not ethnicity" in page and "the ethnicity facet counts those whose recorded ethnicity is Uyghur" in page
    home = re.sub(r"\s+", " ", (await ds.client.get("/")).text)
    assert 'action="/search"' in home and "not ethnicity" in home


@pytest.mark.parametrize("typed", WELL_KNOWN)
async def test_a_searched_persons_tables_json_comes_best_first_as_the_page_does(ds, typed):
    rows = (await ds.client.get("/conscience/persons.json", params={"_search": typed, "_shape": "array"})).json()
    assert rows[0]["id"] == (await search(ds, typed))[0]["id"]
    by_name = (await ds.client.get("/conscience/persons.json", params={"_search": typed, "_sort": "name",
                                                                          "_shape": "array"})).json()
    assert [row["name"] for row in by_name] == sorted(row["name"] for row in by_name)  # an asked sort is kept
