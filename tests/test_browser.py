"""The site in a real headless Chromium (Debian's package, driven by Playwright; no browser download).

Screenshots go to screenshots/ (git-ignored). The escaping test builds a database with a
SYNTHETIC, test-only source whose names are script injections; it is never published.
"""

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scripts.build import main as build
from scripts.rawfiles import ROOT

from .conftest import copy_curated_raw, serve_site

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "screenshots"
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: 'make browser' (part of make test) installs Debian's chromium")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")


@pytest.fixture(scope="module")
def site(built_db, tmp_path_factory):
    database = tmp_path_factory.mktemp("site") / "conscience.db"  # served under the name metadata.yml uses
    shutil.copy(built_db, database)
    server, base = serve_site(database)
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / (re.sub(r"[^\w.-]+", "_", request.node.name) + ".png")), full_page=False)
    context.close()


def row_count(page):
    heading = page.locator("h3").filter(has_text="row").first.inner_text()
    return int(heading.split()[0].replace(",", ""))


def test_home_page_loads(page, site):
    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "Conscience"
    assert page.locator("svg.chart").count() >= 4


def test_clicking_a_facet_narrows_the_persons_table(page, site):
    page.goto(site + "/conscience/persons")
    everyone = row_count(page)
    page.locator(".facet-info[data-column=status] a", has_text="Detained").first.click()
    page.wait_for_url("**status=detained**")
    assert 0 < row_count(page) < everyone


@pytest.mark.parametrize("query", ["Nguyen Lan Thang", "Nguyễn Lân Thắng"])
def test_search_with_and_without_diacritics_then_open_the_person(page, site, query):
    page.goto(site + "/conscience/persons")
    page.fill("#_search", query)
    page.press("#_search", "Enter")
    page.wait_for_url("**_search=**")
    page.locator("a", has_text="Nguyễn Lân Thắng").first.click()
    page.wait_for_url("**/person/nguyen-lan-thang")
    assert page.locator("h1").inner_text().startswith("Nguyễn Lân Thắng")


def test_the_map_has_markers_and_a_popup_opens(page, site):
    page.goto(site + "/conscience/persons_map?id=jiang-tianyong")
    marker = page.locator(".leaflet-marker-icon").first
    marker.wait_for(timeout=15000)
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Jiang Tianyong" in popup.inner_text()
    assert popup.locator("a").get_attribute("href") == "/person/jiang-tianyong"


def test_a_canned_query_runs(page, site):
    page.goto(site + "/conscience/detained_under_article?article=342&country=BY")
    names = page.locator("table.rows-and-columns tbody tr").all_inner_texts()
    assert len(names) == 7 and any("Ales Bialiatski" in row for row in names)


def test_the_language_switch_changes_labels(page, site):
    page.goto(site + "/")
    page.locator(".lang-switch a", has_text="Tiếng Việt").click()
    page.wait_for_url("**lang=vi")
    assert page.locator("h2", has_text="Cá nhân theo tình trạng").count() == 1
    page.locator(".lang-switch a", has_text="中文").click()
    page.wait_for_url("**lang=zh")
    assert page.locator("h2", has_text="按状态分类的人员").count() == 1


ACCESSIBILITY_PAGES = ["/", "/conscience/persons", "/person/jiang-tianyong", "/charge/CN-CL1997-105",
                       "/campaign/china-mechanism-letter", "/conscience/persons_map"]


@pytest.mark.parametrize("lang", ["en", "vi", "zh"])
@pytest.mark.parametrize("path", ACCESSIBILITY_PAGES)
def test_axe_finds_no_serious_or_critical_violation(page, site, path, lang):
    page.goto(site + path + ("" if lang == "en" else f"?_lang={lang}"))
    if "persons_map" in path:
        page.locator(".leaflet-marker-icon").first.wait_for(timeout=15000)
    assert page.locator("main").count() == 1
    violations = axe_playwright.Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


PHONE_PAGES = ["/", "/conscience/persons", "/conscience/persons_map", "/person/jiang-tianyong",
               "/person/cecc-ppd-2004-03114", "/charge/CN-CL1997-105", "/campaign/china-mechanism-letter", "/about"]


@pytest.mark.parametrize("lang", ["en", "vi", "zh"])
def test_nothing_scrolls_sideways_on_a_phone(browser, site, lang):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        for path in PHONE_PAGES:
            phone.goto(site + path + ("" if lang == "en" else f"?_lang={lang}"))
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
            for chart in phone.locator("svg.chart").all():
                assert chart.bounding_box()["width"] <= 390, path
            title = phone.locator("h1").first
            words = title.inner_text().split()
            assert title.bounding_box()["height"] < 2 * 48 * max(1, len(words)), path  # lines break between words
        SHOTS.mkdir(exist_ok=True)
        phone.goto(site + f"/conscience/persons?_lang={lang}")
        phone.screenshot(path=str(SHOTS / f"phone_persons_{lang}.png"))
    finally:
        context.close()


def test_a_table_shows_its_rows_first_and_its_column_descriptions_one_click_away(browser, site):
    for width, height, most in [(1280, 900, 1600), (390, 844, 2200)]:
        context = browser.new_context(viewport={"width": width, "height": height})
        tab = context.new_page()
        tab.goto(site + "/conscience/persons")
        first_row = tab.locator("table.rows-and-columns tbody tr").first.bounding_box()["y"]
        assert first_row < most, (width, first_row)
        descriptions = tab.locator("details.column-descriptions")
        assert not descriptions.locator("dl").is_visible()
        descriptions.locator("summary").click()
        assert descriptions.locator("dt", has_text="status_confirmed").is_visible()
        context.close()


def test_a_feed_link_resolves(page, site):
    page.goto(site + "/")
    href = page.locator("a", has_text="new arrests").first.get_attribute("href")
    response = page.request.get(site + href)
    assert response.status == 200 and "xml" in response.headers["content-type"]
    ET.fromstring(response.body())


PAGE_KINDS = ["/", "/?lang=vi", "/conscience", "/conscience/persons", "/conscience/persons_map?country=BY",
              "/conscience/persons/jiang-tianyong", "/person/jiang-tianyong", "/charge/CN-CL1997-105",
              "/campaign/china-mechanism-letter", "/organization/acat-belgium", "/conscience?sql=select+1",
              "/conscience/detained_under_article?article=117&country=VN", "/conscience/sources"]


def test_every_page_kind_runs_under_the_content_security_policy(page, site):
    """No page needs a script the Content-Security-Policy refuses: its own scripts all run, the map's included."""
    page.add_init_script("window.violations = []; document.addEventListener('securitypolicyviolation', "
                         "e => window.violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')))")
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    for path in PAGE_KINDS:
        response = page.goto(site + path)
        assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.violations") == [], path
    assert refused == []
    page.goto(site + "/conscience/persons_map?country=BY")
    page.locator(".leaflet-marker-icon").first.wait_for(timeout=15000)  # the map's scripts ran


INJECTIONS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>"]
SYNTHETIC = {
    "source.yml": "id: test-escaping\ntitle: Escaping fixture (synthetic, tests only)\npublisher: Conscience tests\n"
                  "url: javascript:alert(3)\nlicence: test\nas_of: '2026-01-01'\nlanguage: en\nkind: test fixture\n"
                  "description: Invented hostile names for the escaping test.\n",
    "persons.csv": "id,name,alternate_names,country,status,summary,source_line\n"
                   f"xss-person,{INJECTIONS[0]},{INJECTIONS[1]},VN,detained,\"<b onmouseover=alert(4)>bold</b>\",1\n",
    "detentions.csv": "id,person_id,kind,detained_on,source_line\nxss-1,xss-person,detention,2026-01,1\n",
    "detention_charges.csv": f"detention_id,charge_id,charge_as_written,source_line\nxss-1,VN-PC1999-88,\"{INJECTIONS[1]}\",1\n",
    "events.csv": "id,person_id,date,event_type,description,source_line\n"
                  f"xss-event,xss-person,2026-01,arrest,{INJECTIONS[0]},1\n",
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("escaping")
    raw = copy_curated_raw(tmp / "raw")
    build(["--raw", str(raw), "--out", str(tmp / "before.db"), "--release-date", "2026-01-01"])
    (raw / "test-escaping").mkdir()
    for name, text in SYNTHETIC.items():
        (raw / "test-escaping" / name).write_text(text, encoding="utf-8")
    (tmp / "site").mkdir()
    build(["--raw", str(raw), "--out", str(tmp / "site" / "conscience.db"), "--release-date", "2026-02-01",
           "--previous", str(tmp / "before.db")])
    server, base = serve_site(tmp / "site" / "conscience.db")
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize("path", ["/conscience/persons?id=xss-person", "/person/xss-person",
                                  "/conscience/persons_map?id=xss-person", "/conscience/feed_changes.atom",
                                  "/conscience/feed_events.jsonfeed", "/charge/VN-PC1999-88",
                                  "/conscience/persons/xss-person"])
def test_hostile_names_show_as_text_and_no_script_runs(page, hostile_site, path):
    page.goto(hostile_site + path)
    if "persons_map" in path:
        page.locator(".leaflet-marker-icon").first.click()
        page.locator(".leaflet-popup-content").wait_for()
        assert INJECTIONS[0] in page.locator(".leaflet-popup-content").inner_text()
    elif "feed" not in path:
        assert INJECTIONS[0] in page.locator("body").inner_text()
    else:
        assert "&lt;script&gt;" in page.content() or "\\u003cscript" in page.content() or "<script>alert" in \
            page.locator("body").inner_text()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.locator("img[src=x]").count() == 0
