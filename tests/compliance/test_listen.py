"""Item 5 of the issue: `--listen` against a charger that connects by itself. Our charger plays a
third-party one: started by hand like an installer would (provisioned, profile 2, trusting the
suite's CA), it connects to the suite listening with TLS. Every requirement checkable over OCPP
alone must pass; the rest are "not run" with why (a physical action or the charger's own
interface), never pass, never a false fail."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from compliance_expected import DECLARED
from cp_harness import start_process

from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.chargepoint.security.provisioning import provision
from smartcharge.compliance import firmware_images
from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.results import Outcome
from smartcharge.compliance.runner import run_suite
from smartcharge.compliance.target import (
    MANUFACTURED,
    SUPPORT_UNTIL,
    VULNERABILITY_CONTACT,
    ListenTarget,
    render_toml,
)
from smartcharge.compliance.technical_file import render
from smartcharge.compliance.tls import make_ca, server_context
from smartcharge.manufacturer import keys, signing

# What our charger proves over OCPP alone (and R33 with its local HTTPS interface given).
# R8: a setpoint out of range is refused or clamped in the charger's own plan. R29: with the
# charger's own images given (--firmware-signed, --firmware-unsigned; the foreign signer is the
# signed image re-signed by the suite).
OVER_OCPP = {
    *("R1", "R2", "R3", "R8", "R14", "R15", "R16", "R23", "R28", "R29", "R33", "R34", "R38"),
    "R39",
}
# Settings the scenarios change over OCPP, and must put back.
CHANGED = ("MeterValueSampleInterval", "RandomisedDelayMaxSeconds", "MeterValuesSampledData")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_listen_runs_every_check_ocpp_alone_can_make(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    ca_file, ca_key, ca_cert = make_ca(pki, "listen-ca")
    csms = CentralSystem(ssl_context=server_context(pki, ca_key, ca_cert))
    await csms.start()
    identity = "LISTEN01"
    credentials = tmp_path / "credentials"
    await asyncio.to_thread(provision, identity, credentials)
    maker = await asyncio.to_thread(keys.create_keys, tmp_path / "maker", now=MANUFACTURED)
    config = tmp_path / "cp.toml"
    owner_port = _free_port()
    config.write_text(
        render_toml(
            {
                "identity": identity,
                "serial_number": "SN-LISTEN-01",
                "csms_url": csms.url,
                "data_dir": str(tmp_path / "data"),
                "support_until": SUPPORT_UNTIL,  # as the manufacturer ships it (R38)
                "vulnerability_contact": VULNERABILITY_CONTACT,
                "security": {
                    "profile": 2,
                    "credentials_dir": str(credentials),
                    "ca_file": str(ca_file),
                    "manufacturer_root": str(maker.root_cert),  # as shipped (R29)
                    # Over wss the suite takes the log over https, with its own certificate.
                    "transfer_ca_file": str(ca_file),
                },
                "simulator": {"control": f"127.0.0.1:{_free_port()}"},
                "owner_api": {"enabled": True, "listen": f"127.0.0.1:{owner_port}"},
                "ocpp": {"reconnect_min_s": 0.2, "reconnect_max_s": 1.0, "call_timeout": 10},
            }
        )
    )
    charger = await start_process(config, tmp_path / "cp.stderr")
    out = tmp_path / "out"
    try:
        images = firmware_images.load(*_images(tmp_path / "images", maker))
        target = ListenTarget(
            connect_timeout=60, local_https=("127.0.0.1", owner_port), firmware=images
        )
        # The suite sends nothing before the BootNotification: it waits for it.
        first = await _settings(csms, identity)
        run = await run_suite(target, out, csms=csms)
        after = await _settings(csms, identity)
    finally:
        charger.terminate()
        await charger.wait()
        await csms.stop()
    outcomes = run.outcomes()
    passed = {r for r, o in outcomes.items() if o is Outcome.PASS}
    failed = {r: run.results[r].reason for r, o in outcomes.items() if o is Outcome.FAIL}
    assert not failed, failed
    assert passed == OVER_OCPP, (
        sorted(passed ^ OVER_OCPP),
        {r: run.results[r].reason for r in passed ^ OVER_OCPP},
    )
    for req, outcome in outcomes.items():
        if req in DECLARED:
            assert outcome is DECLARED[req], req
        elif outcome is Outcome.NOT_RUN:
            assert run.results[req].reason, req
    # What ran over OCPP has its message log; the wrong-CA check and the TLS version are there.
    r33 = {c.name: c for c in run.results["R33"].checks}
    assert r33["OCPP over wss with TLS 1.2 or later"].ok, r33
    refused = r33["a central system whose certificate the charger cannot validate is refused"]
    assert refused.ok and "unknown CA" in refused.detail, refused
    r37 = {c.name: c.ok for c in run.results["R37"].checks}
    assert r37["the refused update is in the exported log, with its time"], r37
    assert (out / "evidence" / "credentials.jsonl").stat().st_size > 0
    r29 = {c.name: c.detail for c in run.results["R29"].checks}
    assert (
        "InvalidCertificate"
        in r29["SignedUpdateFirmware: an image signed by an unknown signer is refused"]
    )
    assert "InstallationFailed" in r29["UpdateFirmware: an unsigned image is not installed"], r29
    # Every setting the suite changed is back as it was; nothing was left changed.
    assert after == first and not target.left_changed, (first, after, target.left_changed)
    # Each evidence file holds its own scenario's frames: none is in two files.
    seen: dict[str, str] = {}
    for log in sorted((out / "evidence").glob("*.jsonl")):
        for line in log.read_text().splitlines():
            assert seen.setdefault(line, log.name) == log.name, (line, seen[line], log.name)
    # The file is about the charger that booted, in real time, with no words of ours for it.
    assert run.tested is not None and run.tested.serials == ("SN-LISTEN-01",)
    md = render.markdown(run)
    head = md.split("## Description")[0]
    assert "| SN-LISTEN-01 |" in head and "real time" in md and "simulated clock" not in md
    assert "to be completed by the manufacturer" in md
    assert "docs/security.md" not in md and "tests/" not in md.split("## Test reports")[0]


def _images(folder: Path, maker: keys.KeyFiles) -> tuple[Path, Path, None]:
    """As a manufacturer would give them: a signed image (with .sig, .pem, .version beside it)
    and an unsigned one of the charger's own format."""
    folder.mkdir()
    signed, unsigned = folder / "fw-9.1.bin", folder / "fw-9.0-unsigned.bin"
    image = make_image("9.1-maker", "smartcharge-sim")
    key = keys.load_private_key(maker.signing_key.read_bytes())
    sig = signing.sign(image, key, maker.signing_cert.read_bytes())
    signed.write_bytes(image)
    signed.with_name(signed.name + ".sig").write_text(sig.signature)
    signed.with_name(signed.name + ".pem").write_text(sig.signing_certificate)
    signed.with_name(signed.name + ".version").write_text("9.1-maker\n")
    unsigned.write_bytes(make_image("9.0-unsigned", "smartcharge-sim"))
    return signed, unsigned, None


async def _settings(csms: CentralSystem, identity: str) -> dict[str, str | None]:
    await csms.wait_for(lambda: csms.booted(identity) and identity in csms.links, 60)
    res = await csms.call(identity, "GetConfiguration", {"key": list(CHANGED)})
    return {k["key"]: k.get("value") for k in res.get("configurationKey") or []}
