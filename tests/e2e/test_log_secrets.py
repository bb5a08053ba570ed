"""A real charge point process, at debug level, never writes its password or a new
AuthorizationKey into its logs (R32; DESIGN: logs never contain passwords or keys)."""

from __future__ import annotations

import signal
from pathlib import Path

from cp_harness import start_process
from csms_peer import CentralSystemPeer
from ocpp.v16 import call
from tls_fixtures import provisioned

NEW_KEY = "Rotated-Key-0815-abcdef"


async def test_secrets_never_reach_the_logs(tmp_path: Path) -> None:
    made = provisioned(tmp_path / "factory", "SECRET1")
    password = made.password
    peer = CentralSystemPeer(passwords={"SECRET1": password})
    await peer.start()
    cfg = tmp_path / "cp.toml"
    cfg.write_text(
        f'identity = "SECRET1"\ncsms_url = "{peer.url}"\ndata_dir = "{tmp_path / "data"}"\n'
        f'[security]\nprofile = 1\ncredentials_dir = "{made.directory}"\n'
    )
    stderr = tmp_path / "stderr.log"
    proc = await start_process(cfg, stderr, "-v")
    try:
        await peer.wait_connected("SECRET1", timeout=30)
        peer.passwords = {"SECRET1": NEW_KEY}
        res = await peer.call(
            "SECRET1", call.ChangeConfiguration(key="AuthorizationKey", value=NEW_KEY)
        )
        assert res.status == "Accepted"
        await peer.wait_for(lambda: len(peer.of("StatusNotification")) >= 6)  # reconnected
        got = await peer.call("SECRET1", call.GetConfiguration(key=["AuthorizationKey"]))
        assert NEW_KEY not in str(got)  # write-only
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
        await peer.stop()
    logs = stderr.read_text() + "".join(
        p.read_text() for p in (tmp_path / "data" / "logs").glob("*.log*")
    )
    assert "boot accepted" in logs  # the logs were written
    assert password not in logs
    assert NEW_KEY not in logs
