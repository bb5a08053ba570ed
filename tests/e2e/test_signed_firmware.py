"""Signed firmware on a whole charge point (R29): the `ocpp`-package central system sends
SignedUpdateFirmware, images come over real HTTP, a real manufacturer PKI (made at test time)
signs them. Tampered, wrong-key and unsigned images are refused and logged while a session keeps
charging; a good image installs into the other slot and a broken slot is rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from cp_harness import MakeCP, Running
from ocpp.v16 import call

from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.manufacturer.keys import KeyFiles, create_keys, load_private_key
from smartcharge.manufacturer.signing import sign, sign_release
from smartcharge.ocpp import uk_extension

# The charge point's simulated clock starts on 2026-06-01; the PKI must be valid by then.
ISSUED = datetime(2026, 5, 1, tzinfo=UTC)
MODEL = "AC-7"


@pytest.fixture(scope="module")
def maker(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    out = tmp_path_factory.mktemp("pki") / "maker"
    return create_keys(out, organization="Acme Chargers", model=MODEL, now=ISSUED)


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    out = tmp_path_factory.mktemp("pki") / "stranger"
    return create_keys(out, organization="Not Acme", now=ISSUED)


@dataclass
class Files:
    served: dict[str, bytes]
    port: int

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
async def files() -> AsyncIterator[Files]:
    served: dict[str, bytes] = {}

    async def get(request: web.Request) -> web.Response:
        body = served.get(request.match_info["name"])
        return web.Response(status=404) if body is None else web.Response(body=body)

    app = web.Application()
    app.add_routes([web.get("/{name}", get)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield Files(served, runner.addresses[0][1])
    await runner.cleanup()


async def start(
    make_cp: MakeCP, maker: KeyFiles, manual: bool = False, **firmware: object
) -> Running:
    cp = await make_cp(
        manual=manual,
        model=MODEL,
        security={"profile": 0, "manufacturer_root": str(maker.root_cert)},
        firmware={"model_key_file": str(maker.model_key), **firmware},
    )
    await cp.until(lambda: bool(cp.peer.of("BootNotification")))
    await cp.until_status(1, "Available")
    return cp


def request(location: str, signature: str, cert: str, request_id: int) -> call.SignedUpdateFirmware:
    return call.SignedUpdateFirmware(
        request_id=request_id,
        firmware={
            "location": location,
            "retrieveDateTime": "2026-01-01T00:00:00Z",
            "signingCertificate": cert,
            "signature": signature,
        },
    )


def statuses(cp: Running, request_id: int) -> list[str]:
    return [
        r.payload["status"]
        for r in cp.peer.of("SignedFirmwareStatusNotification")
        if r.payload.get("request_id") == request_id
    ]


def security_events(cp: Running) -> list[tuple[str, str]]:
    assert cp.app.security is not None
    log = cp.app.security.log
    lifecycle = {"StartupOfTheDevice", "ResetOrReboot"}
    return [(e.event, e.tech_info) for e in log.entries() if e.event not in lifecycle]


async def test_bad_images_are_refused_and_logged_while_charging_goes_on(
    make_cp: MakeCP, maker: KeyFiles, stranger: KeyFiles, files: Files
) -> None:
    cp = await start(make_cp, maker, manual=True)
    image = make_image("2.0.0", MODEL)
    good = sign(
        image, load_private_key(maker.signing_key.read_bytes()), maker.signing_cert.read_bytes()
    )
    foreign = sign(
        image,
        load_private_key(stranger.signing_key.read_bytes()),
        stranger.signing_cert.read_bytes(),
    )
    files.served["fw.bin"] = image
    files.served["tampered.bin"] = image.replace(b"2.0.0", b"6.6.6")

    cp.hw.plug(1, battery_kwh=50.0, soc=20.0, max_power_w=11000.0)
    await cp.call(call.RemoteStartTransaction(id_tag="OWNER", connector_id=1))
    await cp.until(lambda: cp.state(1)["transaction_id"] is not None and cp.state(1)["limit_a"] > 0)
    tx = cp.state(1)["transaction_id"]

    # Tampered: the manufacturer's signature over other bytes.
    res = await cp.call(
        request(files.url("tampered.bin"), good.signature, good.signing_certificate, 1)
    )
    assert res.status == "Accepted"
    await cp.until(lambda: "InvalidSignature" in statuses(cp, 1))
    assert statuses(cp, 1) == ["Downloading", "Downloaded", "InvalidSignature"]

    # Another manufacturer's certificate: refused on receipt, nothing downloaded.
    res = await cp.call(
        request(files.url("fw.bin"), foreign.signature, foreign.signing_certificate, 2)
    )
    assert res.status == "InvalidCertificate"

    # The right certificate, a signature made with another key.
    res = await cp.call(
        request(files.url("fw.bin"), foreign.signature, good.signing_certificate, 3)
    )
    assert res.status == "Accepted"
    await cp.until(lambda: "InvalidSignature" in statuses(cp, 3))

    # Unsigned: an empty signature, and a plain UpdateFirmware.
    res = await cp.call(request(files.url("fw.bin"), "", good.signing_certificate, 4))
    assert res.status == "Accepted"
    await cp.until(lambda: "InvalidSignature" in statuses(cp, 4))
    await cp.call(
        call.UpdateFirmware(location=files.url("fw.bin"), retrieve_date="2026-01-01T00:00:00Z")
    )

    # The plain update waits for the session to end before it even looks at the image.
    def plain() -> list[str]:
        return [r.payload["status"] for r in cp.peer.of("FirmwareStatusNotification")]

    await cp.until(lambda: "Downloaded" in plain())
    await cp.advance(10)
    assert plain() == ["Downloading", "Downloaded"]

    kinds = [e for e, _ in security_events(cp)]
    assert kinds == [
        "InvalidFirmwareSignature",
        "InvalidFirmwareSigningCertificate",
        "InvalidFirmwareSignature",
        "InvalidFirmwareSignature",
    ]
    assert "not issued by the manufacturer root" in security_events(cp)[1][1] or (
        "was not issued" in security_events(cp)[1][1]
    )
    assert "not signed" in security_events(cp)[3][1]
    # Charging never stopped: the same transaction, still drawing power, energy growing.
    energy = cp.hw.connectors[1].meter.read().energy_import_wh
    await cp.advance(5)
    assert cp.state(1)["transaction_id"] == tx and cp.state(1)["limit_a"] > 0
    assert cp.hw.connectors[1].meter.read().energy_import_wh > energy
    assert cp.app.boots == 1
    assert not (cp.app.config.data_dir / "firmware" / "slot-a.img").exists()

    await cp.call(call.RemoteStopTransaction(transaction_id=tx))
    await cp.until(
        lambda: (
            "InstallationFailed"
            in [r.payload["status"] for r in cp.peer.of("FirmwareStatusNotification")]
        )
    )
    assert security_events(cp)[-1] == (
        "InvalidFirmwareSignature",
        "unsigned image (UpdateFirmware) refused",
    )
    assert cp.app.boots == 1


async def test_a_good_encrypted_image_installs_and_a_broken_slot_rolls_back(
    make_cp: MakeCP, maker: KeyFiles, files: Files, tmp_path: Path
) -> None:
    assert maker.model_key is not None
    release = sign_release(
        make_image("2.0.0", MODEL),
        maker.signing_key.read_bytes(),
        maker.signing_cert.read_bytes(),
        tmp_path / "release",
        model_key=maker.model_key.read_bytes(),
        model=MODEL,
    )
    files.served["fw.bin"] = release.image.read_bytes()
    cp = await start(make_cp, maker)
    sig = release.signature
    res = await cp.call(request(files.url("fw.bin"), sig.signature, sig.signing_certificate, 7))
    assert res.status == "Accepted"
    await cp.until(lambda: "Installed" in statuses(cp, 7), timeout=30)
    assert statuses(cp, 7) == [
        "Downloading",
        "Downloaded",
        "SignatureVerified",
        "Installing",
        "InstallRebooting",
        "Installed",
    ]
    assert cp.app.boots == 2
    assert cp.peer.of("BootNotification")[-1].payload["firmware_version"] == "2.0.0"
    assert ("FirmwareUpdated", "firmware 2.0.0 installed") in security_events(cp)
    store = cp.app.station.store  # type: ignore[union-attr]
    assert store.setting("firmware.active") == "a"

    # The active slot is damaged (flash corruption, someone editing it): at the next start it
    # fails its check and the charger goes back to what it ran before.
    slot = cp.app.config.data_dir / "firmware" / "slot-a.img"
    slot.write_bytes(slot.read_bytes()[:-1] + b"\0")
    boots = len(cp.peer.of("BootNotification"))
    await cp.call(call.Reset(type="Soft"))
    await cp.peer.wait_for(lambda: len(cp.peer.of("BootNotification")) > boots, timeout=20)
    assert (
        cp.peer.of("BootNotification")[-1].payload["firmware_version"]
        == cp.app.config.firmware_version
    )
    rolled = [i for e, i in security_events(cp) if e == "FirmwareRolledBack"]
    assert rolled == ["slot a image changed since it was installed"]


def updates_told(cp: Running) -> list[dict[str, Any]]:
    """The UpdateAvailable DataTransfers the central system received, their data decoded."""
    return [
        orjson.loads(r.payload["data"])
        for r in cp.peer.of("DataTransfer")
        if r.payload["vendor_id"] == uk_extension.VENDOR_ID
        and r.payload["message_id"] == uk_extension.UPDATE_AVAILABLE
    ]


async def test_the_charger_checks_for_updates_at_boot_and_then_periodically(
    make_cp: MakeCP, maker: KeyFiles, files: Files
) -> None:
    files.served["latest.json"] = b'{"version": "2.1.0", "location": "https://example.com/fw"}'
    cp = await start(make_cp, maker, update_url=files.url("latest.json"))
    fw = cp.app.firmware
    assert fw is not None
    await cp.until(lambda: fw.available is not None)
    found = fw.available
    assert found is not None and found["latestVersion"] == "2.1.0"
    assert found["updateAvailable"] is True and found["location"] == "https://example.com/fw"
    assert cp.app._condition()["firmware"]["updateCheck"] == found  # what the owner sees
    # R30: the central system is told too, through the durable outbox after the accepted boot.
    await cp.peer.wait_for(lambda: updates_told(cp))
    [told] = updates_told(cp)
    actions = [r.action for r in cp.peer.received]
    assert actions.index("BootNotification") < actions.index("DataTransfer")
    assert told == {
        "version": "2.1.0",
        "location": "https://example.com/fw",
        "checkedAt": found["checkedAt"],
        "running": cp.app.config.firmware_version,
    }

    # The loop itself (24 h in the config; 20 simulated seconds here): a later check sees what
    # was published since, and a broken description is reported, not fatal.
    files.served["latest.json"] = b"not json"
    task = cp.app.station.spawn(  # type: ignore[union-attr]
        fw.check_for_updates(files.url("latest.json"), timedelta(seconds=20))
    )
    await cp.until(lambda: "error" in (fw.available or {}))
    files.served["latest.json"] = orjson.dumps({"version": cp.app.config.firmware_version})
    await cp.until(lambda: (fw.available or {}).get("updateAvailable") is False, timeout=10)
    # The same version found again is not told again; a newer one is.
    files.served["latest.json"] = b'{"version": "2.1.0", "location": "https://example.com/fw"}'
    await cp.until(lambda: (fw.available or {}).get("updateAvailable") is True, timeout=10)
    files.served["latest.json"] = b'{"version": "2.2.0"}'
    await cp.peer.wait_for(lambda: len(updates_told(cp)) == 2)
    assert updates_told(cp)[1]["version"] == "2.2.0" and updates_told(cp)[1]["location"] is None
    task.cancel()
