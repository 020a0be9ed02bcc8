"""The map tells the truth about where people are: autonomous regions and Chinese place names placed, a person known
only by their country never drawn as if placed, and the map page saying what it draws."""

import json
import re

from scripts.adapters.cecc import place_names
from scripts.gazetteer import placed

XINJIANG = {"latitude": (34, 50), "longitude": (73, 97)}


def within(row, box):
    return all(low <= row[key] <= high for key, (low, high) in box.items())


def test_cecc_place_names_lose_their_kind_and_peoples():
    assert place_names("Xinjiang Uyghur Auto. Region") == ["Xinjiang"]
    assert place_names("Changji Hui Auto. Pref.") == ["Changji"]
    assert place_names("Tibet Autonomous Region") == ["Tibet"]
    assert place_names("Shayang Cty.") == ["Shayang"]
    assert place_names("Ping Li Cty.") == ["Ping Li"]  # peoples are dropped only before "Auto."


class OneCity:
    countries = {"CN"}

    def city(self, country, names):
        return {"latitude": 29.65, "longitude": 91.1} if names == ["拉萨"] else None


def test_a_mapped_lists_places_are_placed_or_recorded():
    rows = [("persons", {"id": "x-1", "country": "CN", "place": "拉萨", "source_id": "x", "upstream_ref": "line 2",
                         "_record": ("x", "2")}),
            ("persons", {"id": "x-2", "country": "CN", "place": "某地", "source_id": "x", "upstream_ref": "line 3",
                         "_record": ("x", "3")}),
            ("records", {"id": "x/2"})]
    out = list(placed(rows, OneCity(), "Place"))
    assert out[0][1]["latitude"] == 29.65 and out[0][1]["coordinate_precision"] == "city"
    assert out[1] == ("data_quality", {"upstream_id": "3", "field": "Place", "raw_value": "某地",
                                       "problem": "place not found in the gazetteer; mapped at the country's centroid",
                                       "source_id": "x", "upstream_ref": "line 3", "_record": ("x", "3")})
    assert out[2][1].get("coordinate_precision") is None and out[3] == ("records", {"id": "x/2"})


def test_autonomous_regions_are_placed_in_them(conn):
    rows = conn.execute("SELECT place, latitude, longitude, coordinate_precision FROM persons "
                        "WHERE place LIKE '%Xinjiang Uyghur Auto. Region%'").fetchall()
    assert len(rows) > 500
    for place, latitude, longitude, precision in rows:
        assert precision in ("city", "province") and within({"latitude": latitude, "longitude": longitude}, XINJIANG), \
            place
    for region in ("Guangxi Zhuang Auto. Region", "Ningxia Hui Auto. Region"):
        assert conn.execute("SELECT count(*) FROM persons WHERE place LIKE ? AND coordinate_precision = 'country'",
                            (f"%{region}%",)).fetchone() == (0,)
    uyghurs = conn.execute("SELECT count(*) FROM persons WHERE ethnicity = 'Uyghur' "
                           "AND coordinate_precision = 'country'").fetchone()[0]
    assert uyghurs < 10  # 272 of 643 sat on China's centroid


def test_chinese_place_names_are_placed(conn):
    for place, (latitude, longitude) in {"拉萨": (29.6, 91.1), "喀什": (39.5, 76.0), "北京": (39.9, 116.4)}.items():
        found = conn.execute("SELECT latitude, longitude, coordinate_precision FROM persons "
                             "WHERE source_id = 'cppc-china' AND place = ? LIMIT 1", (place,)).fetchone()
        assert found[2] == "city" and abs(found[0] - latitude) < 0.5 and abs(found[1] - longitude) < 0.5, place
    unplaced = conn.execute("SELECT count(*) FROM persons WHERE source_id = 'cppc-china' "
                            "AND coordinate_precision = 'country'").fetchone()[0]
    recorded = conn.execute("SELECT count(*) FROM data_quality WHERE source_id = 'cppc-china' "
                            "AND field = 'Place'").fetchone()[0]
    assert unplaced < 60 and recorded >= unplaced  # 634 of 926 were not placed at all


async def test_the_map_never_draws_a_country_as_a_place_and_says_what_it_draws(ds, conn):
    drawn = (await ds.client.get("/conscience/persons_map.json?_shape=array&_size=max&_col=coordinate_precision"
                                 "&_col=popup&coordinate_precision=country")).json()
    assert drawn == []
    (unplaced,) = conn.execute("SELECT count(*) FROM persons WHERE coordinate_precision = 'country' "
                               "OR coordinate_precision IS NULL").fetchone()
    (placed_count,) = conn.execute("SELECT count(*) FROM persons_map").fetchone()
    assert placed_count + unplaced == conn.execute("SELECT count(*) FROM persons").fetchone()[0]
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (await ds.client.get("/conscience/persons_map")).text))
    assert f"{unplaced:,} persons known only by their country are not drawn" in html
    assert "until “load all” under the map is pressed" in html
    popup = json.loads(conn.execute("SELECT popup FROM persons_map WHERE id = 'jiang-tianyong'").fetchone()[0])
    assert popup["description"].endswith("(drawn at the city)")
