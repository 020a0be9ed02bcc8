"""Publish conscience.db to Fly with exactly the versions the tests ran, and only when something changed.

    python -m scripts.publish fingerprint            # data and configuration fingerprints
    python -m scripts.publish compare --live URL     # "changed=true|false" against the live site
    python -m scripts.publish deploy [--generate-dir DIR]

deploy reads the app name from $FLY_APP; flyctl reads its token from $FLY_API_TOKEN. The deploy directory is
`datasette publish fly`'s, with the committed fly.toml (a health check on a page, no machine ever stopped) and the
release's files beside the database, and without the signing secret Datasette would write into the image (the site
signs nothing: each machine makes its own at startup). flyctl deploys it, then keeps MACHINES_PER_REGION machines in
each of REGIONS. With --generate-dir it only writes the directory. In GitHub Actions the site learns where earlier
releases are archived (the repository's GitHub releases: $CONSCIENCE_ARCHIVE, plugins/pages_releases.py).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import sys
import urllib.request
from importlib.metadata import distribution
from pathlib import Path

from packaging.requirements import Requirement

from scripts.read import ROOT
from scripts.read.fetch import sha256_of
from scripts.settings import as_flags

DATABASE = ROOT / "conscience.db"
# What the published app runs; everything they need comes along, at the versions pinned in requirements.txt.
# anyascii: plugins/pages_search.py; feedgen: plugins/feeds.py; babel: plugins/numbers.py
RUNTIME = ("datasette", "datasette-cluster-map", "feedgen", "anyascii", "babel")
CONFIGURATION = ("metadata.yml", "scripts/settings.py", "requirements.txt", "plugins", "templates", "fly.toml")
# Where the site runs: Amsterdam and Singapore, nearer the readers in Asia (docs/scaling.md: when to add machines).
REGIONS = ("ams", "sin")
MACHINES_PER_REGION = 1


def locked_versions():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[normalise(name)] = version.strip()
    return pins


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_pins():
    """name==version for the runtime packages and all they depend on, as installed for the tests."""
    pins, seen, todo = locked_versions(), set(), list(RUNTIME)
    while todo:
        name = normalise(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for spec in distribution(name).requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    missing = sorted(seen - set(pins))
    if missing:
        sys.exit(f"requirements.txt does not pin {', '.join(missing)}: regenerate it (see its header).")
    return [f"{name}=={pins[name]}" for name in sorted(seen)]


def sha256_of_files(paths):
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def configuration_files():
    files = []
    for name in CONFIGURATION:
        path = ROOT / name
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.exists():
            files.append(path)
    return files


def fingerprint(database=DATABASE):
    """(data sha256 — the same hash `datasette inspect` reports —, configuration sha256)."""
    return sha256_of(database), sha256_of_files(configuration_files())


def version_note(database=DATABASE):
    data, config = fingerprint(database)
    return f"data:{data[:16]} config:{config[:16]}"


def live(url, path):
    with urllib.request.urlopen(url.rstrip("/") + path, timeout=30) as response:
        return json.load(response)


def compare(live_url, database=DATABASE):
    """True if the built database or the configuration differs from what the live site serves."""
    data, _ = fingerprint(database)
    try:
        databases = live(live_url, "/-/databases.json")
        versions = live(live_url, "/-/versions.json")
    except OSError as exc:
        print(f"live site unreachable ({exc}): treating as changed", file=sys.stderr)
        return True
    live_hash = next((d.get("hash") for d in databases if d["name"] == "conscience"), None)
    live_note = versions.get("datasette", {}).get("note")
    return live_hash != data or live_note != version_note(database)


def publish_command(app, generate_dir=None, database=DATABASE):
    command = [
        sys.executable, "-m", "datasette", "publish", "fly", str(database), "--app", app,
        "--metadata", str(ROOT / "metadata.yml"), "--plugins-dir", str(ROOT / "plugins"),
        "--version-note", version_note(database), "--extra-options", " ".join(as_flags()),
    ]
    if (ROOT / "templates").is_dir() and any((ROOT / "templates").iterdir()):
        command += ["--template-dir", str(ROOT / "templates")]
    for pin in runtime_pins():
        command += ["--install", pin]
    if generate_dir:
        command += ["--generate-dir", str(generate_dir)]
    return command


def generate(app, target, database=DATABASE):
    """The deploy directory at `target` (see the module's docstring)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(publish_command(app, target, database), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    dockerfile = target / "Dockerfile"
    lines = dockerfile.read_text(encoding="utf-8").splitlines(keepends=True)
    dockerfile.write_text("".join(line for line in lines if not line.startswith("ENV DATASETTE_SECRET ")),
                          encoding="utf-8")
    shutil.copy(ROOT / "fly.toml", target / "fly.toml")
    release = database.with_name(database.stem + ".release")
    if release.is_dir():
        shutil.copytree(release, target / release.name)


def deploy_commands(app, target):
    """flyctl's commands: deploy the directory, then place the machines."""
    deploy = ["flyctl", "deploy", str(target), "--app", app, "--config", str(target / "fly.toml"), "--remote-only"]
    if os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        deploy += ["--env", f"CONSCIENCE_ARCHIVE={server}/{os.environ['GITHUB_REPOSITORY']}/releases"]
    scale = ["flyctl", "scale", "count", str(MACHINES_PER_REGION * len(REGIONS)), "--region", ",".join(REGIONS),
             "--max-per-region", str(MACHINES_PER_REGION), "--app", app, "--yes"]
    return [deploy, scale]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fingerprint")
    compare_parser = sub.add_parser("compare")
    compare_parser.add_argument("--live", required=True, help="the live site's base URL")
    deploy = sub.add_parser("deploy")
    deploy.add_argument("--generate-dir", type=Path, help="write the deploy directory here instead of deploying")
    args = parser.parse_args(argv)
    if args.command == "fingerprint":
        data, config = fingerprint()
        print(f"data {data}\nconfig {config}")
    elif args.command == "compare":
        print(f"changed={'true' if compare(args.live) else 'false'}")
    else:
        app = os.environ.get("FLY_APP")
        if not app:
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
