"""Small helpers every upstream adapter shares."""

import json


def json_list(items):
    """A JSON array for a list column, each value once (the tags facet relies on it), or None for an empty list."""
    items = list(dict.fromkeys(items))
    return json.dumps(items, ensure_ascii=False) if items else None


class Problems:
    """Collects the data_quality rows of one upstream record."""

    def __init__(self, upstream_id):
        self.upstream_id, self.rows = upstream_id, []

    def add(self, field, value, problem):
        self.rows.append({"upstream_id": self.upstream_id, "field": field,
                          "raw_value": None if value is None else str(value), "problem": problem})
