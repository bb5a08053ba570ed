"""Platform settings: a TOML file, overridden by environment variables.

Every key can be set in the file (`platform.toml`, flat keys) or as an environment variable
`SMARTCHARGE_PLATFORM_<KEY>` (upper case), which wins over the file. See docs/platform.md.
"""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from smartcharge.platform.store import sqlite_url

ENV_PREFIX = "SMARTCHARGE_PLATFORM_"


class SettingsError(ValueError):
    """A bad setting; the message names the key, never its value."""


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=Path("platform-data"), description="Where the SQLite file lives."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: sqlite+aiosqlite:///<data_dir>/platform.db",
    )
    host: str = "0.0.0.0"
    port: int = Field(default=9000, ge=0, le=65535)
    security_profile: int = Field(default=2, ge=1, le=3)
    # Security-weakening: a second OCPP listener without TLS, for profile-1 chargers on a
    # trusted network, beside the TLS one (profiles 2 and 3). None: none.
    plain_port: int | None = Field(default=None, ge=0, le=65535)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # profile 3: the CA that signed the chargers' certificates
    lockout_failures: int = Field(default=5, ge=1)
    lockout_window_s: float = Field(default=60.0, gt=0)
    lockout_s: float = Field(default=300.0, ge=0)
    ocpp_handshakes_per_hour: int = Field(default=60, ge=1, le=100_000)
    # What a stranger can hold (docs/security.md, "Limits"); both listeners' caps together
    # must fit the process's open-file limit, which the platform raises towards its hard limit.
    ocpp_max_connections: int = Field(default=10_000, ge=1, le=1_000_000)
    ocpp_max_per_address: int = Field(default=1_000, ge=1, le=1_000_000)
    http_max_connections: int = Field(default=1_000, ge=1, le=100_000)
    http_max_per_address: int = Field(default=50, ge=1, le=100_000)
    http_header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    http_body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    tls_handshake_timeout_s: float = Field(default=10.0, gt=0, le=300)
    ocpp_handshake_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="How long a charger's opening handshake (TLS and WebSocket upgrade) may "
        "take; one that runs out is logged at warning level.",
    )
    ocpp_ping_interval_s: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="A charger from which nothing has come for this long is pinged "
        "(platform/keepalive.py); one that is not silent is not.",
    )
    ocpp_ping_timeout_s: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="A pinged charger whose pong has not come within this is disconnected.",
    )
    api_docs_public: bool = Field(
        default=False,
        description="Security-weakening: /docs and /openapi.json without a login.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed; "
        "none by default (the socket's address counts).",
    )
    heartbeat_interval_s: int = Field(default=300, ge=1)
    call_timeout_s: float = Field(default=30.0, gt=0)
    meter_batch_rows: int = Field(default=500, ge=1)
    meter_batch_ms: float = Field(default=50.0, ge=0)
    commit_batch_ms: float = Field(
        default=50.0,
        ge=0,
        le=1000,
        description="How long chargers' status, boot, start and stop messages gather for one "
        "commit (store/group_commit.py); each is answered once committed.",
    )
    last_seen_flush_s: float = Field(default=30.0, gt=0)
    api_host: str = Field(default="0.0.0.0", description="Where the REST API listens.")
    api_port: int = Field(default=8080, ge=0, le=65535)
    session_ttl_s: float = Field(default=12 * 3600, gt=0, le=90 * 86400)
    token_cache_s: float = Field(default=30.0, ge=0, le=3600)
    dsr_timeout_s: float = Field(default=10.0, gt=0, le=300)
    dsr_retry_s: float = Field(default=15.0, gt=0, le=3600)
    # Dynamic tariff prices (Octopus Agile): the public products API, asked with a timeout and
    # cached; a test or the demo points it at a local server.
    agile_api_url: str = Field(default="https://api.octopus.energy", max_length=200)
    agile_timeout_s: float = Field(default=10.0, gt=0, le=60)
    plan_keeper_interval_s: float = Field(default=60.0, gt=0, le=3600)
    node_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    bus_url: str | None = Field(
        default=None,
        pattern=r"^(nats|tls)://[^\s]+$",
        description="NATS server shared by several nodes (docs/platform.md); none: one node.",
    )
    bus_prefix: str = Field(default="smartcharge", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # R38, for chargers that do not report their own (GetDeviceInfo): the web app's fallback.
    support_until: date | None = Field(
        default=None, description="End of the security-update support period, e.g. 2031-12-31"
    )
    vulnerability_contact: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^(https://[^\s]+|[^@\s/]+@[^@\s/]+\.[^@\s/]+)$",
        description="Where to report a vulnerability: an e-mail address or an https:// URL",
    )
    manufacturer: str | None = Field(default=None, min_length=1, max_length=100)
    # The CA that signs charge point certificates (SignCertificate). Unset: the platform's own,
    # made in <data_dir>/charger-ca (several nodes must be given one to share).
    charger_ca_cert: Path | None = None
    charger_ca_key: Path | None = None
    charger_cert_days: int = Field(default=365, ge=1, le=3650)
    charger_cert_renew_days: int = Field(default=30, ge=1, le=365)
    certificate_check_s: float = Field(default=3600.0, gt=0, le=86400)

    def check_tls(self) -> None:
        """Profiles 2 and 3 need a certificate (checked when serving: provisioning does not)."""
        if self.security_profile >= 2 and (self.tls_cert is None or self.tls_key is None):
            raise SettingsError(
                f"security_profile {self.security_profile} needs tls_cert and tls_key"
            )
        if self.security_profile == 3 and self.tls_client_ca is None:
            raise SettingsError("security_profile 3 needs tls_client_ca")

    @property
    def database(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / "platform.db")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment, then the TOML file (when `load_settings` gave one).
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(path: Path | None = None, **overrides: object) -> PlatformSettings:
    """Settings from `path` (TOML; optional), the environment and `overrides`.

    Raises `SettingsError` naming each bad key.
    """
    if path is not None and not path.is_file():
        raise SettingsError(f"{path}: no such file")

    class _FromFile(PlatformSettings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        return _FromFile(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except ValueError as exc:  # a TOML syntax error
        raise SettingsError(f"{path}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "settings"
        lines.append(f"{key}: {error['msg']}")
    return "; ".join(lines)
