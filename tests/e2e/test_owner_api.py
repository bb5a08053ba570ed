"""The owner API over real HTTPS (a trustme CA), on a whole charge point talking to the
`ocpp`-package central system (R5, R7, R33, R35)."""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import trustme
from cp_harness import MakeCP, Running
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp.v16 import call

from smartcharge.chargepoint.security.provisioning import DEVICE_KEY_FILE, open_vault, provision
from smartcharge.ocpp import uk_extension

GOOD = "correct horse battery staple"  # not-a-secret: a test's own owner password


@dataclass
class Owner:
    cp: Running
    http: aiohttp.ClientSession
    base: str
    setup_code: str  # from the charger's label (made at provisioning)
    token: str | None = None

    async def req(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = raw if raw is not None else (None if body is None else orjson.dumps(body))
        async with self.http.request(method, self.base + path, data=data, headers=headers) as r:
            payload = await r.json(content_type=None)
            return r.status, payload, r.headers

    async def setup(self, password: str = GOOD) -> None:
        body = {"password": password, "setupCode": self.setup_code}
        status, body, _ = await self.req("POST", "/api/setup", body)
        assert status == 201, body
        self.token = body["token"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def owner(make_cp: MakeCP, ca: trustme.CA, tmp_path: Path) -> AsyncIterator[Owner]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file = tmp_path / "owner.pem", tmp_path / "owner.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    made = provision("CP1", tmp_path / "factory")
    cp = await make_cp(
        security={"profile": 1, "credentials_dir": str(tmp_path / "factory")},
        model="Home 7",
        vendor="Acme",
        support_until="2031-12-31",
        vulnerability_contact="security@acme.example",
        owner_api={
            "enabled": True,
            "listen": "127.0.0.1:0",
            "cert_file": str(cert_file),
            "key_file": str(key_file),
        },
    )
    await cp.peer.wait_for(lambda: cp.peer.of("BootNotification"))
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    assert cp.app.owner_api is not None
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
        yield Owner(cp, http, f"https://127.0.0.1:{cp.app.owner_api.port}", made.setup_code)


async def uk(cp: Running, message: str, data: dict[str, Any]) -> tuple[str, Any]:
    """A UK-extension DataTransfer from the `ocpp`-package central system; (status, data)."""
    answer = await cp.call(
        call.DataTransfer(
            vendor_id=uk_extension.VENDOR_ID, message_id=message, data=json.dumps(data)
        )
    )
    return answer.status, orjson.loads(answer.data) if answer.data else None


def events(cp: Running, kind: str) -> list[str]:
    assert cp.app._parts is not None
    return [e.tech_info for e in cp.app._parts.security_log.entries() if e.event == kind]


async def test_plain_http_and_an_untrusted_certificate_are_refused(owner: Owner) -> None:
    with pytest.raises(aiohttp.ClientError):
        async with owner.http.get(owner.base.replace("https", "http") + "/api/setup") as r:
            await r.read()
    async with aiohttp.ClientSession() as stranger:  # the system CAs do not know this one
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await stranger.get(owner.base + "/api/setup")


async def test_first_use_sets_the_password_there_is_no_default(owner: Owner) -> None:
    assert (await owner.req("GET", "/api/setup"))[1] == {"passwordSet": False}
    status, body, _ = await owner.req("GET", "/api/status")
    assert status == 401  # nothing but the setup without a password
    # A stranger on the LAN who comes first cannot claim it: the label's code is asked.
    for code in (None, "AAAA-BBBB-CCCC"):
        claim = {"password": "a stranger's long secret", "setupCode": code}
        status, body, _ = await owner.req("POST", "/api/setup", claim)
        assert status == 403 and "setup code" in body["error"]
    assert (await owner.req("GET", "/api/setup"))[1] == {"passwordSet": False}
    for weak in ("password", "short", "CP1CP1CP1CP1CP1", "aaaaaaaaaaaaaaaa"):
        body = {"password": weak, "setupCode": owner.setup_code}
        status, body, _ = await owner.req("POST", "/api/setup", body)
        assert status == 400 and body["error"].startswith("password:"), weak
    await owner.setup()
    assert (await owner.req("GET", "/api/setup"))[1] == {"passwordSet": True}
    again = {"password": "another long secret", "setupCode": owner.setup_code}
    status, _, _ = await owner.req("POST", "/api/setup", again)
    assert status == 409  # nobody can take it over by "setting it up" again
    status, body, _ = await owner.req("GET", "/api/status")
    assert status == 200 and body["connectors"]["1"]["status"] == "Available"
    assert body["software"]["integrity"] == "not checked"
    assert events(owner.cp, "OwnerPasswordSet") == ["first use"]


async def test_R38_device_information_needs_no_sign_in_and_matches_ocpp(owner: Owner) -> None:
    expected = {
        "vendor": "Acme",
        "model": "Home 7",
        "firmwareVersion": owner.cp.app.config.firmware_version,
        "supportUntil": "2031-12-31",
        "vulnerabilityContact": "security@acme.example",
    }
    status, body, headers = await owner.req("GET", "/api/info")  # before any password is set
    assert status == 200 and body == expected and headers["Cache-Control"] == "no-store"
    assert await uk(owner.cp, uk_extension.GET_DEVICE_INFO, {}) == ("Accepted", expected)
    assert (await uk(owner.cp, uk_extension.GET_DEVICE_INFO, {"x": 1}))[
        0
    ] == "Rejected"  # nothing extra


async def test_failed_logins_are_logged_and_lock_the_owner_out(owner: Owner) -> None:
    await owner.setup()
    owner.token = None
    for n in range(5):
        status, body, _ = await owner.req("POST", "/api/login", {"password": f"guess number {n}"})
        assert status == 401, body
    status, body, headers = await owner.req("POST", "/api/login", {"password": GOOD})
    assert status == 429 and int(headers["Retry-After"]) > 0  # even the right one, while locked
    assert len(events(owner.cp, "OwnerLoginFailed")) == 5
    assert events(owner.cp, "OwnerLockedOut") == ["owner sign-in locked for 300 s"]
    assert all(GOOD not in e.tech_info for e in owner.cp.app._parts.security_log.entries())  # type: ignore[union-attr]
    status, _, _ = await owner.req("GET", "/api/status")
    assert status == 401
    # A forged or stale token is no way in either.
    owner.token = "x" * 43
    assert (await owner.req("GET", "/api/security-log"))[0] == 401


async def test_session_history_and_owner_controls(owner: Owner) -> None:
    cp = owner.cp
    await owner.setup()
    await cp.until_status(1, "Available")
    cp.hw.plug(1, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)
    assert (await cp.call(call.RemoteStartTransaction(id_tag="CARD1", connector_id=1))).status == (
        "Accepted"
    )
    await cp.until(lambda: cp.state(1)["transaction_id"] is not None)
    status, body, _ = await owner.req("POST", "/api/connectors/1/charge-now")
    assert status == 200 and body == {"connectorId": 1, "chargeNow": True}
    await cp.until(lambda: cp.state(1)["limit_a"] > 0)
    # Some energy through the meter before the stop, so the session has some to show.
    meter = cp.app.hardware.connectors[1].meter
    await cp.until(lambda: meter.read().energy_import_wh >= 20)
    tx = cp.state(1)["transaction_id"]
    assert (await cp.call(call.RemoteStopTransaction(transaction_id=tx))).status == "Accepted"
    await cp.until(lambda: cp.state(1)["local_transaction_id"] is None)

    status, body, _ = await owner.req("GET", "/api/sessions")
    assert status == 200 and len(body["sessions"]) == 1
    session = body["sessions"][0]
    assert session["idTag"] == "CARD1" and session["stopReason"] == "Remote"
    assert session["energyWh"] > 0
    for period in ("day", "week", "month"):
        status, body, _ = await owner.req("GET", f"/api/history?period={period}")
        assert status == 200
        assert body["totals"] == [
            {
                "period": period,
                "start": {"day": "2026-06-01", "week": "2026-06-01", "month": "2026-06-01"}[period],
                "sessions": 1,
                "energyWh": session["energyWh"],
                "durationS": session["durationS"],
            }
        ]
    assert (await owner.req("GET", "/api/history?period=year"))[0] == 400
    assert (await owner.req("GET", "/api/sessions?since=yesterday"))[0] == 400

    status, body, _ = await owner.req("PUT", "/api/controls/default-hours", {"mode": "removed"})
    assert status == 200 and body["defaultHours"]["mode"] == "removed"
    status, body, _ = await owner.req("PUT", "/api/controls/random-delay", {"maxSeconds": 900})
    assert status == 200 and body["randomDelayMaxS"] == 900
    conf = await cp.call(call.GetConfiguration(key=["RandomisedDelayMaxSeconds"]))
    assert conf.configuration_key[0]["value"] == "900"
    assert (await owner.req("POST", "/api/connectors/1/skip-delay", {}))[0] == 409
    assert (await owner.req("POST", "/api/connectors/9/charge-now"))[0] == 404
    assert (await owner.req("POST", "/api/dsr/nope/opt-out"))[0] == 404
    status, body, _ = await owner.req("GET", "/api/security-log")
    assert status == 200 and body["intact"] is True
    assert [e["type"] for e in body["entries"]] == ["StartupOfTheDevice", "OwnerPasswordSet"]


GARBAGE: list[tuple[str, str, bytes]] = [
    ("PUT", "/api/controls/default-hours", b"not json"),
    ("PUT", "/api/controls/default-hours", b"[]"),
    ("PUT", "/api/controls/default-hours", b'{"mode": "custom"}'),
    ("PUT", "/api/controls/default-hours", b'{"mode": "custom", "windows": []}'),
    ("PUT", "/api/controls/default-hours", b'{"mode": "custom", "windows": [{"weekday": "Mon"}]}'),
    (
        "PUT",
        "/api/controls/default-hours",
        b'{"mode": "custom", "windows": [{"weekday": 9, "start": "22:00", "end": "23:00"}]}',
    ),
    (
        "PUT",
        "/api/controls/default-hours",
        b'{"mode": "custom", "windows": [{"weekday": "Mon", "start": "25:00", "end": "26:00"}]}',
    ),
    ("PUT", "/api/controls/default-hours", b'{"mode": "removed", "extra": 1}'),
    ("PUT", "/api/controls/default-hours", b'{"mode": null}'),
    ("PUT", "/api/controls/random-delay", b'{"maxSeconds": 1801}'),
    ("PUT", "/api/controls/random-delay", b'{"maxSeconds": -1}'),
    ("PUT", "/api/controls/random-delay", b'{"maxSeconds": "900"}'),
    ("PUT", "/api/controls/random-delay", b'{"maxSeconds": 9.5}'),
    ("PUT", "/api/controls/random-delay", b'{"maxSeconds": NaN}'),
    ("PUT", "/api/controls/random-delay", b"{}"),
    ("PUT", "/api/controls/random-delay", b"\xff\xfe"),
    ("PUT", "/api/controls/random-delay", b'{"maxSeconds": 99999999999999999999999}'),
    ("POST", "/api/connectors/1/skip-delay", b'{"session": "yes"}'),
    ("POST", "/api/connectors/%00/charge-now", b""),
    ("POST", "/api/connectors/01/charge-now", b""),
    ("POST", "/api/factory-reset", b'{"password": "x", "confirm": "yes"}'),
    ("POST", "/api/password", b'{"current": "wrong-password!", "new": "password"}'),
    ("PUT", "/api/controls/random-delay", b"{" * 20000),
    ("DELETE", "/api/controls", b""),
]


async def test_garbage_gets_a_clear_error_and_changes_nothing(owner: Owner) -> None:
    await owner.setup()
    before = (await owner.req("GET", "/api/controls"))[:2]
    for method, path, raw in GARBAGE:
        status, body, _ = await owner.req(method, path, raw=raw)
        assert 400 <= status < 500, (method, path, raw[:40], status)
        assert isinstance(body, dict) and body.get("error"), (path, body)
        assert "Traceback" not in str(body)
    assert (await owner.req("GET", "/api/controls"))[:2] == before
    assert owner.cp.app.boots == 1  # no factory reset happened
    status, _, _ = await owner.req("GET", "/api/sessions")
    assert status == 200  # and the owner is still signed in


@pytest.mark.parametrize("via", ["owner API", "OCPP"])
async def test_factory_reset_wipes_personal_data_and_keeps_the_device_secret(
    owner: Owner, tmp_path: Path, via: str
) -> None:
    """R35 through either way in: the owner API (password again) or the UK extension
    FactoryReset from the central system (the platform's "delete my data")."""
    cp = owner.cp
    factory = tmp_path / "factory"
    device_key = (factory / DEVICE_KEY_FILE).read_bytes()
    password = open_vault(factory).get("basic_auth_password")
    await owner.setup()
    await owner.req("PUT", "/api/controls/default-hours", {"mode": "removed"})
    await cp.until_status(1, "Available")
    result = await cp.call(
        call.SendLocalList(
            list_version=3,
            update_type="Full",
            local_authorization_list=[{"id_tag": "CARD9", "id_tag_info": {"status": "Accepted"}}],
        )
    )
    assert result.status == "Accepted"
    cp.hw.plug(1, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)
    await cp.call(call.RemoteStartTransaction(id_tag="CARD1", connector_id=1))
    await cp.until(lambda: cp.state(1)["transaction_id"] is not None)
    body = {"password": GOOD, "confirm": "delete my data"}
    if via == "OCPP":
        status, answer = await uk(cp, uk_extension.FACTORY_RESET, {"by": "owner"})
        assert status == "Rejected" and answer == {  # not while charging
            "error": "a charging session is running; stop it first",
            "reason": "SessionRunning",
        }
    else:
        status, answer, _ = await owner.req("POST", "/api/factory-reset", body)
        assert status == 409 and "session" in answer["error"]  # not while charging
    await cp.call(call.RemoteStopTransaction(transaction_id=cp.state(1)["transaction_id"]))
    await cp.until(lambda: cp.state(1)["local_transaction_id"] is None)
    assert cp.app.boots == 1  # a refusal changed nothing
    if via == "OCPP":
        for bad in ({"by": "someone"}, {"by": "owner", "now": True}):
            assert (await uk(cp, uk_extension.FACTORY_RESET, bad))[0] == "Rejected"
        assert await uk(cp, uk_extension.FACTORY_RESET, {}) == (
            "Accepted",
            {"factoryReset": True, "rebooting": True},
        )
    else:
        assert (await owner.req("POST", "/api/factory-reset", body | {"password": "wrong-one!!"}))[
            0
        ] == 401
        status, answer, _ = await owner.req("POST", "/api/factory-reset", body)
        assert status == 202 and answer["rebooting"] is True
    await cp.until(lambda: cp.app.boots == 2 and cp.app.station is not None)
    await cp.peer.wait_for(lambda: len(cp.peer.of("BootNotification")) >= 2)

    store = cp.app.station.store  # type: ignore[union-attr]
    assert store.sessions() == []
    queued = store._db.execute("SELECT DISTINCT action FROM outbox").fetchall()
    assert {a for (a,) in queued} <= {"SecurityEventNotification"}  # no id tag left queued
    assert store.local_list_size() == 0 and store.local_list_version() == 0
    assert store.cache_get("CARD1") is None
    assert store.setting("owner.default_hours") is None
    assert store.setting("owner.password_hash") is None
    assert store.last_register(1) > 0  # the meter's register is the device's, not personal
    assert (await owner.req("GET", "/api/status"))[0] == 401  # signed out
    owner.token = None
    assert (await owner.req("GET", "/api/setup"))[1] == {"passwordSet": False}
    # The device's own secret and credentials stay; the charger still connects with them.
    assert (factory / DEVICE_KEY_FILE).read_bytes() == device_key
    assert open_vault(factory).get("basic_auth_password") == password
    assert events(cp, "FactoryReset") == [
        "requested by the owner" + (" over OCPP" if via == "OCPP" else "")
    ]


async def test_the_owner_clears_a_tamper_alarm(owner: Owner) -> None:
    cp = owner.cp
    await owner.setup()
    assert (await owner.req("POST", "/api/tamper/clear"))[0] == 409  # no alarm to clear
    cp.hw.tamper_with("lid opened")
    await cp.until(lambda: cp.app.station is not None and cp.app.station.tampered)
    status, body, _ = await owner.req("GET", "/api/status")
    assert body["tamperAlarm"] is True
    status, body, _ = await owner.req("POST", "/api/tamper/clear")
    assert status == 200 and body == {"tamperCleared": True}
    assert (await owner.req("GET", "/api/status"))[1]["tamperAlarm"] is False
    assert events(cp, "TamperCleared") == ["cleared by owner"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
WRITES = [
    ("PUT", "/api/controls/default-hours"),
    ("PUT", "/api/controls/random-delay"),
    ("POST", "/api/connectors/1/skip-delay"),
    ("POST", "/api/connectors/1/charge-now"),
    ("POST", "/api/dsr/some-event/opt-out"),
    ("POST", "/api/factory-reset"),
    ("POST", "/api/setup"),
]


async def test_random_bodies_never_change_anything(owner: Owner, ca: trustme.CA) -> None:
    """Hypothesis sends random JSON and random bytes to every endpoint that writes; each gets a
    4xx JSON error, and the owner's settings, the sessions and the password stay as they were."""
    await owner.setup()
    before = (await owner.req("GET", "/api/controls"))[:2]
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    headers = {"Authorization": f"Bearer {owner.token}"}

    def send(method: str, path: str, data: bytes) -> tuple[int, Any]:
        request = urllib.request.Request(owner.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, context=ctx, timeout=10) as r:
                return r.status, orjson.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, orjson.loads(e.read())

    @settings(max_examples=150, deadline=None, database=None)
    @given(
        target=st.sampled_from(WRITES),
        body=JSON.map(lambda v: json.dumps(v).encode())  # big ints and NaN too
        | st.binary(max_size=64),
    )
    def probe(target: tuple[str, str], body: bytes) -> None:
        status, answer = send(*target, body)
        assert 400 <= status < 500, (target, body, status, answer)
        assert isinstance(answer, dict) and answer["error"], answer

    # The server runs on this event loop; the blocking client runs beside it in a thread.
    await asyncio.to_thread(probe)
    assert (await owner.req("GET", "/api/controls"))[:2] == before
    assert owner.cp.app.boots == 1 and owner.cp.app.station is not None
    assert owner.cp.app.station.store.sessions() == []
    owner.token = None
    status, _, _ = await owner.req("POST", "/api/login", {"password": GOOD})
    assert status == 200  # the password is unchanged and nobody was locked out
