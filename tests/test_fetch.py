"""Upstream files come by URL or mirror, always checksummed; strict mode stops on any gap."""

import hashlib
import shutil
import sqlite3

import pooch
import pytest
import yaml

from scripts.build import main
from scripts.read import ROOT, fetch

CENTROIDS = "country-centroids"
# Five lines of the pinned centroids file (MIT, gavinr/world-countries-centroids): a mirror copy that needs no ../shared.
EXTRACT = ROOT / "tests" / "fixtures" / CENTROIDS / "countries.csv"


@pytest.fixture
def offline(raw, tmp_path, monkeypatch):
    """The small raw copy, an unreachable URL for the centroids, an empty cache and a mirror folder."""
    meta_path = raw / CENTROIDS / "source.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta["url"] = "https://example.invalid/countries.csv"
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    mirror = tmp_path / "mirror"
    (mirror / CENTROIDS).mkdir(parents=True)
    monkeypatch.setattr(fetch, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(fetch, "MIRROR", mirror)
    return raw, mirror, meta


def build(raw, tmp_path, *flags):
    main([*flags, "--raw", str(raw), "--out", str(tmp_path / "out.db")])


def test_a_file_comes_from_the_mirror_when_the_url_is_unreachable(offline, tmp_path):
    raw, mirror, meta = offline
    meta["sha256"] = hashlib.sha256(EXTRACT.read_bytes()).hexdigest()  # the extract stands for the pinned file
    (raw / CENTROIDS / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    shutil.copy(EXTRACT, mirror / CENTROIDS / meta["file"])
    assert pooch.file_hash(fetch.fetch_one(meta)) == meta["sha256"]
    build(raw, tmp_path, "--strict")
    with sqlite3.connect(tmp_path / "out.db") as conn:
        assert conn.execute("SELECT latitude, longitude FROM countries WHERE iso2 = 'VN'").fetchone() == (
            16.517347170839393, 105.91338832758704)


def test_strict_build_fails_when_a_declared_file_is_missing(offline, tmp_path):
    raw, _, _ = offline
    with pytest.raises(SystemExit) as failure:
        build(raw, tmp_path, "--strict")
    message = str(failure.value)
    assert "country-centroids/source.yml" in message and "no mirror copy" in message
    assert "CONSCIENCE_MIRROR" in message
    assert not (tmp_path / "out.db").exists()


def test_strict_build_fails_on_a_wrong_checksum(offline, tmp_path):
    raw, mirror, meta = offline
    (mirror / CENTROIDS / meta["file"]).write_text("longitude,latitude,COUNTRY,ISO\n0,0,Nowhere,XX\n")
    with pytest.raises(SystemExit) as failure:
        build(raw, tmp_path, "--strict")
    message = str(failure.value)
    assert "does not match the declared checksum" in message
    assert "update url and sha256 together" in message


def test_a_lenient_build_names_each_missing_source_and_goes_on(offline, tmp_path, capsys):
    raw, _, _ = offline
    build(raw, tmp_path)
    assert "missing source country-centroids" in capsys.readouterr().err
    assert (tmp_path / "out.db").exists()
