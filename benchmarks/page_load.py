"""Bytes transferred and load time of the home, persons table and person pages, measured in Chromium.

    .venv/bin/python benchmarks/page_load.py [--root CHECKOUT] [--database conscience.db]

Serves `database` with the site configuration of CHECKOUT (metadata, plugins, templates; this one by default),
then loads each page RUNS times in a fresh browser context (nothing cached) with Chromium's network unthrottled
and throttled like Lighthouse's mobile profile (1.6 Mbit/s down, 150 ms round trip). Prints, per page and
profile, the bytes the browser received for the page and everything it loaded (Resource Timing transferSize),
and the median time to the load event. Run it on a checkout before and after a change to compare.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"home": "/", "persons table": "/conscience/persons", "person page": "/person/jiang-tianyong"}
PROFILES = {"unthrottled": None,
            "mobile (1.6 Mbit/s, 150 ms)": {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
                                             "uploadThroughput": 750e3 / 8}}
RUNS = 5
TRANSFERRED = """() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return entries.reduce((sum, e) => sum + e.transferSize, 0);
}"""
LOAD_MS = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"


def serve(root, database, port):
    settings = subprocess.run([sys.executable, "-m", "scripts.settings"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.split()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "datasette"), "serve", "-i", str(database), "--metadata", "metadata.yml",
         "--plugins-dir", "plugins", "--template-dir", "templates", *settings, "--port", str(port)],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def measure(base):
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        for profile, conditions in PROFILES.items():
            for name, path in PAGES.items():
                loads, sizes = [], []
                for _ in range(RUNS):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    if conditions:
                        session = context.new_cdp_session(page)
                        session.send("Network.enable")
                        session.send("Network.emulateNetworkConditions", conditions)
                    page.goto(base + path, wait_until="load")
                    loads.append(page.evaluate(LOAD_MS))
                    sizes.append(page.evaluate(TRANSFERRED))
                    context.close()
                results[(profile, name)] = (statistics.median(sizes), statistics.median(loads))
        browser.close()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--database", type=Path, default=ROOT / "conscience.db")
    parser.add_argument("--port", type=int, default=8199)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "conscience.db"  # served under the name metadata.yml uses
        shutil.copy(args.database, database)
        server = serve(args.root.resolve(), database, args.port)
        try:
            base = f"http://127.0.0.1:{args.port}"
            for path in PAGES.values():  # the server's first answer to each page is made, later ones remembered
                urllib.request.urlopen(base + path).read()
            results = measure(base)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("| page | network | bytes transferred | load (median of 5) |\n| --- | --- | --- | --- |")
    for (profile, name), (size, load) in results.items():
        print(f"| {name} | {profile} | {size / 1000:,.1f} kB | {load:,.0f} ms |")


if __name__ == "__main__":
    main()
