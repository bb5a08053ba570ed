"""Our own charger gets its certificate from the platform's CA (issue 14 item 1), driven from
the CLI through the REST API: the CA is installed on the charger as its central system root,
SignChargePointCertificate is triggered, the charger's CSR is signed and its CertificateSigned
accepted; renewal ahead of expiry gives it a new one the same way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api_harness import user_client
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from platform_harness import Platform
from test_chargepoint_against_platform import our_charge_point
from typer.testing import CliRunner

from smartcharge.cli import app as cli


async def test_our_charger_gets_and_renews_its_certificate_from_the_cli(
    make_platform: Callable[..., Awaitable[Platform]], tmp_path: Path
) -> None:
    platform = await make_platform(charger_cert_days=10, charger_cert_renew_days=30)
    password = await platform.add("SC-1")
    # The charger's clock must be today's: it checks the certificates' dates.
    now = datetime.now(UTC).isoformat(timespec="seconds")
    app = our_charge_point(platform, password, tmp_path, simulator={"speed": 1, "start_time": now})
    task = asyncio.ensure_future(app.run())
    runner = CliRunner()
    ca = platform.app.certificates.ca.cert
    ca_file = tmp_path / "charger-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    try:
        await platform.app.ocpp.wait_connected("SC-1", timeout=20)
        async with user_client(platform, "op@example.org", "operator") as op:
            token = op.headers["Authorization"].removeprefix("Bearer ")

        async def run(*args: str) -> Any:
            """`smartcharge platform certificates ...` for SC-1: its JSON on stdout."""
            where = ("--identity", "SC-1", "--api-url", platform.app.http.url)
            env = {"SMARTCHARGE_API_TOKEN": token, "SMARTCHARGE_PLATFORM_SECURITY_PROFILE": "1"}
            command = ["platform", "certificates", *args, *where]
            result = await asyncio.to_thread(runner.invoke, cli, command, env=env)
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout)

        assert await run("install", "--file", str(ca_file)) == {"status": "Accepted"}
        listed = await run("list")
        assert listed["status"] == "Accepted"
        assert await run("trigger") == {"status": "Accepted"}
        first = await _certificate(platform, app, count=1)
        assert first.issuer == ca.subject

        # Due for renewal (10-day certificates, renewed from 30 days ahead): asked, renewed.
        assert await platform.app.certificates.renew_due() == ["SC-1"]
        second = await _certificate(platform, app, count=2)
        assert second.serial_number != first.serial_number
        issued = await run("issued")
        assert [r["delivered"] for r in issued] == ["Accepted", "Accepted"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _certificate(platform: Platform, app: object, *, count: int) -> x509.Certificate:
    """The charger's own certificate once the platform has issued `count` and the charger
    accepted the last one."""
    charger_id = await platform.charger_id("SC-1")
    async with asyncio.timeout(30):
        while True:
            rows = await platform.store.certificates.of_charger(charger_id)
            if len(rows) == count and rows[0]["delivered"] == "Accepted":
                break
            await asyncio.sleep(0.05)
    chain = app.security.connection.chargepoint_chain()  # type: ignore[attr-defined]
    leaf = x509.load_pem_x509_certificates(chain)[0]
    assert f"{leaf.serial_number:x}" == rows[0]["serial"]
    return leaf
