"""The information page's fallbacks (R38): the support period and the vulnerability-reporting
contact when a charger does not report its own (`GetDeviceInfo`, docs/ocpp-extensions.md), and
an optional manufacturer name. Set in the platform's settings (file or SMARTCHARGE_PLATFORM_*,
docs/platform.md); a value not set anywhere is shown as "not set", never made up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smartcharge.platform.config import PlatformSettings


@dataclass(frozen=True)
class WebSettings:
    support_until: date | None = None
    vulnerability_contact: str | None = None
    manufacturer: str | None = None

    @classmethod
    def of(cls, settings: PlatformSettings) -> WebSettings:
        return cls(settings.support_until, settings.vulnerability_contact, settings.manufacturer)
