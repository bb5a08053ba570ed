"""Handlers for everything a charger sends, one module per subject; `install` routes them.

Each handler takes the charger's `ChargerContext` and the validated camelCase payload (raw
routes: no dataclass conversion on the hot path) and returns the CALLRESULT payload, after what
it must keep is stored.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.platform.handlers import certificates, core, notifications, transactions
from smartcharge.platform.handlers.context import ChargerContext

Handler = Callable[[ChargerContext, dict[str, Any]], Awaitable[dict[str, Any]]]

HANDLERS: dict[str, Handler] = {
    "BootNotification": core.boot_notification,
    "Heartbeat": core.heartbeat,
    "StatusNotification": core.status_notification,
    "Authorize": core.authorize,
    "DataTransfer": core.data_transfer,
    "StartTransaction": transactions.start_transaction,
    "StopTransaction": transactions.stop_transaction,
    "MeterValues": transactions.meter_values,
    "SecurityEventNotification": notifications.security_event,
    "FirmwareStatusNotification": notifications.firmware_status,
    "SignedFirmwareStatusNotification": notifications.signed_firmware_status,
    "DiagnosticsStatusNotification": notifications.diagnostics_status,
    "LogStatusNotification": notifications.log_status,
    "SignCertificate": certificates.sign_certificate,
}
AFTER = {"SignCertificate": certificates.after_sign_certificate}
"""What runs once the answer has been sent (a reply that must follow it)."""


def install(endpoint: RpcEndpoint, ctx: ChargerContext) -> None:
    for action, handler in HANDLERS.items():
        after = AFTER.get(action)
        hook = functools.partial(after, ctx) if after is not None else None
        endpoint.route(action, functools.partial(handler, ctx), raw=True, after=hook)


__all__ = ["HANDLERS", "ChargerContext", "install"]
