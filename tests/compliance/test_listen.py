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

from smartcharge.chargepoint.security.provisioning import provision
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
from smartcharge.compliance.tls import make_ca, server_context
from smartcharge.manufacturer import keys

# What our charger proves over OCPP alone (and R33 with its local HTTPS interface given).
OVER_OCPP = {"R1", "R2", "R3", "R14", "R15", "R16", "R23", "R28", "R33", "R34", "R38", "R39"}


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
        target = ListenTarget(connect_timeout=60, local_https=("127.0.0.1", owner_port))
        run = await run_suite(target, out, csms=csms)
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
