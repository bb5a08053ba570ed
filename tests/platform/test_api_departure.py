"""The REST API plans a departure with the platform's planner (the service the web app's
schedule page uses): our own charge point gets the plan as the owner's schedule (cause
user_schedule, R24) and loses it when the owner removes it; a bad field is a 422 naming it
and keeps nothing."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_harness import logged_in
from platform_harness import Platform
from test_chargepoint_against_platform import our_charge_point

from smartcharge.platform.registry import hash_password
from smartcharge.platform.services.departure_profile import profile_id
from smartcharge.regulations import Cause


async def test_r24_the_rest_api_sets_and_removes_a_departure(
    platform: Platform, tmp_path: Path
) -> None:
    password = await platform.add("SC-1", owner="dp@example.org")
    found = await platform.store.accounts.login_record("dp@example.org")
    assert found is not None
    owner_password = secrets.token_urlsafe(16)
    await platform.store.accounts.set_password(found[0].id, hash_password(owner_password))
    start = datetime.now(UTC).replace(microsecond=0)
    app = our_charge_point(
        platform, password, tmp_path, simulator={"speed": 1, "start_time": start.isoformat()}
    )
    task = asyncio.ensure_future(app.run())
    try:
        await platform.app.ocpp.wait_connected("SC-1", timeout=15)
        ready = (start + timedelta(hours=10)).astimezone(UTC)
        url = "/api/chargers/SC-1/departure"
        async with logged_in(platform, "dp@example.org", owner_password) as owner:
            assert (await owner.get(url)).status_code == 404
            both: dict[str, Any] = {
                "at": f"{ready:%H:%M}",
                "days": list(range(7)),
                "power_kw": 7.0,
                "energy_kwh": 20,
                "target_soc": 80,
                "battery_kwh": 60,
            }
            r = await owner.put(url, json=both)
            assert r.status_code == 422 and r.json()["detail"].startswith("energy_kwh: "), r.text
            assert (await owner.get(url)).status_code == 404  # nothing kept
            past = {"at": "07:00", "on": "2020-01-06", "power_kw": 7.0, "energy_kwh": 20}
            r = await owner.put(url, json=past)
            assert r.status_code == 422 and r.json()["detail"].startswith("on: "), r.text
            assert (await owner.get(url)).status_code == 404  # nothing kept

            del both["target_soc"], both["battery_kwh"]
            r = await owner.put(url, json=both)
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["promise"].startswith(("Expected 20 kWh by ", "Will not be ready by "))
            assert body["connector_id"] == 1 and body["departure"]["energy_kwh"] == 20
            station = app.station
            assert station is not None
            mine = [e for e in station.profiles if e.profile.id == profile_id(1)]
            assert len(mine) == 1 and mine[0].profile.purpose == "TxDefaultProfile"
            assert station.controls.profile_flags(profile_id(1)).cause is Cause.USER_SCHEDULE
            kept = (await owner.get(url)).json()
            assert kept["departure"] == body["departure"] and kept["promise"] == body["promise"]

            assert (await owner.delete(url)).status_code == 204
            assert (await owner.get(url)).status_code == 404
            assert not [e for e in station.profiles if e.profile.id == profile_id(1)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
