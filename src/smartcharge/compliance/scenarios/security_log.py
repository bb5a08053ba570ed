"""The charger's security log as it exports it (GetLog SecurityLog, uploaded to the suite).

What the charger wrote in its own log is evidence of what it did: an event it logged but does
not notify (the whitepaper notifies only critical ones) shows there, with its time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from smartcharge.compliance.file_server import FileServer, readable
from smartcharge.compliance.scenarios.base import call_status
from smartcharge.compliance.target import Charger

# Generous: ends as soon as the upload (or the charger's report of its failure) arrives.
UPLOAD_WAIT_S = 60.0
LOG_FAILED = ("BadMessage", "NotSupportedOperation", "PermissionDenied", "UploadFailure")
_REQUEST_IDS = itertools.count(91)


@dataclass(frozen=True)
class Export:
    answer: str  # GetLog's status
    name: str | None = None  # the uploaded file's name
    text: str | None = None  # its text, when the suite could read it
    failure: str | None = None  # the LogStatusNotification failure, if the charger sent one

    @property
    def uploaded(self) -> bool:
        return self.name is not None

    @property
    def refused(self) -> bool:
        """The charger said it would not (or could not) export: positive evidence."""
        return self.answer != "Accepted" or self.failure is not None

    def count(self, event: str) -> int:
        return 0 if self.text is None else sum(event in line for line in self.text.splitlines())


async def export(ch: Charger) -> Export:
    """Ask for the security log and wait for it (or the charger's report that it failed).
    Over wss the upload comes over HTTPS too (a charger at profile 2+ uploads over https only),
    with the certificate the charger already trusts for the central system."""
    server = await FileServer().start(ch.csms.links[ch.identity].local_host, ch.csms.ssl_context)
    since = len(ch.csms.received(ch.identity, "LogStatusNotification"))

    def failed() -> str | None:
        got = ch.csms.received(ch.identity, "LogStatusNotification")[since:]
        bad = [str(m.payload.get("status")) for m in got if m.payload.get("status") in LOG_FAILED]
        return bad[0] if bad else None

    try:
        answer = await call_status(
            ch,
            "GetLog",
            {
                "logType": "SecurityLog",
                "requestId": next(_REQUEST_IDS),
                "log": {"remoteLocation": server.url("up")},
            },
        )
        if answer == "Accepted":
            await ch.csms.wait_for(lambda: bool(server.uploads or failed()), UPLOAD_WAIT_S)
    finally:
        await server.stop()
    if not server.uploads:
        return Export(answer, failure=failed())
    name, data = server.uploads[0]
    return Export(answer, name, readable(data), failed())
