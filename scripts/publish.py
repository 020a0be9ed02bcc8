"""Publish conscience.db to Fly with exactly the versions the tests ran, and only when something changed
(docs/publishing.md): `python -m scripts.publish fingerprint | compare --live URL | deploy [--generate-dir DIR]`."""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from importlib.metadata import distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pooch import file_hash

from scripts.read import ROOT
from scripts.settings import as_flags

DATABASE = ROOT / "conscience.db"
# What the published app runs; everything they need comes along, at the versions pinned in requirements.txt.
# anyascii: plugins/pages_search.py; feedgen: plugins/feeds.py; babel: plugins/i18n.py
RUNTIME = ("datasette", "datasette-cluster-map", "feedgen", "anyascii", "babel")
CONFIGURATION = ("metadata.yml", "scripts/settings.py", "requirements.txt", "plugins", "templates", "fly.toml")
# Where the site runs: Amsterdam and Singapore, nearer the readers in Asia (docs/scaling.md: when to add machines).
REGIONS = ("ams", "sin")
MACHINES_PER_REGION = 1


def runtime_pins():
    """name==version for the runtime packages and all they depend on, as requirements.txt pins them."""
    lines = [line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
             if "==" in line and not line.startswith("#")]
    pins = {canonicalize_name(name): version.strip() for name, version in lines}
    seen, todo = set(), list(RUNTIME)
    while todo:
        name = canonicalize_name(todo.pop())
        if name not in seen:
            seen.add(name)
            requirements = map(Requirement, distribution(name).requires or [])
            todo += [r.name for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]
    if missing := sorted(seen - set(pins)):
        sys.exit(f"requirements.txt does not pin {', '.join(missing)}: regenerate it (see its header).")
    return [f"{name}=={pins[name]}" for name in sorted(seen)]


def fingerprint(database=DATABASE):
    """(data sha256 — the same hash `datasette inspect` reports —, configuration sha256)."""
    digest = hashlib.sha256()
    for path in map(ROOT.joinpath, CONFIGURATION):
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode() + file.read_bytes())
    return file_hash(database), digest.hexdigest()


def version_note(database=DATABASE):
    return "data:{:.16} config:{:.16}".format(*fingerprint(database))


def compare(live_url, database=DATABASE):
    """True if the built database or the configuration differs from what the live site serves."""
    def live(path):
        with urllib.request.urlopen(live_url.rstrip("/") + path, timeout=30) as response:
            return json.load(response)
    try:
        databases, versions = live("/-/databases.json"), live("/-/versions.json")
    except OSError as exc:
        print(f"live site unreachable ({exc}): treating as changed", file=sys.stderr)
        return True
    return (next((d.get("hash") for d in databases if d["name"] == "conscience"), None) != fingerprint(database)[0]
            or versions.get("datasette", {}).get("note") != version_note(database))


def generate(app, target, database=DATABASE):
    """The deploy directory at `target`: `datasette publish fly`'s, with the signing secret Datasette writes into the
    image removed (the site signs nothing), our fly.toml and the release's files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "datasette", "publish", "fly", str(database), "--app", app,
               "--metadata", str(ROOT / "metadata.yml"), "--plugins-dir", str(ROOT / "plugins"),
               "--template-dir", str(ROOT / "templates"), "--version-note", version_note(database),
               "--extra-options", " ".join(as_flags()), "--generate-dir", str(target),
               *(argument for pin in runtime_pins() for argument in ("--install", pin))]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    dockerfile = target / "Dockerfile"
    dockerfile.write_text(re.sub(r"^ENV DATASETTE_SECRET .*\n", "", dockerfile.read_text(encoding="utf-8"), flags=re.M),
                          encoding="utf-8")
    shutil.copy(ROOT / "fly.toml", target / "fly.toml")
    release = database.with_name(database.stem + ".release")
    if release.is_dir():
        shutil.copytree(release, target / release.name)


def deploy_commands(app, target):
    deploy = ["flyctl", "deploy", str(target), "--app", app, "--config", str(target / "fly.toml"), "--remote-only"]
    if os.environ.get("GITHUB_REPOSITORY"):  # the site links earlier releases, archived as the repository's releases
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        deploy += ["--env", f"CONSCIENCE_ARCHIVE={server}/{os.environ['GITHUB_REPOSITORY']}/releases"]
    scale = ["flyctl", "scale", "count", str(MACHINES_PER_REGION * len(REGIONS)), "--region", ",".join(REGIONS),
             "--max-per-region", str(MACHINES_PER_REGION), "--app", app, "--yes"]
    return [deploy, scale]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fingerprint")
    sub.add_parser("compare").add_argument("--live", required=True, help="the live site's base URL")
    deploy = sub.add_parser("deploy", help="deploy to the Fly app $FLY_APP (flyctl reads $FLY_API_TOKEN)")
    deploy.add_argument("--generate-dir", type=Path, help="write the deploy directory here instead of deploying")
    args = parser.parse_args(argv)
    if args.command == "fingerprint":
        print("data {}\nconfig {}".format(*fingerprint()))
    elif args.command == "compare":
        print(f"changed={'true' if compare(args.live) else 'false'}")
    else:
        if not (app := os.environ.get("FLY_APP")):
            sys.exit("Set FLY_APP to the Fly app's name (and FLY_API_TOKEN for flyctl).")
        if args.generate_dir:
            return generate(app, args.generate_dir)
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / app
            generate(app, target)
            for command in deploy_commands(app, target):
                subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
