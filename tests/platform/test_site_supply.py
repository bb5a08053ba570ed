"""A site's supply for load management over the REST API (issue 14 item 5): an operator sets
the limits per phase, the other load and the fallback share; a workplace administrator reads
their own site's; bad input is refused with words for people and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_harness import user_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from platform_harness import Platform

URL = "/api/sites/depot/supply"
GOOD = {"limit_a": [60, 60, 40], "other_load_a": [10, 5, 0], "fallback_a": 6}


@pytest.mark.both_databases
async def test_an_operator_sets_a_sites_supply_and_its_administrator_reads_it(
    platform: Platform,
) -> None:
    for n in range(3):
        await platform.add(f"D-{n}", site="depot")
    await platform.add("X-1", site="elsewhere")
    async with user_client(platform, "op@example.org", "operator") as op:
        assert (await op.get(URL)).status_code == 404  # not managed yet
        r = await op.put(URL, json=GOOD)
        assert r.status_code == 200, r.text
        assert r.json()["limit_a"] == [60, 60, 40] and r.json()["other_load_a"] == [10, 5, 0]
        r = await op.put(URL, json={"limit_a": [80, 80, 80]})  # replaces all of it
        assert r.json()["other_load_a"] == [0, 0, 0] and r.json()["fallback_a"] == 6
        assert (await op.put("/api/sites/nowhere/supply", json=GOOD)).status_code == 404
    async with user_client(platform, "boss@example.org", "workplace_admin", site="depot") as a:
        assert (await a.get(URL)).json()["limit_a"] == [80, 80, 80]
        assert (await a.put(URL, json=GOOD)).status_code == 403  # an operator's to set
        assert (await a.get("/api/sites/elsewhere/supply")).status_code == 404
    async with user_client(platform, "own@example.org", "owner") as owner:
        assert (await owner.get(URL)).status_code == 403
    found = await platform.store.sites.supply(await _site_id(platform))
    assert found is not None and found.limit_a == (80, 80, 80)


BAD: list[dict[str, Any]] = [
    {"limit_a": [0, 60, 60]},  # no supply on L1
    {"limit_a": [60, 60]},  # two phases
    {"limit_a": [60, 60, 60], "other_load_a": [70, 0, 0]},  # more household than supply
    {"limit_a": [60, 60, 60], "fallback_a": 3},  # below what a car charges at
    {"limit_a": [20, 20, 20], "fallback_a": 8},  # 3 chargers x 8 A > 20 A
    {"limit_a": [60, 60, 60], "other_load_a": [0, 0, 45], "fallback_a": 6},  # 18 > 15 on L3
    {"limit_a": [1e9, 60, 60]},
    {"limit_a": [60, 60, 60], "extra": 1},
]


async def test_bad_supplies_are_refused_and_change_nothing(platform: Platform) -> None:
    for n in range(3):
        await platform.add(f"D-{n}", site="depot")
    async with user_client(platform, "op@example.org", "operator") as op:
        assert (await op.put(URL, json=GOOD)).status_code == 200
        for body in BAD:
            r = await op.put(URL, json=body)
            assert r.status_code in (400, 422), (body, r.status_code, r.text)
            assert "Traceback" not in r.text
        assert (await op.get(URL)).json()["limit_a"] == [60, 60, 40]


async def test_garbage_supplies_never_half_apply(platform: Platform) -> None:
    for n in range(3):
        await platform.add(f"D-{n}", site="depot")
    number = st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=3), st.none())
    phases = st.lists(number, min_size=0, max_size=4)
    body = st.fixed_dictionaries(
        {"limit_a": phases}, optional={"other_load_a": phases, "fallback_a": number}
    )
    async with user_client(platform, "op@example.org", "operator") as op:
        assert (await op.put(URL, json=GOOD)).status_code == 200
        seen: list[dict[str, Any]] = []

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body)
        def bodies(b: dict[str, Any]) -> None:
            seen.append(b)

        bodies()
        for b in seen:
            before = (await op.get(URL)).json()
            # As sent by a careless client: NaN and Infinity as JSON's non-standard words.
            raw = json.dumps(b)
            r = await op.put(URL, content=raw, headers={"Content-Type": "application/json"})
            after = (await op.get(URL)).json()
            if r.status_code == 200:
                assert after == r.json()
            else:
                assert r.status_code in (400, 422), (b, r.status_code, r.text)
                assert after == before, b


async def _site_id(platform: Platform) -> int:
    found = await platform.store.sites.site_id("depot")
    assert found is not None
    return found
