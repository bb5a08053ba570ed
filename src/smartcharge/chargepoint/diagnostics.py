"""GetDiagnostics: pack the charger's logs and state into a tar.gz and upload it over HTTP(S).

What goes in: the structured log files of `data_dir/logs`, and a `status.json` with the
configuration keys (secret keys left out by `Configuration.get`), connector states and the outbox
size. Nothing in it is a password or key (R32).
"""

from __future__ import annotations

import io
import logging
import tarfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint import transfer
from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.diagnostics")


class Diagnostics:
    def __init__(
        self,
        station: Station,
        store: Store,
        configuration: Configuration,
        log_dir: Path,
        identity: str,
        transfers: transfer.Transfers | None = None,
        *,
        clock: Clock,
    ) -> None:
        self.station = station
        self.clock = clock
        self.store = store  # the outbox's size goes into the diagnostics file
        self.transfers = transfers or transfer.Transfers()
        self.config = configuration
        self.log_dir = log_dir
        self.identity = identity
        self.status = "Idle"

    def schedule(
        self,
        location: str,
        retries: int | None,
        interval: int | None,
        start: datetime | None,
        stop: datetime | None,
    ) -> str:
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%SZ")
        name = f"diagnostics-{self.identity}-{stamp}.tar.gz"
        self.station.spawn(self._upload(location, name, retries, interval))
        return name

    def archive(self) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for path in sorted(self.log_dir.glob("*.log*")):
                tar.add(path, arcname=f"logs/{path.name}")
            keys, _ = self.config.get(None)
            status: dict[str, Any] = {
                "identity": self.identity,
                "time": self.clock.now().isoformat(),
                "connectors": self.station.state(),
                "outbox_size": self.store.outbox_size(),
                "configuration": keys,
            }
            body = orjson.dumps(status, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
            info = tarfile.TarInfo("status.json")
            info.size = len(body)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(body))
        return buf.getvalue()

    async def _upload(
        self, location: str, name: str, retries: int | None, interval: int | None
    ) -> None:
        await self._report("Uploading")
        data = self.archive()
        await self.transfers.upload_and_report(
            self.clock,
            location,
            name,
            data,
            retries,
            interval,
            self._report,
            failed="UploadFailed",
        )

    async def _report(self, status: str) -> None:
        self.status = status
        await self.send_status()

    async def send_status(self) -> None:
        await self.station.send_best_effort(
            "DiagnosticsStatusNotification", {"status": self.status}
        )
