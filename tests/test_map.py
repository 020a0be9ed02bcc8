"""The map tells the truth about where people are: autonomous regions and Chinese place names placed, a person known
only by their country never drawn as if placed, and the map page saying what it draws."""

import json
import re

from scripts.places import place_names

XINJIANG = {"latitude": (34, 50), "longitude": (73, 97)}


def within(row, box):
    return all(low <= row[key] <= high for key, (low, high) in box.items())


def test_cecc_place_names_lose_their_kind_and_peoples():
    assert place_names("Xinjiang Uyghur Auto. Region") == ["Xinjiang"]
    assert place_names("Changji Hui Auto. Pref.") == ["Changji"]
    assert place_names("Tibet Autonomous Region") == ["Tibet"]
    assert place_names("Yanqi Hui Auto. Cty.") == ["Yanqi"]
    assert place_names("Lasa [Lhasa] Shi (pref.)") == ["Lasa", "Lhasa"]


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


def test_persons_in_viet_nam_are_placed_at_the_province_their_page_names(conn):
    """A province, or a prison the reference knows, puts a person at the province's capital; never a namesake."""
    placed = dict(conn.execute("SELECT coordinate_precision, count(*) FROM persons WHERE country = 'VN' "
                               "AND place IS NOT NULL GROUP BY 1").fetchall())
    assert placed["province"] >= 200 and placed.get("city", 0) == 0
    capitals = {"Nghe An": (18.67, 105.69), "Quang Nam": (15.57, 108.47), "Ha Nam": (20.55, 105.91)}
    for place, province in [("Prison No. 6, Nghe An province", "Nghe An"),
                            ("An Diem prison, Dai Loc district, Quang Nam province", "Quang Nam"),  # Dai Loc: a namesake in the north
                            ("Prison Camp An Điềm", "Quang Nam"), ("Nam Ha prison, Ha Nam province", "Ha Nam")]:
        for latitude, longitude in conn.execute("SELECT latitude, longitude FROM persons WHERE place = ?", (place,)):
            assert (round(latitude, 2), round(longitude, 2)) == capitals[province], place
    unplaced = {p for (p,) in conn.execute("SELECT place FROM persons WHERE country = 'VN' AND place IS NOT NULL "
                                           "AND coordinate_precision = 'country'")}
    assert "Central Highlands" in unplaced  # a region, not a province: left at the country
