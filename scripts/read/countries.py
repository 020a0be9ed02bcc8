"""Adapter for the countries table: ISO 3166-1 from pycountry, centroids from the fetched CSV."""

import pycountry

from scripts.read import Origin, display_path, read_csv

SOURCE_ID = "country-centroids"


def centroids(path):
    """{iso2: (origin, latitude, longitude)}; the first row wins where upstream repeats a code (BQ, ES, TF)."""
    out = {}
    for origin, row in read_csv(path, required=("longitude", "latitude", "ISO")):
        out.setdefault(row["ISO"], (origin, float(row["latitude"]), float(row["longitude"])))
    return out


def country_rows(centroid_path):
    """Every ISO 3166-1 country; coordinates are empty where the centroid file has none (HK, TW, MO)."""
    known = centroids(centroid_path) if centroid_path else {}
    rows = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        origin, latitude, longitude = known.get(country.alpha_2, (None, None, None))
        ref = f"ISO 3166-1 (pycountry {pycountry.__version__})"
        if origin:
            ref += f"; centroid from {display_path(centroid_path).split('/')[-1]} line {origin.line}"
        rows.append((origin or Origin("pycountry"), {
            "iso2": country.alpha_2,
            "iso3": country.alpha_3,
            "name": getattr(country, "common_name", None) or country.name,
            "latitude": latitude,
            "longitude": longitude,
            "source_id": SOURCE_ID,
            "upstream_ref": ref,
        }))
    return rows
