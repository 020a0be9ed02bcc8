import copy
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import datasette
import pytest
import yaml
from datasette.app import Datasette
from lxml import etree

from scripts.build import build
from scripts.read import RAW, ROOT
from scripts.settings import CORS, SETTINGS, as_flags

STRICT = os.environ.get("CI") in ("true", "1")


@pytest.fixture(scope="session")
def built_db(tmp_path_factory):
    """The real database, built from the current raw/ once per test session."""
    path = tmp_path_factory.mktemp("build") / "conscience.db"
    build(path, strict=STRICT)
    return path


@pytest.fixture(scope="session")
def conn(built_db):
    connection = sqlite3.connect(f"file:{built_db}?mode=ro", uri=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def metadata():
    with open(ROOT / "metadata.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def configuration(metadata):
    """metadata.yml as this Datasette takes it. Up to 0.65, whole; from 1.0 on, canned queries are configuration
    (datasette.yaml, passed with -c), no longer metadata: what an upgrade has to move (docs/datasette-1.0.md)."""
    if datasette.__version__.startswith("0."):
        return {"metadata": metadata}
    metadata = copy.deepcopy(metadata)
    queries = {name: database.pop("queries") for name, database in metadata["databases"].items() if "queries" in database}
    return {"metadata": metadata, "config": {"databases": {name: {"queries": q} for name, q in queries.items()}}}


def make_datasette(db_path, metadata):
    """The site as `make serve` runs it: immutable database, our metadata, settings and plugins."""
    return Datasette(
        immutables=[str(db_path)],
        **configuration(metadata),
        settings=SETTINGS,
        cors=CORS,
        plugins_dir=str(ROOT / "plugins"),
        template_dir=str(ROOT / "templates"),
    )


@pytest.fixture(scope="session")
def ds(built_db, metadata):
    return make_datasette(built_db, metadata)


@pytest.fixture(scope="session")
def get(ds):
    async def get(path):
        response = await ds.client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        return response

    return get


def copy_curated_raw(target):
    """A copy of raw/ with its curated sources and reference tables (large upstream lists left out)."""
    shutil.copytree(RAW, target)
    for meta_path in target.glob("*/source.yml"):
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        if meta.get("sha256") and meta["id"] != "country-centroids":
            shutil.rmtree(meta_path.parent)
    return target


@pytest.fixture
def raw(tmp_path):
    return copy_curated_raw(tmp_path / "raw")


@pytest.fixture
def lists_raw(tmp_path):
    """The curated sources, with small extracts of CECC and CPPC (tests/fixtures/withholding: real rows about Qin
    Yongmin, known to both, and two CECC narratives naming him) in place of the upstream lists: no mirror needed."""
    raw = copy_curated_raw(tmp_path / "raw")
    for folder in (ROOT / "tests" / "fixtures" / "withholding").iterdir():
        shutil.copytree(folder, raw / folder.name)
    links = (raw / "links.csv").read_text(encoding="utf-8").splitlines(keepends=True)  # lines about other records go
    (raw / "links.csv").write_text("".join(line for line in links if "cecc-ppd/" not in line and "cppc-china/" not in line),
                                   encoding="utf-8")
    return raw


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base, server):
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"nothing answered at {base}")


def serve_site(database, command=None, cwd=None):
    """A real `datasette serve` of `database` with the site's configuration on a free loopback port.

    `command` (with {port}) replaces the default command line. Returns (process, base URL)."""
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    command = command or ["datasette", "serve", "-i", str(database), "--metadata", str(ROOT / "metadata.yml"),
                          "--plugins-dir", str(ROOT / "plugins"), "--template-dir", str(ROOT / "templates"),
                          *as_flags(), "--host", "127.0.0.1", "--port", "{port}"]
    server = subprocess.Popen([part.replace("{port}", str(port)) for part in command], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, server)
    return server, base


ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(ROOT / "tests" / "fixtures" / "atom.rng")))


def check_atom_feed(xml):
    """A feed valid by RFC 4287: its schema, and the rules stated beside it (an author on the feed or on every
    entry, absolute IRIs, entry ids unique). Returns the entries."""
    feed = etree.fromstring(xml)
    assert ATOM_SCHEMA.validate(feed), ATOM_SCHEMA.error_log.last_error
    entries = feed.findall(f"{ATOM}entry")
    assert feed.find(f"{ATOM}author") is not None or all(e.find(f"{ATOM}author") is not None for e in entries)
    for link in feed.iter(f"{ATOM}link"):
        assert urllib.parse.urlparse(link.get("href")).scheme in ("http", "https"), link.get("href")
    for element in feed.iter(f"{ATOM}id"):
        assert urllib.parse.urlparse(element.text).scheme, element.text
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(ids) == len(set(ids))
    return entries
