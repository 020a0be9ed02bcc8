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
            for href, label, count in re.findall(r'<li><a href="([^"]+)"[^>]*>(.*?)</a> ([\d,]+)</li>', box)]


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
