"""Small helpers every upstream adapter shares."""

import json
from json.encoder import encode_basestring


def json_list(items):
    """A JSON array for a list column, each value once (the tags facet relies on it), or None for an empty list."""
    items = list(dict.fromkeys(items))
    if not items:
        return None
    if all(isinstance(item, str) for item in items):  # as json.dumps writes it, without its per-call set-up
        return "[" + ", ".join(map(encode_basestring, items)) + "]"
    return json.dumps(items, ensure_ascii=False)


class Problems:
    """Collects the data_quality rows of one upstream record."""

    def __init__(self, upstream_id):
        self.upstream_id, self.rows = upstream_id, []

    def add(self, field, value, problem):
        self.rows.append({"upstream_id": self.upstream_id, "field": field,
                          "raw_value": None if value is None else str(value), "problem": problem})
