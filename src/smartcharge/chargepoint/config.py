"""The charge point's TOML file: `smartcharge chargepoint run --config cp.toml`.

The file says who the charger is (identity, model, serial), where its management platform is
(`csms_url`, security profile, password), where it keeps its data, and how the simulator runs.
Everything the CSMS may change at run time lives in the OCPP configuration keys instead
(`configuration_keys.py`); values here that have an OCPP key (e.g. `ocpp.heartbeat_interval`)
are only that key's starting value.

Bad input gives a `ConfigError` whose message names each bad key by its TOML path, e.g.
`security.profile: must be one of 0, 1, 2, 3` (principle 6: no stack trace to a user). The
password never appears in `repr()`, `str()` or any error message (R32).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from smartcharge import __version__
from smartcharge.chargepoint.config_fields import (
    Identity,
    KeyProblem,
    ResolvedPath,
    WsUrl,
    calendar_date,
    contact_address,
    float_range,
    int_range,
    is_identity,
    length_between,
    phase_count,
)
from smartcharge.chargepoint.config_model import (
    AfterValidator,
    BeforeValidator,
    Field,
    Table,
    ValidationError,
    model_validator,
)
from smartcharge.chargepoint.config_tables import (
    ChargingConfig,
    ClockConfig,
    DsrAgreementConfig,
    FirmwareConfig,
    OcppConfig,
    OwnerApiConfig,
    SecurityConfig,
    SimulatorConfig,
)
from smartcharge.chargepoint.hardware.config import HardwareConfig
from smartcharge.chargepoint.security.weakening import (
    WeakeningRefused,
    production_build,
    refuse_in_production,
)

__all__ = [
    "ChargePointConfig",
    "ChargingConfig",
    "ClockConfig",
    "ConfigError",
    "DsrAgreementConfig",
    "FirmwareConfig",
    "HardwareConfig",
    "OcppConfig",
    "OwnerApiConfig",
    "SecurityConfig",
    "SimulatorConfig",
    "load_config",
    "parse_config",
]

# OCPP 1.6 BootNotification.req field lengths (CiString20Type / 25 / 50).
_MODEL_MAX = 20
_VENDOR_MAX = 20
_SERIAL_MAX = 25
_FIRMWARE_MAX = 50
_MODEL_WHAT = " (OCPP chargePointModel)"
_VENDOR_WHAT = " (OCPP chargePointVendor)"


class ConfigError(Exception):
    """The configuration file is missing, not TOML, or holds a bad value.

    `str(error)` is one line per problem, each starting with the key's TOML path; `problems`
    holds the same lines.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


class ChargePointConfig(Table):
    """The whole file. Build it with `load_config` / `parse_config`, not directly."""

    identity: Identity
    csms_url: WsUrl
    data_dir: ResolvedPath
    connectors: Annotated[int, AfterValidator(int_range(1, 8))] = 2
    max_current_a: Annotated[float, AfterValidator(float_range(6, 80))] = 32.0
    phases: Annotated[int, BeforeValidator(phase_count)] = 3
    model: Annotated[
        str, AfterValidator(length_between(1, _MODEL_MAX, " (OCPP chargePointModel)"))
    ] = "smartcharge-sim"
    vendor: Annotated[
        str, AfterValidator(length_between(1, _VENDOR_MAX, " (OCPP chargePointVendor)"))
    ] = "smartcharge"
    serial_number: Annotated[
        str,
        AfterValidator(
            length_between(
                1,
                _SERIAL_MAX,
                " (OCPP chargePointSerialNumber)",
            )
        ),
    ]
    firmware_version: Annotated[
        str, AfterValidator(length_between(1, _FIRMWARE_MAX, " (OCPP firmwareVersion)"))
    ] = __version__
    # R38: set by the manufacturer per model; the owner API's GET /api/info and the UK
    # extension GetDeviceInfo report them (docs/chargepoint.md).
    support_until: Annotated[date, Field(strict=False), BeforeValidator(calendar_date)] | None = (
        None
    )
    vulnerability_contact: Annotated[str, AfterValidator(contact_address)] | None = None
    security: SecurityConfig = SecurityConfig()
    hardware: HardwareConfig = HardwareConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    ocpp: OcppConfig = OcppConfig()
    charging: ChargingConfig = ChargingConfig()
    firmware: FirmwareConfig = FirmwareConfig()
    owner_api: OwnerApiConfig = OwnerApiConfig()
    clock: ClockConfig = ClockConfig()

    @model_validator(mode="before")
    @classmethod
    def _serial_defaults_to_identity(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "serial_number" in data:
            return data
        identity = data.get("identity")
        if not isinstance(identity, str) or not is_identity(identity):
            return {**data, "serial_number": "-"}  # placeholder: only identity is reported
        if len(identity) <= _SERIAL_MAX:
            return {**data, "serial_number": identity}
        return data  # a long identity: serial_number is reported as required

    @model_validator(mode="after")
    def _across_keys(self) -> ChargePointConfig:
        profile = self.security.profile
        scheme = urlsplit(self.csms_url).scheme
        if profile >= 2 and scheme != "wss":
            raise KeyProblem("security.profile", f"profile {profile} requires a wss:// csms_url")
        if profile <= 1 and scheme != "ws":
            raise KeyProblem(
                "security.profile",
                f"profile {profile} requires a ws:// csms_url (use profile 2 or 3 for wss://)",
            )
        sec = self.security
        password = sec.password
        if password is not None and sec.credentials_dir is not None:
            raise KeyProblem(
                "security.password", "set either password or credentials_dir (the vault), not both"
            )
        if profile in (1, 2) and password is None and sec.credentials_dir is None:
            raise KeyProblem("security.password", f"required with security profile {profile}")
        if profile == 0 and password is not None:
            raise KeyProblem("security.password", "must be absent with security profile 0")
        if profile >= 2 and sec.ca_file is None:
            raise KeyProblem(
                "security.ca_file", f"required with security profile {profile} (the CSMS root)"
            )
        if profile == 3 and (sec.credentials_dir is None or sec.cert_file is None):
            raise KeyProblem(
                "security.cert_file",
                "profile 3 needs cert_file and credentials_dir (the charger's certificate and key)",
            )
        if sec.tls_csms_url is not None and (
            scheme != "ws" or urlsplit(sec.tls_csms_url).scheme != "wss"
        ):
            raise KeyProblem(
                "security.tls_csms_url", "must be a wss:// URL, and only with a ws:// csms_url"
            )
        if password is not None:
            secret = password.get_secret_value().casefold()
            for public in {self.identity.casefold(), self.serial_number.casefold()}:
                # R28: never derived from a public value (short ones would match by chance).
                if secret == public or (len(public) >= 6 and public in secret):
                    raise KeyProblem(
                        "security.password", "must not contain the identity or serial number"
                    )
        if profile in (1, 2) and ":" in self.identity:
            # RFC 7617: the Basic auth user-id (the identity) cannot contain a colon.
            raise KeyProblem(
                "identity",
                f"must not contain ':' with security profile {profile} (HTTP Basic auth)",
            )
        if self.clock.sync_from_csms and self.simulator.speed != 1:
            raise KeyProblem(
                "clock.sync_from_csms", "a simulator speed other than 1 keeps its own time"
            )
        self.hardware.check_connectors(self.connectors)
        if sec.ca_file is not None and scheme != "wss" and sec.tls_csms_url is None:
            raise KeyProblem("security.ca_file", "only used with a wss:// csms_url or tls_csms_url")
        return self

    @property
    def connect_url(self) -> str:
        """The websocket URL to dial: `csms_url` with the identity as its last path segment."""
        return f"{self.csms_url.rstrip('/')}/{self.identity}"

    @property
    def sync_clock(self) -> bool:
        """Whether the clock follows the central system's time (see ClockConfig)."""
        if self.clock.sync_from_csms is not None:
            return self.clock.sync_from_csms
        return self.simulator.start_time is None and self.simulator.speed == 1

    def url_for_profile(self, profile: int) -> str | None:
        """The URL to dial at security `profile` (ws:// for 0-1, wss:// for 2-3), or None."""
        want = "wss" if profile >= 2 else "ws"
        for base in (self.csms_url, self.security.tls_csms_url):
            if base is not None and urlsplit(base).scheme == want:
                return f"{base.rstrip('/')}/{self.identity}"
        return None


# --- loading ------------------------------------------------------------------------------------

_TYPE_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown key",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dict_type": "must be a table",
    "datetime_type": "must be a date and time with a UTC offset, e.g. 2026-03-29T00:30:00+00:00",
    "path_type": "must be a string (a path)",
}


def _problem(error: Mapping[str, Any]) -> str:
    loc = [str(part) for part in error["loc"]]
    kind = error["type"]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, KeyProblem):
        loc.append(cause.key)
    path = ".".join(loc)
    if kind == "missing" and path == "serial_number":
        text = "required when identity is longer than 25 characters (OCPP chargePointSerialNumber)"
    elif kind in _TYPE_MESSAGES:
        text = _TYPE_MESSAGES[kind]
    elif kind == "value_error":
        text = str(cause) if cause is not None else str(error["msg"])
    else:
        text = str(error["msg"]).replace("Input should be", "must be")
    return f"{path}: {text}" if path else text


def parse_config(data: dict[str, Any], *, base_dir: Path) -> ChargePointConfig:
    """Validate the parsed TOML `data`; relative paths are resolved against `base_dir`."""
    if not isinstance(data, Mapping):
        raise ConfigError("the configuration must be a table of keys")
    try:
        return ChargePointConfig.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        raise ConfigError(list(dict.fromkeys(_problem(e) for e in errors))) from None
    except (TypeError, ValueError, OverflowError) as exc:  # belt and braces: never a traceback
        raise ConfigError(f"invalid configuration ({type(exc).__name__})") from None


def load_config(path: Path) -> ChargePointConfig:
    """Read and validate the TOML file at `path`."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: the file is not UTF-8") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None
    cfg = parse_config(data, base_dir=path.absolute().parent)
    try:
        refuse_in_production(cfg, production=production_build())
    except WeakeningRefused as exc:
        raise ConfigError(str(exc)) from None
    return cfg
