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


def check_file(path: Path) -> tuple[int, list[str], str]:
    """`smartcharge chargepoint check-config`: (exit status, the weakening settings one a line,
    the verdict). 0: valid; 1: a production build would refuse it; 2: invalid."""
    import tomllib

    from smartcharge.chargepoint.config import ConfigError, parse_config

    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
        cfg = parse_config(data, base_dir=path.absolute().parent)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, ConfigError) as exc:
        return 2, [], f"error in {path}: {exc}"
    found = weakening_settings(cfg)
    if not found:
        return 0, [], f"{path}: valid; no security-weakening settings"
    listing = [f"{path}: security-weakening settings"]
    listing += [f"  {w.key}: {w.effect}" for w in found]
    if production_build():
        return 1, listing, "a production build refuses to start with these settings"
    return 0, listing, "valid for a lab or a demo; a production build would refuse it"


def warn(cfg: ChargePointConfig) -> None:
    """One security warning per weakening setting: at every start, in the log."""
    for weakening in weakening_settings(cfg):
        log.warning(
            "SECURITY WARNING: %s is a security-weakening setting: %s",
            weakening.key,
            weakening.effect,
        )
