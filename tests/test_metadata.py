"""metadata.yml describes the whole public schema, and search is configured where the build indexes."""

import pytest

from scripts.schema import TABLES, stored_columns
from scripts.write.views import VIEWS


@pytest.fixture
def tables_metadata(metadata):
    return metadata["databases"]["conscience"]["tables"]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_and_column_is_described(tables_metadata, table):
    described = tables_metadata[table]
    assert described.get("description")
    assert set(described["columns"]) == {name for name, _ in stored_columns(TABLES[table])}


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_is_described(tables_metadata, view):
    assert tables_metadata[view].get("description")


def test_search_is_configured_for_every_indexed_table(tables_metadata):
    indexed = {name for name, table in TABLES.items() if table.fts}
    configured = {name for name, meta in tables_metadata.items() if "fts_table" in meta}
    assert indexed == configured and "persons" in indexed
    assert all(tables_metadata[name]["fts_table"] == f"{name}_fts" for name in indexed)


def test_database_has_licence_and_source(metadata):
    database = metadata["databases"]["conscience"]
    assert database["license"] and database["source"] and metadata["license"]
