"""The REST API over real HTTP on loopback, against a running platform with `ocpp`-package
charge points as peers: login, tokens, commands (answer, offline, timeout, CALLERROR), live
status, DSR intake, fleet profiles."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from api_harness import UkPeer, add_user, api_url, logged_in, set_password, user_client
from ocpp.v16 import call
from platform_harness import MakePlatform, Peer, Platform, now_iso
from sqlalchemy import func, select

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.times import parse_time
from smartcharge.platform.services import sign_in
from smartcharge.platform.store.models import DsrEvent, User

OpenPeer = Callable[..., Awaitable[Peer]]


async def test_login_cookie_tokens_logout_and_lockout(platform: Platform) -> None:
    password = await add_user(platform, "Ann@Example.org", "owner")
    async with httpx.AsyncClient(base_url=api_url(platform)) as web:
        assert (await web.get("/api/me")).status_code == 401
        r = await web.post(
            "/api/auth/login", json={"email": "ann@example.org", "password": password}
        )
        assert r.status_code == 200 and r.json()["role"] == "owner"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert (await web.get("/api/me")).json()["email"] == "ann@example.org"
        # A cookie-authenticated change from another site is refused.
        r = await web.post(
            "/api/auth/tokens", json={"name": "x"}, headers={"Origin": "https://evil.example"}
        )
        assert r.status_code == 403
        r = await web.post("/api/auth/tokens", json={"name": "script"})
        assert r.status_code == 201
        token, token_id = r.json()["token"], r.json()["id"]
        assert [t["name"] for t in (await web.get("/api/auth/tokens")).json()] == ["script"]
        assert (await web.post("/api/auth/logout")).status_code == 204
        assert (await web.get("/api/me")).status_code == 401

        bearer = {"Authorization": f"Bearer {token}"}
        assert (await web.get("/api/me", headers=bearer)).status_code == 200
        assert (await web.delete(f"/api/auth/tokens/{token_id}", headers=bearer)).status_code == 204
        assert (await web.get("/api/me", headers=bearer)).status_code == 401
        r = await web.get("/api/me", headers={"Authorization": "Bearer " + "x" * 43})
        assert r.status_code == 401

        # Wrong passwords: 401, then the address is locked out (3 failures in the fixture).
        for _ in range(3):
            r = await web.post(
                "/api/auth/login", json={"email": "ann@example.org", "password": "no"}
            )
            assert r.status_code == 401
        r = await web.post(
            "/api/auth/login", json={"email": "ann@example.org", "password": password}
        )
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


async def test_a_password_is_verified_once_per_login_not_per_request(
    platform: Platform, monkeypatch: Any
) -> None:
    password = await add_user(platform, "bob@example.org", "owner")
    calls = 0
    real = sign_in.verify_password_async

    async def counting(password_hash: str | None, given: str) -> bool:
        nonlocal calls
        calls += 1
        return await real(password_hash, given)

    monkeypatch.setattr(sign_in, "verify_password_async", counting)
    async with httpx.AsyncClient(base_url=api_url(platform)) as web:
        r = await web.post(
            "/api/auth/login", json={"email": "bob@example.org", "password": password}
        )
        assert r.status_code == 200
        for _ in range(20):
            assert (await web.get("/api/chargers")).status_code == 200
    assert calls == 1


@pytest.mark.both_databases
async def test_users_are_created_with_a_fresh_password_shown_once(platform: Platform) -> None:
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.post(
            "/api/users",
            json={"email": "w@example.org", "role": "workplace_admin", "site": "Depot"},
        )
        assert r.status_code == 201
        admin_password = r.json()["password"]
        assert len(admin_password) >= 32 and r.json()["user"]["site"] == "Depot"
        r = await op.post("/api/users", json={"email": "w@example.org", "role": "owner"})
        assert r.status_code == 409
        # Garbage changes nothing.
        before = await _count(platform, User)
        for bad in (
            {"email": "x@example.org", "role": "king"},
            {"email": "not-an-address", "role": "owner"},
            {"email": "y@example.org", "role": "workplace_user"},  # no site
            {"email": "z@example.org", "role": "owner", "extra": 1},
        ):
            r = await op.post("/api/users", json=bad)
            assert r.status_code == 422, bad
        assert await _count(platform, User) == before
    async with logged_in(platform, "w@example.org", admin_password) as admin:
        r = await admin.post(
            "/api/users", json={"email": "u@example.org", "role": "workplace_user"}
        )
        assert r.status_code == 201 and r.json()["user"]["site"] == "Depot"
        r = await admin.post("/api/users", json={"email": "o2@example.org", "role": "operator"})
        assert r.status_code == 403
        assert {u["email"] for u in (await admin.get("/api/users")).json()} == {
            "w@example.org",
            "u@example.org",
        }


async def _count(platform: Platform, model: Any) -> int:
    async with platform.store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.both_databases
async def test_commands_return_the_answer_or_offline_timeout_callerror(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1", owner="owner@example.org")
    await platform.add("CP-OFF", owner="owner@example.org")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    async with logged_in(
        platform, "owner@example.org", await set_password(platform, "owner@example.org")
    ) as owner:
        r = await owner.post(
            "/api/chargers/CP-1/commands/GetConfiguration", json={"key": ["HeartbeatInterval"]}
        )
        assert r.status_code == 200
        assert r.json()["configurationKey"][0]["key"] == "HeartbeatInterval"

        r = await owner.post("/api/chargers/CP-OFF/commands/GetConfiguration", json={})
        assert r.status_code == 409 and r.json()["outcome"] == "offline"

        r = await owner.post("/api/chargers/CP-1/commands/Reset", json={"type": "Soft"})
        assert r.status_code == 502 and r.json()["code"] == "NotImplemented"  # the peer has none

        r = await owner.post("/api/chargers/CP-1/commands/Reset", json={"type": "Sideways"})
        assert r.status_code == 422  # invalid: nothing sent
        r = await owner.post("/api/chargers/CP-1/commands/Teleport", json={})
        assert r.status_code == 422

        peer.cp.silent = True
        r = await owner.post(
            "/api/chargers/CP-1/commands/GetConfiguration", json={}, params={"timeout": 1}
        )
        assert r.status_code == 504 and r.json()["outcome"] == "timeout"

        log = (await owner.get("/api/chargers/CP-1/commands")).json()
        assert [(c["action"], c["outcome"]) for c in log] == [
            ("GetConfiguration", "timeout"),
            ("Reset", "call_error"),
            ("GetConfiguration", "answered"),
        ]
        assert all(c["by"] == "owner@example.org" for c in log)


@pytest.mark.both_databases
async def test_live_status_and_a_workplace_user_may_only_start_and_stop(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("W-1", site="Depot")
    peer = await peers(platform, "W-1", cls=UkPeer)
    await platform.app.ocpp.wait_connected("W-1")
    await peer.call(
        call.StatusNotification(
            connector_id=1, error_code="NoError", status="Available", timestamp=now_iso()
        )
    )
    async with user_client(platform, "u@example.org", "workplace_user", site="Depot") as user:
        status = (await user.get("/api/chargers/W-1/status")).json()
        assert status["connected"] is True
        assert [(c["connector_id"], c["status"]) for c in status["connectors"]] == [
            (1, "Available")
        ]
        r = await user.post(
            "/api/chargers/W-1/commands/ChangeAvailability",
            json={"connectorId": 0, "type": "Inoperative"},
        )
        assert r.status_code == 403
        r = await user.put("/api/chargers/W-1/default-hours", json={"mode": "default"})
        assert r.status_code == 403
        r = await user.post("/api/chargers/W-1/overrides/charge-now", json={"connector_id": 1})
        assert r.status_code == 200 and r.json()["status"] == "Accepted"
        assert peer.cp.received[-1] == (
            uk_extension.CHARGE_NOW,
            {"connectorId": 1, "by": "end_user"},
        )
        r = await user.put("/api/chargers/W-1/user-schedule", json={"windows": []})
        assert r.status_code == 403
    async with user_client(platform, "a@example.org", "workplace_admin", site="Depot") as admin:
        r = await admin.put(
            "/api/chargers/W-1/default-hours",
            json={"mode": "custom", "windows": [{"weekday": 0, "start": "22:00", "end": "06:00"}]},
        )
        assert r.status_code == 200
        assert peer.cp.received[-1] == (
            uk_extension.SET_DEFAULT_HOURS,
            {
                "mode": "custom",
                "by": "administrator",
                "windows": [{"weekday": 0, "start": "22:00", "end": "06:00"}],
            },
        )
        plan = {"windows": [{"weekday": 5, "start": "09:00", "end": "12:00"}], "limit_a": 16}
        r = await admin.put("/api/chargers/W-1/user-schedule", json=plan)
        assert r.status_code == 200
        assert peer.cp.received[-1] == (
            uk_extension.SET_USER_SCHEDULE,
            {"windows": plan["windows"], "limitA": 16, "by": "administrator"},
        )
        r = await admin.put("/api/chargers/W-1/user-schedule", json={"windows": [{"weekday": 9}]})
        assert r.status_code == 422
        r = await admin.get("/api/chargers/W-1/default-hours")
        assert r.json() == {"status": "Accepted", "data": {"defaultHours": {"mode": "default"}}}


@pytest.mark.both_databases
async def test_dsr_event_acknowledged_offline_retried_refused_and_opted_out(
    platform: Platform, peers: OpenPeer
) -> None:
    for identity in ("D-1", "D-2", "D-3", "D-OTHER"):
        await platform.add(identity, owner="home@example.org")
    p1 = await peers(platform, "D-1", cls=UkPeer)
    p3 = await peers(platform, "D-3", cls=UkPeer)
    for identity in ("D-1", "D-3"):
        await platform.app.ocpp.wait_connected(identity)
    agg_password = await add_user(platform, "grid@example.org", "aggregator")
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.post("/api/groups", json={"name": "south", "aggregator": "grid@example.org"})
        assert r.status_code == 201
        for identity in ("D-1", "D-2", "D-3"):
            assert (await op.put(f"/api/groups/south/chargers/{identity}")).status_code == 204
    start = datetime.now(UTC) + timedelta(minutes=5)
    event = {
        "group": "south",
        "kind": "response",
        "limit_a": 6,
        "start": start.isoformat(),
        "duration_s": 1800,
    }
    async with logged_in(platform, "grid@example.org", agg_password) as agg:
        # A charger outside its groups refuses the whole request; nothing is stored.
        r = await agg.post(
            "/api/dsr/events", json={**event, "group": None, "chargers": ["D-1", "D-OTHER"]}
        )
        assert r.status_code == 404 and "D-OTHER" in r.json()["detail"]
        assert await _count(platform, DsrEvent) == 0
        r = await agg.post("/api/dsr/events", json={**event, "start": "2026-06-01T10:00:00"})
        assert r.status_code == 422  # no offset
        assert (await agg.get("/api/chargers")).json() == []  # an aggregator sees no charger

        r = await agg.post("/api/dsr/events", json=event)
        assert r.status_code == 201
        body = r.json()
        statuses = {d["charger"]: d["status"] for d in body["deliveries"]}
        assert statuses == {"D-1": "accepted", "D-2": "offline", "D-3": "accepted"}
        assert body["acknowledged"] == 2
        sent = p1.cp.received[-1]
        assert sent[0] == uk_extension.DSR_EVENT and sent[1]["id"] == body["id"]
        assert sent[1]["limitA"] == 6 and sent[1]["durationS"] == 1800
        assert sent[1]["kind"] == "response" and sent[1]["alreadyRandomised"] is False

        # D-2 comes back: the retry delivers the event while it lasts.
        p2 = await peers(platform, "D-2", cls=UkPeer)
        p2.cp.refuse = {body["id"]}
        await platform.app.ocpp.wait_connected("D-2")
        assert await platform.app.dsr.retry_once() == 1
        again = (await agg.get(f"/api/dsr/events/{body['id']}")).json()
        assert {d["charger"]: d["status"] for d in again["deliveries"]}["D-2"] == "rejected"

    # The owner opts D-1 out; the aggregator sees it.
    async with logged_in(
        platform, "home@example.org", await set_password(platform, "home@example.org")
    ) as owner:
        mine = (await owner.get("/api/chargers/D-1/dsr")).json()
        assert [e["id"] for e in mine] == [body["id"]]
        r = await owner.post(f"/api/chargers/D-1/dsr/{body['id']}/opt-out")
        assert r.status_code == 200 and p1.cp.received[-1] == (
            uk_extension.DSR_OPT_OUT,
            {"id": body["id"]},
        )
        r = await owner.post("/api/chargers/D-1/dsr/no-such-event/opt-out")
        assert r.status_code == 404
        assert (await owner.get(f"/api/dsr/events/{body['id']}")).status_code == 403
    # The owner of D-3 opts out at the charger, which tells the platform.
    for data, status in (
        (json.dumps({"id": body["id"]}), "Accepted"),
        (json.dumps({"id": "no-such-event"}), "Rejected"),
        ("not json", "Rejected"),
        (json.dumps({"id": 7}), "Rejected"),
    ):
        answer = await p3.call(
            call.DataTransfer(
                vendor_id=uk_extension.VENDOR_ID, message_id=uk_extension.DSR_OPT_OUT, data=data
            )
        )
        assert answer.status == status, data
    async with logged_in(platform, "grid@example.org", agg_password) as agg:
        final = (await agg.get(f"/api/dsr/events/{body['id']}")).json()
        assert final["opted_out"] == 2
        assert [d["charger"] for d in final["deliveries"] if d["opted_out_at"]] == ["D-1", "D-3"]
        assert [e["id"] for e in (await agg.get("/api/dsr/events")).json()] == [body["id"]]


@pytest.mark.both_databases
async def test_fleet_profile_spreads_starts_and_says_already_randomised(
    platform: Platform, peers: OpenPeer
) -> None:
    opened = {}
    for identity in ("F-1", "F-2", "F-3"):
        await platform.add(identity)
        opened[identity] = await peers(platform, identity, cls=UkPeer)
        await platform.app.ocpp.wait_connected(identity)
    base = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    profile = {
        "chargingProfileId": 40,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "startSchedule": base.isoformat(),
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.post(
            "/api/fleet/charging-profiles",
            json={
                "chargers": list(opened),
                "cause": "tariff",
                "spread_s": 900,
                "charging_profile": profile,
            },
        )
        assert r.status_code == 200, r.text
        results = r.json()
        assert {x["status"] for x in results} == {"Accepted"}
        offsets = [x["offset_s"] for x in results]
        assert all(0 <= o <= 900 for o in offsets) and len(set(offsets)) == 3
        for result in results:
            received = opened[result["charger"]].cp.received
            flags, sent = received[-2], received[-1]
            assert flags == (
                uk_extension.PROFILE_FLAGS,
                {"chargingProfileId": 40, "cause": "tariff", "alreadyRandomised": True},
            )
            start = parse_time(sent[1]["charging_schedule"]["start_schedule"])
            assert abs((start - base).total_seconds() - result["offset_s"]) < 0.01
        bad = {**profile, "chargingSchedule": {"chargingRateUnit": "A"}}
        r = await op.post(
            "/api/fleet/charging-profiles",
            json={"chargers": ["F-1"], "cause": "tariff", "spread_s": 60, "charging_profile": bad},
        )
        assert r.status_code == 422
        assert len(opened["F-1"].cp.received) == 2  # nothing more was sent


async def test_two_platform_settings_keys_reach_the_api(make_platform: MakePlatform) -> None:
    platform = await make_platform(session_ttl_s=60)
    password = await add_user(platform, "c@example.org", "owner")
    async with httpx.AsyncClient(base_url=api_url(platform)) as web:
        r = await web.post("/api/auth/login", json={"email": "c@example.org", "password": password})
        assert "max-age=60" in r.headers["set-cookie"].lower()
        assert "secure" not in r.headers["set-cookie"].lower()  # profile 1: plain HTTP
    await asyncio.sleep(0)
