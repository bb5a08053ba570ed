"""The charge point's TOML tables other than the hardware's: `[security]`, `[firmware]`,
`[clock]`, `[owner_api]`, `[simulator]`, `[ocpp]` and `[charging]` (config.py: the whole file)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from smartcharge.chargepoint.config_fields import (
    HttpUrl,
    KeyProblem,
    ResolvedPath,
    WsUrl,
    aware_datetime,
    float_range,
    host_port,
    int_range,
    length_between,
    printable_password,
    profile_number,
    split_host_port,
)
from smartcharge.chargepoint.config_model import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    Table,
    model_validator,
)


class SecurityConfig(Table):
    """`[security]`: how the charger proves who it is to the CSMS (OCPP security profiles).

    `profile` is the starting security profile: the SecurityProfile key only goes up from it.
    `credentials_dir` is the folder `smartcharge chargepoint provision` made for this charger
    (its device key and credential vault: the Basic auth password and the TLS key);
    `password` is the alternative for development (in the clear in this file, and an
    AuthorizationKey cannot then be stored). `ca_file` is the CSMS root certificate installed at
    first start; `cert_file` the charger's certificate chain for profile 3; `tls_csms_url` the
    wss:// address to use after an upgrade to profile 2 or 3 when `csms_url` is ws://.
    """

    # 2: Basic auth over TLS (R33). 0 and 1 are security-weakening settings (weakening.py).
    profile: Annotated[int, BeforeValidator(profile_number)] = 2
    password: Annotated[SecretStr, AfterValidator(printable_password)] | None = None
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
    # Security-weakening (a lab's): install UpdateFirmware images nobody signed (against R29).
    allow_unsigned_firmware: bool = False
    # MemoryExhaustion when available memory falls below this (memory.py); 0: not watched.
    min_free_memory_mb: Annotated[float, AfterValidator(float_range(0, 1_000_000))] = 16.0

    @model_validator(mode="after")
    def _manifest_needs_root(self) -> SecurityConfig:
        if self.boot_manifest is not None and self.manufacturer_root is None:
            raise KeyProblem("manufacturer_root", "required to check security.boot_manifest")
        return self


class FirmwareConfig(Table):
    """`[firmware]`: where the charger looks for updates (R29, R30) and the image key."""

    update_url: HttpUrl | None = None
    check_interval_h: Annotated[int, AfterValidator(int_range(1, 24 * 7))] = 24
    model_key_file: ResolvedPath | None = None


class ClockConfig(Table):
    """`[clock]`: whether the charger sets its clock from the central system's currentTime
    (SettingSystemTime, system_time.py). `sync_from_csms` unset: on, unless `[simulator]` runs
    its own timeline (a `start_time`, or a `speed` other than 1)."""

    sync_from_csms: bool | None = None
    sync_threshold_s: Annotated[float, AfterValidator(float_range(1, 3600))] = 5.0
    # The board keeps time across power cuts (a battery-backed real-time clock): its clock is
    # trusted from boot (clock_trust.py); without one, only once NTP or the central system set it.
    rtc: bool = False


class OwnerApiConfig(Table):
    """`[owner_api]`: the owner's HTTPS API on the charger (R5, R7, R33); off unless enabled."""

    enabled: bool = False
    listen: Annotated[str, AfterValidator(host_port)] = "0.0.0.0:8443"
    cert_file: ResolvedPath | None = None
    key_file: ResolvedPath | None = None
    # Security-weakening (a lab's): first use without the label's setup code, for a charger
    # that was never provisioned (anyone on the network who comes first claims it).
    first_use_without_code: bool = False

    @model_validator(mode="after")
    def _pair(self) -> OwnerApiConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise KeyProblem("cert_file", "cert_file and key_file go together")
        return self

    @property
    def host(self) -> str:
        return split_host_port(self.listen)[0]

    @property
    def port(self) -> int:
        return split_host_port(self.listen)[1]


class SimulatorConfig(Table):
    """`[simulator]`: the simulator's control socket and clock."""

    control: Annotated[str, AfterValidator(host_port)] = "127.0.0.1:0"
    start_time: Annotated[datetime, Field(strict=False), BeforeValidator(aware_datetime)] | None = (
        None
    )
    speed: Annotated[float, AfterValidator(float_range(0, 3600, lo_open=True))] = 1.0

    @property
    def control_host(self) -> str:
        return split_host_port(self.control)[0]

    @property
    def control_port(self) -> int:
        return split_host_port(self.control)[1]


class OcppConfig(Table):
    """`[ocpp]`: timings of the OCPP link. `heartbeat_interval` seeds the HeartbeatInterval key."""

    heartbeat_interval: Annotated[int, AfterValidator(int_range(1, 86400))] = 300
    connect_timeout: Annotated[float, AfterValidator(float_range(0, 300, lo_open=True))] = 10.0
    call_timeout: Annotated[float, AfterValidator(float_range(0, 600, lo_open=True))] = 30.0
    reconnect_min_s: Annotated[float, AfterValidator(float_range(0, 3600, lo_open=True))] = 1.0
    reconnect_max_s: Annotated[float, AfterValidator(float_range(0, 3600, lo_open=True))] = 60.0

    @model_validator(mode="after")
    def _backoff_order(self) -> OcppConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise KeyProblem("reconnect_max_s", "must be at least reconnect_min_s")
        return self


class DsrAgreementConfig(Table):
    """`[charging.dsr_agreement]` (R20): who the agreement is with and its reference; both go into
    the statement of compliance."""

    provider: Annotated[str, AfterValidator(length_between(1, 200, ""))]
    reference: Annotated[str, AfterValidator(length_between(1, 200, ""))]
    description: Annotated[str, AfterValidator(length_between(0, 2000, ""))] = ""


class ChargingConfig(Table):
    """`[charging]`: the installation and the UK rules' starting values.

    `random_delay_max_s` seeds the RandomisedDelayMaxSeconds key (R22, R23); the central system
    and the owner change it later. `site_limit_a` is the supply limit shared by all connectors
    (load balancing); `workplace` lets only the administrator change the default hours.
    `resume_after_power_loss` restarts charging (after the random delay) for a car still plugged
    in when the power comes back. `dsr_agreement` is set only when the charger is sold with a DSR
    agreement and configured for it (R20).
    """

    site_limit_a: Annotated[float, AfterValidator(float_range(6, 1000))] | None = None
    workplace: bool = False
    random_delay_max_s: Annotated[int, AfterValidator(int_range(0, 1800))] = 600
    resume_after_power_loss: bool = True
    dsr_agreement: DsrAgreementConfig | None = None
