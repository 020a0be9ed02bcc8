"""Hostile SQL against a real server: each query cut with a clear error, readers served meanwhile, the server
recovered at once when the attack stops, and stopped by SIGTERM even during one."""

import signal
import threading
import time

import httpx
import pytest

from scripts.build import main as build
from scripts.settings import SETTINGS

from .conftest import copy_curated_raw, serve_site

pytestmark = pytest.mark.slow

LIMIT = SETTINGS["sql_time_limit_ms"] / 1000
HOSTILE = [
    "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
    "select count(*) from signatures a, signatures b, signatures c, signatures d",
    "with recursive c(x) as (select 1 union all select x + 1 from c limit 100000000) "
    "select count(*) from c where printf('%d', x) like '%9%8%7%6%5%4%3%2%1%'",
    "select count(printf('%.*c', 100000000 + length(name), 'x')) from organizations",
    "select zeroblob(200000000)",
]
MADE_ANEW = {"cookie": "test=made-anew"}  # never answered from plugins/responses.py's cache


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "site").mkdir()
    build(["--raw", str(copy_curated_raw(tmp / "raw")), "--out", str(tmp / "site" / "conscience.db")])
    server, base = serve_site(tmp / "site" / "conscience.db")
    yield server, base
    server.terminate()
    server.wait(timeout=10)


def attacker(n):
    return {"fly-client-ip": f"attacker-{n}"}


@pytest.mark.parametrize("sql", HOSTILE)
def test_each_hostile_query_is_cut_with_a_clear_message(small_site, sql):
    started = time.perf_counter()
    response = httpx.get(small_site[1] + "/conscience.json", params={"sql": sql}, timeout=30,
                         headers=attacker(HOSTILE.index(sql)))
    took = time.perf_counter() - started
    assert response.status_code in (200, 400) and took < LIMIT + 0.5
    if response.status_code == 400:
        assert any(words in response.json()["error"] for words in ("SQL query took too long", "too big"))


class Attack:
    """Clients each sending hostile queries in a loop, until stopped; what they got back."""

    def __init__(self, base, clients=len(HOSTILE) * 2, head_start=0.5):
        self.base, self.stopped, self.statuses, self.head_start = base, threading.Event(), [], head_start
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(clients)]

    def run(self, n):
        with httpx.Client(timeout=30, headers=attacker(n)) as client:
            while not self.stopped.is_set():
                try:
                    self.statuses.append(client.get(self.base + "/conscience.json",
                                                    params={"sql": HOSTILE[n % len(HOSTILE)]}).status_code)
                except httpx.HTTPError:
                    self.statuses.append(None)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        time.sleep(self.head_start)
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)


def timings(base, path, n, headers=MADE_ANEW):
    out = []
    with httpx.Client(timeout=30, headers=headers) as client:
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(base + path)
            out.append((response.status_code, time.perf_counter() - started))
    return out


def test_readers_and_a_visitors_query_are_served_while_an_attack_runs(small_site):
    _, base = small_site
    with Attack(base, head_start=5) as attack:  # the attackers have used their share before the visitor comes
        pages = timings(base, "/conscience/persons.json?_size=20", 20)
        canned = timings(base, "/conscience/organisations_in_several_campaigns.json", 5)
        visitor = timings(base, "/conscience.json?sql=select+count(*)+from+persons", 3,
                          headers={**MADE_ANEW, "fly-client-ip": "a-visitor"})
    assert {status for status, _ in pages + canned} == {200}
    took = sorted(took for _, took in pages + canned)
    # Readers never wait behind hostile SQL: hostile queries run back to back during the attack, each for the
    # limit, so a reader queued behind them would take the limit, and so would most readers. Here nine in ten are
    # answered within half of it, and every one before a queued reader could be. (Alone, this test's slowest reader
    # takes about 0.2 s; within the full suite one or two of its 25 have taken 1.0 s, on a machine whose two cores
    # the attackers' clients, this process and the server share. benchmarks/hostile.py measures readers from
    # processes of their own: none over a second in 13,598 requests under attack at real scale.)
    assert took[len(took) * 9 // 10] < LIMIT / 2 and took[-1] < LIMIT + 0.5
    assert [status for status, _ in visitor] == [200] * 3 and max(took for _, took in visitor) < LIMIT + 0.5
    assert None not in attack.statuses and set(attack.statuses) <= {200, 400, 429, 503}


def test_the_server_recovers_at_once_when_an_attack_stops(small_site):
    _, base = small_site
    with Attack(base):
        time.sleep(2)
    started = time.perf_counter()
    response = httpx.get(base + "/conscience.json", params={"sql": "select 1"},
                         headers={"fly-client-ip": "after-the-attack"}, timeout=30)
    assert response.status_code == 200 and time.perf_counter() - started < LIMIT + 0.5


def test_sigterm_stops_the_server_during_an_attack(tmp_path):
    (tmp_path / "site").mkdir()
    build(["--raw", str(copy_curated_raw(tmp_path / "raw")), "--out", str(tmp_path / "site" / "conscience.db")])
    server, base = serve_site(tmp_path / "site" / "conscience.db")
    with Attack(base):
        server.send_signal(signal.SIGTERM)
        started = time.perf_counter()
        server.wait(timeout=15)
    assert time.perf_counter() - started < 2 * (LIMIT + 2)
