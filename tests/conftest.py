import os
import shutil
import socket
import sqlite3

import pytest
import yaml
from datasette.app import Datasette

from scripts.build import collect, write
from scripts.rawfiles import RAW, ROOT
from scripts.settings import SETTINGS

STRICT = os.environ.get("CI") in ("true", "1")


@pytest.fixture(scope="session")
def built_db(tmp_path_factory):
    """The real database, built from the current raw/ once per test session."""
    path = tmp_path_factory.mktemp("build") / "conscience.db"
    write(collect(strict=STRICT), path)
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


def make_datasette(db_path, metadata):
    """The site as `make serve` runs it: immutable database, our metadata, settings and plugins."""
    return Datasette(
        immutables=[str(db_path)],
        metadata=metadata,
        settings=SETTINGS,
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


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
