"""Places as lists write them, to coordinates, through the gazetteer (scripts/gazetteer.py).

A place is one name (长春, Chengdu, Hà Nội) or several, most specific first (county, prefecture, province). The
most specific name the gazetteer knows as a city wins (precision "city"), within the province when one is given;
else the province itself (the mean position of its towns: "province"); else nothing, and the caller records the
miss (the person is then shown at the country's centroid).
"""

import re

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
    names = [PLACE_SUFFIX.sub("", text.split("[")[0]).strip()]
    bracket = re.search(r"\[([^\]]+)\]", text)
    if bracket:
        names.append(bracket.group(1).strip())
    return [n for n in names if n]


def locate(country, parts, gazetteer, capitals):
    """(latitude, longitude, precision) for a place's parts (most specific first; the last of several is the
    province), or None. The same places recur, so answers are kept in the gazetteer."""
    key = (country, tuple(parts))
    if key not in gazetteer.resolved:
        gazetteer.resolved[key] = resolve(country, list(parts), gazetteer, capitals)
    return gazetteer.resolved[key]


def resolve(country, parts, gazetteer, capitals):
    province = parts[-1]
    area = province_area(country, province, gazetteer, capitals) if province else None
    for name in parts[:-1] if len(parts) > 1 else parts:
        if name:
            city = gazetteer.city(country, place_names(name), area) or (
                None if area else gazetteer.city(country, place_names(name)))
            if city:
                return city["latitude"], city["longitude"], "city"
    if country in CITY_TERRITORIES:
        city = gazetteer.city(country, [CITY_TERRITORIES[country]])
        return (city["latitude"], city["longitude"], "city") if city else None
    if area:
        point = gazetteer.area_point(country, area)
        return (*point, "province") if point else None
    return None


def province_area(country, province, gazetteer, capitals):
    """The gazetteer's admin1 code of a province, found through its capital (raw/reference/cn_province_capitals.csv)."""
    names = place_names(province)
    capital = capitals.get(names[0]) if names else None
    city = gazetteer.city(country, [capital]) if capital else None
    return city["admin1code"] if city else None
