"""A charger's phases, priority and maximum on its site (issue 14 item 5) over the REST API:
an operator sets them, a workplace administrator reads their own site's, bad input is refused
with words for people and changes nothing; and the balancer honours them, as the chargers (the
`ocpp` package's charge point) are sent."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import UkPeer, user_client
from platform_harness import Platform
from test_site_balancer import OpenPeer, charging, live, until

URL = "/api/sites/depot/chargers/{}/load"


@pytest.mark.both_databases
async def test_an_operator_places_a_charger_and_its_administrator_reads_it(
    platform: Platform,
) -> None:
    await platform.add("D-1", site="depot")
    await platform.add("X-1", site="elsewhere")
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.get(URL.format("D-1"))
        assert r.json() == {"identity": "D-1", "phases": [1, 2, 3], "priority": 0, "max_a": 32}
        r = await op.put(URL.format("D-1"), json={"phases": [2], "priority": 2, "max_a": 16})
        assert r.status_code == 200, r.text
        assert r.json() == {"identity": "D-1", "phases": [2], "priority": 2, "max_a": 16}
        assert (await op.get(URL.format("X-1"))).status_code == 404  # not on this site
        assert (await op.put(URL.format("NOPE"), json={})).status_code == 404
    async with user_client(platform, "boss@example.org", "workplace_admin", site="depot") as a:
        assert (await a.get(URL.format("D-1"))).json()["phases"] == [2]
        assert (await a.put(URL.format("D-1"), json={"priority": 1})).status_code == 403
        assert (await a.get("/api/sites/elsewhere/chargers/X-1/load")).status_code == 404
    async with user_client(platform, "own@example.org", "owner") as owner:
        assert (await owner.get(URL.format("D-1"))).status_code == 403


BAD: list[Any] = [
    {"phases": []},
    {"phases": [1, 1]},
    {"phases": [0]},
    {"phases": [4]},
    {"phases": [1, 2, 3, 1]},
    {"phases": ["1"]},
    {"priority": -1},
    {"priority": 10},
    {"priority": "high"},
    {"priority": 1.5},
    {"max_a": 5},  # below what a car charges at
    {"max_a": 81},
    {"max_a": None},
    {"max_a": "NaN"},
    {"extra": 1},
    [1, 2, 3],
]


async def test_bad_places_are_refused_with_words_and_change_nothing(platform: Platform) -> None:
    await platform.add("D-1", site="depot")
    good = {"phases": [1], "priority": 1, "max_a": 20}
    async with user_client(platform, "op@example.org", "operator") as op:
        assert (await op.put(URL.format("D-1"), json=good)).status_code == 200
        for body in BAD:
            r = await op.put(URL.format("D-1"), json=body)
            assert r.status_code == 422, (body, r.status_code, r.text)
            assert "Traceback" not in r.text and r.json()["detail"], body
        assert (await op.get(URL.format("D-1"))).json() == {"identity": "D-1", **good}
        # The service's own words reach the operator (not only the schema's).
        r = await op.put(URL.format("D-1"), json={"phases": [2, 2]})
        assert "different phases" in r.json()["detail"]
        r = await op.put(URL.format("D-1"), json={"max_a": 4})
        assert "6 A" in r.json()["detail"]


async def test_the_balancer_honours_phases_priority_and_maximum(
    platform: Platform, peers: OpenPeer
) -> None:
    """L1 40 A, L2 and L3 20 A. FLEET (priority 1, three-phase, at most 16 A) is served first;
    HOME (single-phase on L1) takes what L1 has left; GUEST (three-phase) would get 4 A on
    L2/L3, below 6 A: paused. Then GUEST is moved onto L1 alone and gets a share there."""
    places = {
        "FLEET": {"phases": [1, 2, 3], "priority": 1, "max_a": 16},
        "HOME": {"phases": [1], "priority": 0, "max_a": 32},
        "GUEST": {"phases": [1, 2, 3], "priority": 0, "max_a": 32},
    }
    for name in places:
        await platform.add(name, site="depot")
    async with user_client(platform, "op@example.org", "operator") as op:
        for name, place in places.items():
            r = await op.put(URL.format(name), json=place)
            assert r.status_code == 200, r.text
        fleet = {name: await peers(platform, name, cls=UkPeer) for name in places}
        for peer in fleet.values():
            await charging(peer)
        r = await op.put("/api/sites/depot/supply", json={"limit_a": [40, 20, 20]})
        assert r.status_code == 200, r.text
        await until(lambda: live(fleet["FLEET"]) == 16 and live(fleet["HOME"]) == 24)
        assert (live(fleet["GUEST"]) or 0) == 0
        r = await op.put(URL.format("GUEST"), json={"phases": [1]})
        assert r.status_code == 200, r.text
        # L1: 40 - 16 = 24 A shared by HOME and GUEST: 12 A each (HOME cut at once).
        await until(lambda: live(fleet["HOME"]) == 12 and live(fleet["GUEST"]) == 12)
