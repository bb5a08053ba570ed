"""Boot integrity on a whole charge point (R31): with a signed manifest that does not match the
installed software the charger still connects, but only to report: every command but a signed
firmware update is refused with a SecurityError CALLERROR, the owner is told, the failure is in
the security log; a manifest that matches restores it at the next start."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cp_harness import MakeCP
from ocpp.exceptions import SecurityError
from ocpp.v16 import call

import smartcharge
from smartcharge.manufacturer.keys import KeyFiles, create_keys
from smartcharge.manufacturer.manifest import sign_manifest

PACKAGE = Path(smartcharge.__file__).parent


@pytest.fixture(scope="module")
def maker(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    out = tmp_path_factory.mktemp("pki") / "maker"
    return create_keys(out, organization="Acme Chargers", now=datetime(2026, 5, 1, tzinfo=UTC))


def manifest_of(package: Path, maker: KeyFiles, out: Path) -> Path:
    sign_manifest(
        package, "1.0.0", maker.signing_key.read_bytes(), maker.signing_cert.read_bytes(), out
    )
    return out


async def test_a_changed_install_connects_only_to_report_until_restored(
    make_cp: MakeCP, maker: KeyFiles, tmp_path: Path
) -> None:
    # What the manufacturer signed differs from what is installed by one file: as if someone
    # had edited the installed charging decision.
    shipped = tmp_path / "shipped" / "smartcharge"
    shutil.copytree(PACKAGE, shipped, ignore=shutil.ignore_patterns("__pycache__"))
    edited = shipped / "chargepoint" / "charging" / "decision.py"
    edited.write_text(edited.read_text() + "\n# the manufacturer's version\n")
    manifest = manifest_of(shipped, maker, tmp_path / "boot-manifest.json")

    cp = await make_cp(
        security={
            "profile": 0,
            "manufacturer_root": str(maker.root_cert),
            "boot_manifest": str(manifest),
        }
    )
    await cp.peer.wait_for(lambda: cp.peer.of("BootNotification"))  # it does connect, to report
    assert cp.app.integrity is not None and not cp.app.integrity
    assert cp.app.integrity.changed == ["chargepoint/charging/decision.py"]
    condition = cp.app._condition()["software"]
    assert condition["integrity"] == "failed" and condition["remoteCommands"] is False
    assert "changed: chargepoint/charging/decision.py" in condition["integrityDetail"]

    cp.hw.plug(1, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)
    for command in (
        call.RemoteStartTransaction(id_tag="ATTACKER", connector_id=1),
        call.ChangeConfiguration(key="HeartbeatInterval", value="5"),
        call.Reset(type="Hard"),
        call.SetChargingProfile(
            connector_id=0,
            cs_charging_profiles={
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32}],
                },
            },
        ),
    ):
        with pytest.raises(SecurityError):
            await cp.call(command)
    assert cp.state(1)["transaction_id"] is None and cp.app.boots == 1
    # The way out stays open: a signed update is still answered (this one's certificate is
    # garbage, so it is refused on its merits, not by the integrity lock).
    res = await cp.call(
        call.SignedUpdateFirmware(
            request_id=1,
            firmware={
                "location": "http://127.0.0.1:9/fw.bin",
                "retrieveDateTime": "2026-01-01T00:00:00Z",
                "signingCertificate": "not a certificate",
                "signature": "AAAA",
            },
        )
    )
    assert res.status == "InvalidCertificate"
    seclog = cp.app.security.log  # type: ignore[union-attr]
    assert seclog is not None
    assert [e.event for e in seclog.entries()] == [
        "StartupOfTheDevice",
        "BootIntegrityFailed",
        "InvalidFirmwareSigningCertificate",
    ]

    # A valid manifest of what is installed (a good update brings one): at the next start the
    # charger is whole again and takes commands.
    manifest_of(PACKAGE, maker, tmp_path / "good-manifest.json").replace(manifest)
    assert cp.app.station is not None
    boots = len(cp.peer.of("BootNotification"))
    cp.app.station.reboot_requested.set()  # a power cycle
    await cp.peer.wait_for(lambda: len(cp.peer.of("BootNotification")) > boots)
    assert cp.app.integrity is not None and cp.app.integrity
    assert cp.app._condition()["software"]["integrity"] == "intact"
    res = await cp.call(call.RemoteStartTransaction(id_tag="OWNER", connector_id=1))
    assert res.status == "Accepted"
    seclog = cp.app.security.log  # type: ignore[union-attr]
    assert seclog is not None
    assert [e.event for e in seclog.entries()][-1] == "BootIntegrityRestored"
