"""What the information page says that no charger reports (R38): the support period and the
vulnerability-reporting contact. Environment variables SMARTCHARGE_WEB_*; a value not set is
shown as "not set by the operator" rather than made up."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTCHARGE_WEB_", extra="ignore")

    support_until: str | None = Field(
        default=None,
        max_length=100,
        description="The end of the security-update support period, e.g. 2031-12-31",
    )
    vulnerability_contact: str | None = Field(
        default=None,
        max_length=300,
        description="Where to report a vulnerability (an e-mail address or a URL)",
    )
    manufacturer: str | None = Field(default=None, max_length=100)
