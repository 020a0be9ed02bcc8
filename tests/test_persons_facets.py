"""The persons table's facets answer common questions in one click, and show names, not codes (issue 28, items 3 and 8)."""

import html
import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.pages


def facet_links(page, column):
    """(label, href, count) of each value of a facet box on a table page."""
    box = page.split(f'data-column="{column}">', 1)[1].split("</ul>", 1)[0]
    return [(html.unescape(label), html.unescape(href), int(count.replace(",", "")))
            for href, label, count in re.findall(r'<li><a href="([^"]+)"[^>]*>(.*?)</a> ([\d,]+)(?: <a class="facet-page"[^>]*>§</a>)?</li>', box)]


async def test_how_many_uyghurs_and_how_many_detained_is_one_click(ds, conn):
    page = (await ds.client.get("/conscience/persons")).text
    ethnicities = {label: (href, count) for label, href, count in facet_links(page, "ethnicity")}
    religions = {label for label, _, _ in facet_links(page, "religion")}
    uyghurs = conn.execute("select count(*) from persons where ethnicity = 'Uyghur'").fetchone()[0]
    assert ethnicities["Uyghur"][1] == uyghurs > 0 and "Buddhist" in " ".join(religions)
    link = urlsplit(ethnicities["Uyghur"][0])  # Datasette's facet links are absolute
    clicked = (await ds.client.get(f"{link.path}?{link.query}")).text
    detained = {label: count for label, _, count in facet_links(clicked, "status")}["Detained"]
    assert detained == conn.execute(
        "select count(*) from persons where ethnicity = 'Uyghur' and status = 'detained'").fetchone()[0] > 0


async def facets_json(ds, path):
    data = (await ds.client.get(path)).json()
    return {name: {r["value"]: r for r in facet["results"]} for name, facet in data["facet_results"].items()}


async def test_facets_show_labels_and_keep_codes_in_values_and_links(ds, conn):
    page = (await ds.client.get("/conscience/persons")).text
    charges = {label: href for label, href, _ in facet_links(page, "charges")}
    label = "PRC Criminal Law 1997, art. 105: Subversion of state power; inciting subversion of state power"
    title = conn.execute("select law || ', art. ' || article || ': ' || title_en from charges "
                         "where id = 'CN-CL1997-105'").fetchone()[0]
    assert title == label and charges[label].endswith("charges__arraycontains=CN-CL1997-105")
    assert not [code for code in charges if re.fullmatch(r"[A-Z]{2}-[\w-]+", code)]  # no code shown for a name
    assert '<a class="facet-page" href="/charge/CN-CL1997-105"' in page  # the value's page, beside its filter
    stale = {label: href for label, href, _ in facet_links(page, "status_may_be_stale")}
    assert set(stale) == {"may be out of date", "not flagged as out of date"}
    assert stale["may be out of date"].endswith("status_may_be_stale=1")
    assert {label for label, _, _ in facet_links(page, "status_confirmed")} == {"confirmed", "unconfirmed"}

    persons = await facets_json(ds, "/conscience/persons.json?_size=0")
    assert persons["charges"]["CN-CL1997-105"]["label"] == label
    assert persons["status_may_be_stale"][1]["label"] == "may be out of date"
    assert persons["status_confirmed"][0]["label"] == "unconfirmed"
    reprisals = await facets_json(ds, "/conscience/reprisals.json?_size=0&_facet_size=max")
    names = dict(conn.execute("select id, name from un_mechanisms"))
    for code in ("cat", "ohchr", "wgeid"):
        assert reprisals["un_mechanisms"][code]["label"] == names[code] != code
        assert reprisals["un_mechanisms"][code]["toggle_url"].endswith(f"un_mechanisms__arraycontains={code}")
    by_mechanism = await facets_json(ds, "/conscience/reprisal_mechanisms.json?_size=0&_facet_size=max")
    assert by_mechanism["un_mechanism"]["wgeid"]["label"] == names["wgeid"]
    reprisals_page = (await ds.client.get("/conscience/reprisals")).text
    assert names["ohchr"] in [label for label, _, _ in facet_links(reprisals_page, "un_mechanisms")]


async def test_cells_show_labels_and_link_a_charge_to_its_page(ds, conn):
    page = (await ds.client.get("/conscience/persons?id=jiang-tianyong")).text
    cells = dict(re.findall(r'<td class="col-([a-z_]+) type-\w+">(.*?)</td>', page))
    assert cells["charges"] == ('<a href="/charge/CN-CL1997-105">PRC Criminal Law 1997, art. 105: Subversion of state '
                                'power; inciting subversion of state power</a>')
    assert cells["status_may_be_stale"] == "not flagged as out of date"
    reprisals = (await ds.client.get("/conscience/reprisals?un_mechanisms__arraycontains=wgeid")).text
    name = conn.execute("select name from un_mechanisms where id = 'wgeid'").fetchone()[0]
    assert html.escape(name, quote=True) in re.findall(r'<td class="col-un_mechanisms type-str">(.*?)</td>', reprisals)[0]
    vietnamese = (await ds.client.get("/conscience/persons?id=jiang-tianyong&_lang=vi")).text
    assert '<a href="/charge/CN-CL1997-105?_lang=vi" lang="en">' in vietnamese and "không bị đánh dấu là lỗi thời" in vietnamese
