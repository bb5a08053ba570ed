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
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from smartcharge import __version__

__all__ = [
    "ChargePointConfig",
    "ClockConfig",
    "ConfigError",
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
_IDENTITY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


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


# --- small reusable checks (messages never include the value: it may be the password) ---------


def _int_range(lo: int, hi: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return check


def _float_range(lo: float, hi: float, *, lo_open: bool = False) -> Callable[[float], float]:
    def check(value: float) -> float:
        low_ok = value > lo if lo_open else value >= lo
        if not (low_ok and value <= hi):  # also rejects NaN
            low = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
            raise ValueError(f"must be {low} and at most {hi:g}")
        return value

    return check


def _length(lo: int, hi: int, what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not lo <= len(value) <= hi:
            raise ValueError(f"must be {lo} to {hi} characters{what}")
        return value

    return check


def _ws_url(value: str) -> str:
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("must be a ws:// or wss:// URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number in 0..65535 raises
    except ValueError:
        raise ValueError("must be a ws:// or wss:// URL with a valid host and port") from None
    if parts.scheme not in ("ws", "wss"):
        raise ValueError("must be a ws:// or wss:// URL")
    if not parts.hostname:
        raise ValueError("must be a ws:// or wss:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials; set security.password instead")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("must not have a query or fragment (the identity is appended to its path)")
    return value


def _identity(value: str) -> str:
    if not 1 <= len(value) <= 48:
        raise ValueError("must be 1 to 48 characters")
    if not set(value) <= _IDENTITY_CHARS:
        raise ValueError("may only contain letters, digits and - _ . :")
    return value


def _is_identity(value: str) -> bool:
    try:
        _identity(value)
    except ValueError:
        return False
    return True


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if (
        not sep
        or not host
        or any(ch.isspace() for ch in host)
        or not (port.isascii() and port.isdigit())
        or int(port) > 65535
    ):
        raise ValueError("must be host:port with a port from 0 to 65535, e.g. 127.0.0.1:0")
    return value


def _split_host_port(value: str) -> tuple[str, int]:
    """A value `_host_port` accepted, as (host without IPv6 brackets, port)."""
    host, _, port = value.rpartition(":")
    return (host[1:-1] if host.startswith("[") else host), int(port)


def _aware_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                "must be an ISO-8601 date and time with a UTC offset, "
                "e.g. 2026-03-29T00:30:00+00:00"
            ) from None
    if not isinstance(value, datetime):  # a TOML date or time, a number, ...
        raise ValueError("must be a date and time with a UTC offset, e.g. 2026-03-29T00:30:00Z")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2026-03-29T00:30:00+00:00")
    return value


def _printable_password(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value()
    if not 16 <= len(secret) <= 40:
        raise ValueError("must be 16 to 40 characters")
    if not all(0x20 <= ord(ch) <= 0x7E for ch in secret):
        raise ValueError("must be printable ASCII characters only")
    return value


def _profile(value: Any) -> Any:
    if type(value) is not int or value not in (0, 1, 2, 3):
        raise ValueError("must be one of 0, 1, 2, 3")
    return value


def _hardware_kind(value: str) -> str:
    if value != "simulated":
        raise ValueError('must be "simulated" (the only hardware supported so far)')
    return value


def _phases(value: Any) -> Any:
    if type(value) is not int or value not in (1, 3):
        raise ValueError("must be 1 or 3")
    return value


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    if "\x00" in str(value):
        raise ValueError("must be a path without NUL characters")
    base = info.context.get("base_dir") if isinstance(info.context, Mapping) else None
    if not value.is_absolute() and isinstance(base, Path):
        value = base / value
    return value


Identity = Annotated[str, AfterValidator(_identity)]
WsUrl = Annotated[str, AfterValidator(_ws_url)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError("must not contain spaces or control characters")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


def _calendar_date(value: Any) -> Any:
    """A TOML date (`2031-12-31`) or the same as a string; never a date and time."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date, e.g. 2031-12-31") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError("must be a date, e.g. 2031-12-31")
    return value


def _contact(value: str) -> str:
    """Where to report a vulnerability (R38): an e-mail address or an https:// URL."""
    if not 3 <= len(value) <= 200 or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError("must be 3 to 200 characters without spaces")
    if value.startswith("https://"):
        return _http_url(value)
    local, at, domain = value.partition("@")
    if not (at and local and "." in domain and "@" not in domain and "/" not in value):
        raise ValueError("must be an e-mail address or an https:// URL")
    return value


def _path_input(value: Any) -> Any:
    # Path's lax mode would take other types (e.g. os.PathLike); a TOML file only gives strings.
    if not isinstance(value, str | Path):
        raise ValueError("must be a string (a path)")
    if str(value) == "":
        raise ValueError("must not be empty")
    return value


ResolvedPath = Annotated[
    Path, Field(strict=False), BeforeValidator(_path_input), AfterValidator(_resolve_path)
]


class _KeyProblem(ValueError):
    """A check across keys; `key` is the TOML path, relative to the table that raised it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class _Table(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class SecurityConfig(_Table):
    """`[security]`: how the charger proves who it is to the CSMS (OCPP security profiles).

    `profile` is the starting security profile: the SecurityProfile key only goes up from it.
    `credentials_dir` is the folder `smartcharge chargepoint provision` made for this charger
    (its device key and credential vault: the Basic auth password and the TLS key);
    `password` is the alternative for development (in the clear in this file, and an
    AuthorizationKey cannot then be stored). `ca_file` is the CSMS root certificate installed at
    first start; `cert_file` the charger's certificate chain for profile 3; `tls_csms_url` the
    wss:// address to use after an upgrade to profile 2 or 3 when `csms_url` is ws://.
    """

    profile: Annotated[int, BeforeValidator(_profile)] = 1
    password: Annotated[SecretStr, AfterValidator(_printable_password)] | None = None
    credentials_dir: ResolvedPath | None = None
    ca_file: ResolvedPath | None = None
    cert_file: ResolvedPath | None = None
    tls_csms_url: WsUrl | None = None
    tamper_stops_charging: bool = True
    # The manufacturer root certificate: signed firmware and the boot manifest verify against it.
    manufacturer_root: ResolvedPath | None = None
    # The signed boot manifest of the installed software (R31), checked at every start.
    boot_manifest: ResolvedPath | None = None
    # The CAs (PEM) that HTTPS file servers must chain to: log and diagnostics uploads, firmware
    # downloads, the update check. Unset: the system's CAs.
    transfer_ca_file: ResolvedPath | None = None
    # From profile 2 on, logs are uploaded over https:// only, unless this says otherwise.
    allow_http_uploads: bool = False
    # MemoryExhaustion when available memory falls below this (memory.py); 0: not watched.
    min_free_memory_mb: Annotated[float, AfterValidator(_float_range(0, 1_000_000))] = 16.0

    @model_validator(mode="after")
    def _manifest_needs_root(self) -> SecurityConfig:
        if self.boot_manifest is not None and self.manufacturer_root is None:
            raise _KeyProblem("manufacturer_root", "required to check security.boot_manifest")
        return self


class FirmwareConfig(_Table):
    """`[firmware]`: where the charger looks for updates (R29, R30) and the image key."""

    update_url: HttpUrl | None = None
    check_interval_h: Annotated[int, AfterValidator(_int_range(1, 24 * 7))] = 24
    model_key_file: ResolvedPath | None = None


class ClockConfig(_Table):
    """`[clock]`: whether the charger sets its clock from the central system's currentTime
    (SettingSystemTime, system_time.py). `sync_from_csms` unset: on, unless `[simulator]` runs
    its own timeline (a `start_time`, or a `speed` other than 1)."""

    sync_from_csms: bool | None = None
    sync_threshold_s: Annotated[float, AfterValidator(_float_range(1, 3600))] = 5.0


class OwnerApiConfig(_Table):
    """`[owner_api]`: the owner's HTTPS API on the charger (R5, R7, R33); off unless enabled."""

    enabled: bool = False
    listen: Annotated[str, AfterValidator(_host_port)] = "0.0.0.0:8443"
    cert_file: ResolvedPath | None = None
    key_file: ResolvedPath | None = None

    @model_validator(mode="after")
    def _pair(self) -> OwnerApiConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise _KeyProblem("cert_file", "cert_file and key_file go together")
        return self

    @property
    def host(self) -> str:
        return _split_host_port(self.listen)[0]

    @property
    def port(self) -> int:
        return _split_host_port(self.listen)[1]


class HardwareConfig(_Table):
    """`[hardware]`: which hardware adapter drives the connectors."""

    kind: Annotated[str, AfterValidator(_hardware_kind)] = "simulated"
    meter_error_fraction: Annotated[float, AfterValidator(_float_range(-0.5, 0.5))] = 0.0


class SimulatorConfig(_Table):
    """`[simulator]`: the simulator's control socket and clock."""

    control: Annotated[str, AfterValidator(_host_port)] = "127.0.0.1:0"
    start_time: (
        Annotated[datetime, Field(strict=False), BeforeValidator(_aware_datetime)] | None
    ) = None
    speed: Annotated[float, AfterValidator(_float_range(0, 3600, lo_open=True))] = 1.0

    @property
    def control_host(self) -> str:
        return _split_host_port(self.control)[0]

    @property
    def control_port(self) -> int:
        return _split_host_port(self.control)[1]


class OcppConfig(_Table):
    """`[ocpp]`: timings of the OCPP link. `heartbeat_interval` seeds the HeartbeatInterval key."""

    heartbeat_interval: Annotated[int, AfterValidator(_int_range(1, 86400))] = 300
    connect_timeout: Annotated[float, AfterValidator(_float_range(0, 300, lo_open=True))] = 10.0
    call_timeout: Annotated[float, AfterValidator(_float_range(0, 600, lo_open=True))] = 30.0
    reconnect_min_s: Annotated[float, AfterValidator(_float_range(0, 3600, lo_open=True))] = 1.0
    reconnect_max_s: Annotated[float, AfterValidator(_float_range(0, 3600, lo_open=True))] = 60.0

    @model_validator(mode="after")
    def _backoff_order(self) -> OcppConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise _KeyProblem("reconnect_max_s", "must be at least reconnect_min_s")
        return self


class DsrAgreementConfig(_Table):
    """`[charging.dsr_agreement]` (R20): who the agreement is with and its reference; both go into
    the statement of compliance."""

    provider: Annotated[str, AfterValidator(_length(1, 200, ""))]
    reference: Annotated[str, AfterValidator(_length(1, 200, ""))]
    description: Annotated[str, AfterValidator(_length(0, 2000, ""))] = ""


class ChargingConfig(_Table):
    """`[charging]`: the installation and the UK rules' starting values.

    `random_delay_max_s` seeds the RandomisedDelayMaxSeconds key (R22, R23); the central system
    and the owner change it later. `site_limit_a` is the supply limit shared by all connectors
    (load balancing); `workplace` lets only the administrator change the default hours.
    `resume_after_power_loss` restarts charging (after the random delay) for a car still plugged
    in when the power comes back. `dsr_agreement` is set only when the charger is sold with a DSR
    agreement and configured for it (R20).
    """

    site_limit_a: Annotated[float, AfterValidator(_float_range(6, 1000))] | None = None
    workplace: bool = False
    random_delay_max_s: Annotated[int, AfterValidator(_int_range(0, 1800))] = 600
    resume_after_power_loss: bool = True
    dsr_agreement: DsrAgreementConfig | None = None


class ChargePointConfig(_Table):
    """The whole file. Build it with `load_config` / `parse_config`, not directly."""

    identity: Identity
    csms_url: WsUrl
    data_dir: ResolvedPath
    connectors: Annotated[int, AfterValidator(_int_range(1, 8))] = 2
    max_current_a: Annotated[float, AfterValidator(_float_range(6, 80))] = 32.0
    phases: Annotated[int, BeforeValidator(_phases)] = 3
    model: Annotated[str, AfterValidator(_length(1, _MODEL_MAX, " (OCPP chargePointModel)"))] = (
        "smartcharge-sim"
    )
    vendor: Annotated[str, AfterValidator(_length(1, _VENDOR_MAX, " (OCPP chargePointVendor)"))] = (
        "smartcharge"
    )
    serial_number: Annotated[
        str,
        AfterValidator(
            _length(
                1,
                _SERIAL_MAX,
                " (OCPP chargePointSerialNumber)",
            )
        ),
    ]
    firmware_version: Annotated[
        str, AfterValidator(_length(1, _FIRMWARE_MAX, " (OCPP firmwareVersion)"))
    ] = __version__
    # R38: set by the manufacturer per model; the owner API's GET /api/info and the UK
    # extension GetDeviceInfo report them (docs/chargepoint.md).
    support_until: Annotated[date, Field(strict=False), BeforeValidator(_calendar_date)] | None = (
        None
    )
    vulnerability_contact: Annotated[str, AfterValidator(_contact)] | None = None
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
        if not isinstance(identity, str) or not _is_identity(identity):
            return {**data, "serial_number": "-"}  # placeholder: only identity is reported
        if len(identity) <= _SERIAL_MAX:
            return {**data, "serial_number": identity}
        return data  # a long identity: serial_number is reported as required

    @model_validator(mode="after")
    def _across_keys(self) -> ChargePointConfig:
        profile = self.security.profile
        scheme = urlsplit(self.csms_url).scheme
        if profile >= 2 and scheme != "wss":
            raise _KeyProblem("security.profile", f"profile {profile} requires a wss:// csms_url")
        if profile <= 1 and scheme != "ws":
            raise _KeyProblem(
                "security.profile",
                f"profile {profile} requires a ws:// csms_url (use profile 2 or 3 for wss://)",
            )
        sec = self.security
        password = sec.password
        if password is not None and sec.credentials_dir is not None:
            raise _KeyProblem(
                "security.password", "set either password or credentials_dir (the vault), not both"
            )
        if profile in (1, 2) and password is None and sec.credentials_dir is None:
            raise _KeyProblem("security.password", f"required with security profile {profile}")
        if profile == 0 and password is not None:
            raise _KeyProblem("security.password", "must be absent with security profile 0")
        if profile >= 2 and sec.ca_file is None:
            raise _KeyProblem(
                "security.ca_file", f"required with security profile {profile} (the CSMS root)"
            )
        if profile == 3 and (sec.credentials_dir is None or sec.cert_file is None):
            raise _KeyProblem(
                "security.cert_file",
                "profile 3 needs cert_file and credentials_dir (the charger's certificate and key)",
            )
        if sec.tls_csms_url is not None and (
            scheme != "ws" or urlsplit(sec.tls_csms_url).scheme != "wss"
        ):
            raise _KeyProblem(
                "security.tls_csms_url", "must be a wss:// URL, and only with a ws:// csms_url"
            )
        if password is not None:
            secret = password.get_secret_value().casefold()
            for public in {self.identity.casefold(), self.serial_number.casefold()}:
                # R28: never derived from a public value (short ones would match by chance).
                if secret == public or (len(public) >= 6 and public in secret):
                    raise _KeyProblem(
                        "security.password", "must not contain the identity or serial number"
                    )
        if profile in (1, 2) and ":" in self.identity:
            # RFC 7617: the Basic auth user-id (the identity) cannot contain a colon.
            raise _KeyProblem(
                "identity",
                f"must not contain ':' with security profile {profile} (HTTP Basic auth)",
            )
        if self.clock.sync_from_csms and self.simulator.speed != 1:
            raise _KeyProblem(
                "clock.sync_from_csms", "a simulator speed other than 1 keeps its own time"
            )
        if sec.ca_file is not None and scheme != "wss" and sec.tls_csms_url is None:
            raise _KeyProblem(
                "security.ca_file", "only used with a wss:// csms_url or tls_csms_url"
            )
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
    if isinstance(cause, _KeyProblem):
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
    return parse_config(data, base_dir=path.absolute().parent)
