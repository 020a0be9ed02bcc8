"""Developers and crawlers: /about in three languages with examples that work against the site, valid Atom
feeds with absolute links and discovery links, robots.txt and sitemap.xml."""

import re

import lxml.html
import pytest
from lxml import etree

from .conftest import check_atom_feed

FEEDS = ["feed_new_arrests", "feed_releases", "feed_changes", "feed_events"]


@pytest.mark.parametrize("lang,heading", [("en", "The JSON and CSV API"), ("vi", "API JSON và CSV"),
                                          ("zh", "JSON 与 CSV API")])
async def test_about_page_in_three_languages_linked_from_every_footer(ds, lang, heading):
    html = (await ds.client.get(f"/about?_lang={lang}")).text
    assert heading in html and "CC BY 4.0" in html and "sha256" not in html.lower().split("<code>")[0][-50:]
    for path in ["/", "/person/jiang-tianyong", "/conscience/persons"]:
        footer = (await ds.client.get(f"{path}?_lang={lang}")).text.split('<footer class="ft">')[1]
        assert f'href="/about{"" if lang == "en" else "?_lang=" + lang}"' in footer, path


async def test_every_api_example_on_the_about_page_works(ds):
    tree = lxml.html.fromstring((await ds.client.get("/about")).text)
    examples = [a.get("href") for a in tree.xpath("//p[@class='example']//a")]
    assert len(examples) >= 9
    for url in examples:
        path = url.removeprefix("http://localhost")
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        if ".json" in path and "_shape=array" in path:
            assert len(response.json()) > 0, path
        if "detentions.json?_size=100" in path:
            following = await ds.client.get(response.json()["next_url"].removeprefix("http://localhost"))
            assert following.status_code == 200 and len(following.json()["rows"]) == 100


@pytest.mark.parametrize("feed", FEEDS)
async def test_every_feed_is_valid_atom_with_absolute_links(ds, feed):
    entries = check_atom_feed((await ds.client.get(f"/conscience/{feed}.atom")).content)
    assert entries
    check_atom_feed((await ds.client.get(f"/conscience/{feed}.atom?country=CN")).content)


async def test_pages_announce_their_feeds(ds):
    def feeds(html):
        return [link.get("href") for link in lxml.html.fromstring(html).xpath(
            "//head/link[@rel='alternate'][@type='application/atom+xml']")]

    home = feeds((await ds.client.get("/")).text)
    assert sorted(home) == sorted(f"http://localhost/conscience/{feed}.atom" for feed in FEEDS)
    assert "http://localhost/conscience/feed_changes.atom" in feeds((await ds.client.get("/conscience/changes")).text)
    assert feeds((await ds.client.get("/conscience/events")).text) == ["http://localhost/conscience/feed_events.atom"]
    for href in home:
        assert (await ds.client.get(href.removeprefix("http://localhost"))).status_code == 200


async def test_robots_txt_points_crawlers_to_the_sitemap_and_away_from_endless_tables(ds):
    robots = (await ds.client.get("/robots.txt")).text.splitlines()
    assert "Disallow: /conscience" in robots and "Disallow: /-/" in robots and "Disallow: /" not in robots
    assert "Sitemap: http://localhost/sitemap.xml" in robots


async def test_the_sitemap_lists_every_person_organisation_campaign_and_charge_page(ds, conn):
    sitemap = etree.fromstring((await ds.client.get("/sitemap.xml")).content)
    locs = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locs) == len(set(locs)) <= 50_000
    assert all(re.fullmatch(r"http://localhost/[A-Za-z0-9._~/-]*", loc) for loc in locs)
    paths = {loc.removeprefix("http://localhost") for loc in locs}
    for page, table in [("person", "persons"), ("organization", "organizations"), ("campaign", "campaigns"),
                        ("charge", "charges")]:
        ids = {f"/{page}/{row_id}" for (row_id,) in conn.execute(f"select id from {table}")}
        assert ids <= paths, page
    assert {"/", "/about"} <= paths
    for path in ["/about", "/person/jiang-tianyong", "/organization/viasna", "/charge/VN-PC2015-117"]:
        assert (await ds.client.get(path)).status_code == 200
