"""The site runs whatever its database file is called (conscience.db, or a copy under another name).

Plugins and templates ask Datasette for the database's name (`db_name` in templates); metadata.yml, which describes
the one database as `conscience` (facets, descriptions, canned queries), is given to it under the name it is served by.
"""

from datasette import hookimpl


@hookimpl
def get_metadata(datasette):
    served = [name for name in datasette.databases if name != "_internal"]
    described = (getattr(datasette, "_metadata_local", None) or {}).get("databases") or {}
    if len(served) == 1 and len(described) == 1 and served[0] not in described:
        return {"databases": {served[0]: next(iter(described.values()))}}
    return {}


@hookimpl
def extra_template_vars(datasette):
    return {"db_name": datasette.get_database().name}
