"""What the charger says about itself to anyone who asks (R38): vendor, model, the software
version running, the end of its security-update support period and where to report a
vulnerability. Nothing personal, so the owner API serves it without sign-in (`GET /api/info`)
and the UK extension `GetDeviceInfo` sends the same object (docs/owner-api.md,
docs/ocpp-extensions.md)."""

from __future__ import annotations

from typing import Any

from smartcharge.chargepoint.config import ChargePointConfig


def device_info(config: ChargePointConfig, running_version: str | None) -> dict[str, Any]:
    """The one JSON contract: `supportUntil` is YYYY-MM-DD or null, `vulnerabilityContact` an
    e-mail address, an https:// URL or null (the manufacturer did not set it)."""
    until = config.support_until
    return {
        "vendor": config.vendor,
        "model": config.model,
        "firmwareVersion": running_version or config.firmware_version,
        "supportUntil": until.isoformat() if until is not None else None,
        "vulnerabilityContact": config.vulnerability_contact,
    }
