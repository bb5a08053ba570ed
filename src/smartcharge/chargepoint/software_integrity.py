"""The charger's own condition at boot and for the owner: is the installed software the signed
software (R31), which firmware runs, is a tamper alarm latched (R36)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import smartcharge
from smartcharge import __version__
from smartcharge.chargepoint.config import SecurityConfig
from smartcharge.chargepoint.firmware import FirmwareManager
from smartcharge.chargepoint.security.boot_integrity import IntegrityResult, check_signed_file
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store

log = logging.getLogger("smartcharge.chargepoint")


def check_integrity(
    sec: SecurityConfig, store: Store, events: SecurityEvents
) -> IntegrityResult | None:
    """R31: the installed software against its signed manifest; the result is logged.
    None when no boot manifest is configured."""
    if sec.boot_manifest is None or sec.manufacturer_root is None:
        return None
    try:
        root = sec.manufacturer_root.read_bytes()
    except OSError as exc:
        result = IntegrityResult(False, problem=f"manufacturer root unreadable: {exc}")
    else:
        result = check_signed_file(Path(smartcharge.__file__).parent, sec.boot_manifest, root)
    if not result:
        log.error("boot integrity check failed: %s", result.summary())
        events.record("BootIntegrityFailed", result.summary())
        store.save_setting("firmware.integrity", "failed")
    else:
        if store.setting("firmware.integrity") == "failed":
            events.record("BootIntegrityRestored", result.summary())
        store.save_setting("firmware.integrity", "ok")
    return result


def condition(
    result: IntegrityResult | None, firmware: FirmwareManager | None, station: Station | None
) -> dict[str, Any]:
    """What the owner is told about the charger's own state (owner API status)."""
    return {
        "software": {
            "version": __version__,
            "integrity": ("not checked" if result is None else "intact" if result else "failed"),
            "integrityDetail": None if result is None else result.summary(),
            # R31: with a failed check the charger reports but takes no remote commands.
            "remoteCommands": result is None or bool(result),
        },
        "firmware": firmware.condition() if firmware is not None else None,
        # R36: a latched tamper alarm stops charging until the owner clears it.
        "tamperAlarm": station is not None and station.tampered,
    }
