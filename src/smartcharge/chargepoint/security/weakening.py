"""The settings that make a charger less secure than it ships, named in one place (issue 15,
finding 8; ETSI EN 303 645 and Schedule 1 of the UK regulations: secure by default).

The defaults are safe: security profile 2 (Basic auth over TLS, R33) and only signed firmware
(R29). A lab, the demo or a test may weaken them, but only by writing one of the settings below
in the charger's file, never by leaving a key out. Each one is

- logged as a security warning at every start (`warn`),
- listed by `smartcharge chargepoint check-config` (`weakening_settings`),
- refused by a production build (`refuse_in_production`): the image build puts a file named
  `PRODUCTION` beside this module, and a charger built so will not start with any of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartcharge.chargepoint.config import ChargePointConfig

log = logging.getLogger("smartcharge.chargepoint.security")

PRODUCTION_MARKER = Path(__file__).with_name("PRODUCTION")


@dataclass(frozen=True)
class Weakening:
    key: str  # as written in the charger's file
    effect: str  # what it gives away, in a sentence


def production_build() -> bool:
    """True in an image built for sale (the build adds `PRODUCTION` next to this module)."""
    return PRODUCTION_MARKER.exists()


def weakening_settings(cfg: ChargePointConfig) -> list[Weakening]:
    """Every security-weakening setting `cfg` uses, in the order of the file's tables."""
    sec = cfg.security
    found = []
    if sec.profile == 0:
        found.append(
            Weakening(
                "security.profile = 0",
                "no authentication and no encryption towards the central system (R33)",
            )
        )
    elif sec.profile == 1:
        found.append(
            Weakening(
                "security.profile = 1",
                "the charger's password crosses the network in clear over ws:// (R33)",
            )
        )
    if sec.password is not None:
        found.append(
            Weakening(
                "security.password",
                "the password is kept in clear in the configuration file, not in the sealed "
                "credential vault (R32)",
            )
        )
    if sec.allow_unsigned_firmware:
        found.append(
            Weakening(
                "security.allow_unsigned_firmware = true",
                "firmware images without the manufacturer's signature are installed (R29)",
            )
        )
    if cfg.owner_api.enabled and cfg.owner_api.first_use_without_code:
        found.append(
            Weakening(
                "owner_api.first_use_without_code = true",
                "whoever reaches the owner API first claims the charger, no setup code asked",
            )
        )
    if sec.allow_http_uploads:
        found.append(
            Weakening(
                "security.allow_http_uploads = true",
                "logs and diagnostics may be uploaded over plain http (R33)",
            )
        )
    return found


class WeakeningRefused(ValueError):
    """A production build was given security-weakening settings; the text names them."""


def refuse_in_production(cfg: ChargePointConfig, *, production: bool) -> None:
    found = weakening_settings(cfg)
    if production and found:
        names = ", ".join(w.key for w in found)
        raise WeakeningRefused(
            f"this is a production build: security-weakening settings are refused ({names})"
        )


def warn(cfg: ChargePointConfig) -> None:
    """One security warning per weakening setting: at every start, in the log."""
    for weakening in weakening_settings(cfg):
        log.warning(
            "SECURITY WARNING: %s is a security-weakening setting: %s",
            weakening.key,
            weakening.effect,
        )
