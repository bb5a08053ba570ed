"""Helpers for the REST API tests: users, logged-in HTTP clients, a charge point peer that
understands the UK extensions (imported by name: conftest puts this folder on sys.path)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from ocpp.routing import on
from ocpp.v16 import call_result
from platform_harness import PeerChargePoint, Platform, basic
from websockets.asyncio.client import connect

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.platform.registry import hash_password
from smartcharge.platform.services.tariffs.agile import public_tls


async def add_user(
    platform: Platform, email: str, role: str, *, site: str | None = None, password: str = ""
) -> str:
    """A user who can log in; returns the password (a fresh one unless given)."""
    import secrets

    password = password or secrets.token_urlsafe(16)
    site_id = await platform.store.people.site(site, at=datetime.now(UTC)) if site else None
    await platform.store.accounts.create(
        email,
        role=role,
        password_hash=await asyncio.to_thread(hash_password, password),
        at=datetime.now(UTC),
        site_id=site_id,
    )
    return password


async def set_password(platform: Platform, email: str) -> str:
    """Give a user that `add-charger` created (no password yet) a password; return it."""
    import secrets

    password = secrets.token_urlsafe(16)
    found = await platform.store.accounts.login_record(email)
    assert found is not None
    await platform.store.accounts.set_password(
        found[0].id, await asyncio.to_thread(hash_password, password)
    )
    return password


def api_url(platform: Platform) -> str:
    return platform.app.http.url


@contextlib.asynccontextmanager
async def logged_in(
    platform: Platform, email: str, password: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a bearer token got by logging in over HTTP."""
    # Plain HTTP on loopback; the shared context only spares loading a CA bundle per client.
    tls = public_tls()
    async with httpx.AsyncClient(base_url=api_url(platform), timeout=30, verify=tls) as client:
        r = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        r = await client.post("/api/auth/tokens", json={"name": "test"})
        assert r.status_code == 201, r.text
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        yield client


@contextlib.asynccontextmanager
async def user_client(
    platform: Platform, email: str, role: str, *, site: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    password = await add_user(platform, email, role, site=site)
    async with logged_in(platform, email, password) as client:
        yield client


class UkPeer(PeerChargePoint):
    """The `ocpp` package's charge point, answering the UK extensions like ours does (Accepted,
    or Rejected for the DSR event ids in `refuse`), and recording what it was sent."""

    def __init__(self, id: str, connection: Any) -> None:
        super().__init__(id, connection)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.refuse: set[str] = set()

    @on("DataTransfer")
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> call_result.DataTransfer:
        decoded = json.loads(data) if data else {}
        self.received.append((message_id or "", decoded))
        if message_id == uk_extension.DSR_EVENT and decoded.get("id") in self.refuse:
            return call_result.DataTransfer(status="Rejected", data='{"error": "refused"}')
        if message_id == uk_extension.GET_DEFAULT_HOURS:
            return call_result.DataTransfer(
                status="Accepted", data=json.dumps({"defaultHours": {"mode": "default"}})
            )
        return call_result.DataTransfer(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        self.received.append(("SetChargingProfile", cs_charging_profiles))
        return call_result.SetChargingProfile(status="Accepted")


ANSWERS: dict[str, dict[str, Any]] = {
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "Reset": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "GetConfiguration": {"configurationKey": []},
    "ChangeConfiguration": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "TriggerMessage": {"status": "Accepted"},
    "ExtendedTriggerMessage": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "GetLocalListVersion": {"listVersion": 0},
    "ClearCache": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "CancelReservation": {"status": "Accepted"},
    "SignedUpdateFirmware": {"status": "Accepted"},
    "UpdateFirmware": {},
    "GetLog": {"status": "Accepted"},
    "GetDiagnostics": {},
    "DataTransfer": {"status": "Accepted"},
}
"""A schema-valid answer to every command the API sends."""


@contextlib.asynccontextmanager
async def answering_charger(platform: Platform, identity: str) -> AsyncIterator[RpcEndpoint]:
    """A charger that answers every command at once (our RPC layer validates each answer)."""
    ws = await connect(
        f"{platform.url}/{identity}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic(identity, platform.passwords[identity]),
    )
    endpoint = RpcEndpoint(ws, role="ChargePoint", name=identity)
    for action, answer in ANSWERS.items():
        endpoint.route(action, lambda _p, a=answer: dict(a), raw=True)
    task = asyncio.create_task(endpoint.serve())
    try:
        await platform.app.ocpp.wait_connected(identity)
        yield endpoint
    finally:
        await endpoint.close()
        await ws.close()
        await asyncio.gather(task, return_exceptions=True)
