"""OCPP 1.6 configuration keys: GetConfiguration / ChangeConfiguration, validated and persisted."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp.v16.enums import ConfigurationKey, Measurand

from smartcharge.chargepoint.configuration_keys import Configuration, TooManyKeysError
from smartcharge.chargepoint.key_catalogue import STANDARD_KEYS
from smartcharge.chargepoint.key_definitions import KeyDef

SECRET = "Zq7-unique-charger-key-41"


class DictStore:
    """A SettingsStore in memory."""

    def __init__(self, data: dict[str, str] | None = None) -> None:
        self.data = dict(data or {})
        self.fail = False

    def load_settings(self) -> dict[str, str]:
        return dict(self.data)

    def save_setting(self, key: str, value: str) -> None:
        if self.fail:
            raise OSError("disk full")
        self.data[key] = value


class SqliteStore:
    """A SettingsStore on a real SQLite file, as the charge point's store keeps it."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT)")
        self.db.commit()

    def load_settings(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM settings").fetchall())

    def save_setting(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO settings(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def store() -> DictStore:
    return DictStore()


@pytest.fixture
def config(store: DictStore) -> Configuration:
    return Configuration(store)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "chargepoint.sqlite"


def value_of(config: Configuration, key: str) -> str | None:
    entries, _ = config.get([key])
    return entries[0].get("value")  # type: ignore[return-value]


def snapshot(config: Configuration) -> list[dict[str, str | bool]]:
    return config.get()[0]


# --- the standard keys ---------------------------------------------------------------------------

BRIEF_KEYS = {
    # name: (kind, readonly)
    "AllowOfflineTxForUnknownId": ("bool", False),
    "AuthorizationCacheEnabled": ("bool", False),
    "AuthorizeRemoteTxRequests": ("bool", False),
    "BlinkRepeat": ("int", False),
    "ClockAlignedDataInterval": ("int", False),
    "ConnectionTimeOut": ("int", False),
    "ConnectorPhaseRotation": ("csl", False),
    "ConnectorPhaseRotationMaxLength": ("int", True),
    "GetConfigurationMaxKeys": ("int", True),
    "HeartbeatInterval": ("int", False),
    "LightIntensity": ("int", False),
    "LocalAuthorizeOffline": ("bool", False),
    "LocalPreAuthorize": ("bool", False),
    "MaxEnergyOnInvalidId": ("int", False),
    "MeterValuesAlignedData": ("csl", False),
    "MeterValuesAlignedDataMaxLength": ("int", True),
    "MeterValuesSampledData": ("csl", False),
    "MeterValuesSampledDataMaxLength": ("int", True),
    "MeterValueSampleInterval": ("int", False),
    "MinimumStatusDuration": ("int", False),
    "NumberOfConnectors": ("int", True),
    "ResetRetries": ("int", False),
    "StopTransactionOnEVSideDisconnect": ("bool", False),
    "StopTransactionOnInvalidId": ("bool", False),
    "StopTxnAlignedData": ("csl", False),
    "StopTxnAlignedDataMaxLength": ("int", True),
    "StopTxnSampledData": ("csl", False),
    "StopTxnSampledDataMaxLength": ("int", True),
    "SupportedFeatureProfiles": ("csl", True),
    "SupportedFeatureProfilesMaxLength": ("int", True),
    "TransactionMessageAttempts": ("int", False),
    "TransactionMessageRetryInterval": ("int", False),
    "UnlockConnectorOnEVSideDisconnect": ("bool", False),
    "WebSocketPingInterval": ("int", False),
    "LocalAuthListEnabled": ("bool", False),
    "LocalAuthListMaxLength": ("int", True),
    "SendLocalListMaxLength": ("int", True),
    "ReserveConnectorZeroSupported": ("bool", True),
    "ChargeProfileMaxStackLevel": ("int", True),
    "ChargingScheduleAllowedChargingRateUnit": ("csl", True),
    "ChargingScheduleMaxPeriods": ("int", True),
    "ConnectorSwitch3to1PhaseSupported": ("bool", True),
    "MaxChargingProfilesInstalled": ("int", True),
    "AuthorizationKey": ("str", False),
    "SecurityProfile": ("int", False),
    "CertificateStoreMaxLength": ("int", True),
    "AdditionalRootCertificateCheck": ("bool", True),
    "CpoName": ("str", False),
}

DEFS = {d.name: d for d in STANDARD_KEYS}
RW_KEYS = [d for d in STANDARD_KEYS if not d.readonly]
RO_KEYS = [d for d in STANDARD_KEYS if d.readonly]
INT_RW = [d for d in RW_KEYS if d.kind == "int" and d.name != "SecurityProfile"]  # never lowered
BOOL_RW = [d for d in RW_KEYS if d.kind == "bool"]
MEASURAND_KEYS = [
    "MeterValuesAlignedData",
    "MeterValuesSampledData",
    "StopTxnAlignedData",
    "StopTxnSampledData",
]


def test_every_key_of_the_brief_with_its_kind_and_access() -> None:
    assert {d.name: (d.kind, d.readonly) for d in STANDARD_KEYS} == BRIEF_KEYS


def test_names_are_the_ocpp_spelling() -> None:
    spec_names = {k.value for k in ConfigurationKey}
    assert {d.name for d in STANDARD_KEYS} <= spec_names


def test_keys_belong_to_their_feature_profile() -> None:
    assert DEFS["LocalAuthListEnabled"].profile == "LocalAuthListManagement"
    assert DEFS["ReserveConnectorZeroSupported"].profile == "Reservation"
    assert DEFS["ChargingScheduleMaxPeriods"].profile == "SmartCharging"
    assert DEFS["AuthorizationKey"].profile == "Security"
    assert DEFS["HeartbeatInterval"].profile == "Core"
    assert all(d.description for d in STANDARD_KEYS)


def test_home_charger_defaults(config: Configuration) -> None:
    assert config.int_value("HeartbeatInterval") == 300
    assert config.int_value("MeterValueSampleInterval") == 60
    assert config.int_value("ClockAlignedDataInterval") == 900
    assert config.csl_value("MeterValuesSampledData") == [
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "Current.Offered",
        "SoC",
    ]
    assert config.csl_value("StopTxnSampledData") == ["Energy.Active.Import.Register"]
    assert config.csl_value("StopTxnAlignedData") == []
    assert config.int_value("TransactionMessageAttempts") == 3
    assert config.int_value("TransactionMessageRetryInterval") == 60
    assert config.bool_value("LocalAuthorizeOffline") is True
    assert config.bool_value("AuthorizationCacheEnabled") is True
    assert config.int_value("WebSocketPingInterval") == 60
    assert config.int_value("MinimumStatusDuration") == 0
    assert config.csl_value("SupportedFeatureProfiles") == [
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    ]
    assert config.int_value("SecurityProfile") == 1


def test_measurand_lists_use_the_ocpp_enum() -> None:
    for name in MEASURAND_KEYS:
        assert DEFS[name].allowed == {m.value for m in Measurand}


# --- GetConfiguration ----------------------------------------------------------------------------

GET_CONFIGURATION_RESPONSE = fastjsonschema.compile(
    json.loads(
        resources.files("ocpp.v16.schemas")
        .joinpath("GetConfigurationResponse.json")
        .read_text(encoding="utf-8")
    )
)


def test_get_all_keys_matches_the_ocpp_schema(config: Configuration) -> None:
    entries, unknown = config.get()
    assert unknown == []
    assert [e["key"] for e in entries] == [d.name for d in STANDARD_KEYS]
    GET_CONFIGURATION_RESPONSE({"configurationKey": entries})
    for entry in entries:
        defn = DEFS[str(entry["key"])]
        assert entry["readonly"] is defn.readonly
        assert ("value" in entry) is (not defn.secret)


def test_empty_key_list_means_all(config: Configuration) -> None:
    assert config.get([]) == config.get(None)


def test_get_named_keys_case_insensitively(config: Configuration) -> None:
    entries, unknown = config.get(["heartbeatinterval", "Nope", "NUMBEROFCONNECTORS", "Nope"])
    assert entries == [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    assert unknown == ["Nope"]


def test_the_same_key_twice_is_reported_once(config: Configuration) -> None:
    entries, _ = config.get(["HeartbeatInterval", "heartbeatInterval"])
    assert len(entries) == 1


def test_get_honours_get_configuration_max_keys(config: Configuration) -> None:
    limit = config.int_value("GetConfigurationMaxKeys")
    config.get(["HeartbeatInterval"] * limit)
    with pytest.raises(TooManyKeysError):
        config.get(["HeartbeatInterval"] * (limit + 1))
    small = Configuration(DictStore(), overrides={"GetConfigurationMaxKeys": "2"})
    with pytest.raises(TooManyKeysError):
        small.get(["a", "b", "c"])


# --- the secret key ------------------------------------------------------------------------------


class Sink:
    """Where a secret goes (the credential vault in the charger)."""

    def __init__(self, accept: bool = True) -> None:
        self.values: list[str] = []
        self.accept = accept

    def __call__(self, value: str) -> bool:
        if self.accept:
            self.values.append(value)
        return self.accept


def test_authorization_key_is_write_only(
    config: Configuration, store: DictStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = Sink()
    config.on_secret("AuthorizationKey", sink)
    assert config.change("AuthorizationKey", SECRET) == "Accepted"
    assert sink.values == [SECRET]
    assert "AuthorizationKey" not in store.data  # never in the plain settings store (R32)
    for entries in (config.get()[0], config.get(["AuthorizationKey"])[0]):
        assert SECRET not in repr(entries)
    assert config.get(["AuthorizationKey"])[0] == [{"key": "AuthorizationKey", "readonly": False}]
    assert SECRET not in caplog.text
    with pytest.raises(TypeError):
        config.str_value("AuthorizationKey")


def test_a_secret_without_a_safe_place_is_refused(config: Configuration, store: DictStore) -> None:
    assert config.change("AuthorizationKey", SECRET) == "Rejected"
    config.on_secret("AuthorizationKey", Sink(accept=False))
    assert config.change("AuthorizationKey", SECRET) == "Rejected"
    assert store.data == {}


def test_a_secret_saved_by_an_older_version_is_not_used(store: DictStore) -> None:
    store.data["AuthorizationKey"] = SECRET
    config = Configuration(store)
    assert SECRET not in repr(config.get()[0])


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("k" * 15, "Rejected"),
        ("k" * 16, "Accepted"),
        ("k" * 40, "Accepted"),
        ("k" * 41, "Rejected"),
        ("0123456789abcdef0123456789abcdef01234567", "Accepted"),  # whitepaper hex, 20 bytes
        ("sixteen chars ok", "Accepted"),
        ("tab\tin-the-password!", "Rejected"),
        ("ümlaut-in-the-password", "Rejected"),
        ("", "Rejected"),
    ],
)
def test_authorization_key_validation(config: Configuration, value: str, status: str) -> None:
    sink = Sink()
    config.on_secret("AuthorizationKey", sink)
    assert config.change("AuthorizationKey", value) == status
    assert sink.values == ([value] if status == "Accepted" else [])


def test_secret_handlers_only_for_secret_keys(config: Configuration) -> None:
    with pytest.raises(TypeError):
        config.on_secret("HeartbeatInterval", Sink())


# --- ChangeConfiguration -------------------------------------------------------------------------


def test_unknown_key_is_not_supported(config: Configuration, store: DictStore) -> None:
    assert config.change("NoSuchKey", "1") == "NotSupported"
    assert store.data == {}


@pytest.mark.parametrize("defn", RO_KEYS, ids=lambda d: d.name)
def test_read_only_keys_are_rejected(config: Configuration, store: DictStore, defn: KeyDef) -> None:
    before = snapshot(config)
    assert config.change(defn.name, defn.default) == "Rejected"
    assert snapshot(config) == before
    assert store.data == {}


@pytest.mark.parametrize("defn", INT_RW, ids=lambda d: d.name)
def test_int_key_range_and_format(config: Configuration, defn: KeyDef) -> None:
    assert defn.min is not None and defn.max is not None
    for good in (defn.min, defn.max, (defn.min + defn.max) // 2):
        assert config.change(defn.name, str(good)) == "Accepted"
        assert config.int_value(defn.name) == good
    before = snapshot(config)
    for bad in (str(defn.min - 1), str(defn.max + 1), "abc", "1.5", "", " ", "1e3", "1_0",
                "\u0661", "0x10", "10 10", "9" * 40):  # fmt: skip
        assert config.change(defn.name, bad) == "Rejected", bad
    assert snapshot(config) == before


def test_int_value_is_stored_canonically(config: Configuration, store: DictStore) -> None:
    assert config.change("HeartbeatInterval", " 0120 ") == "Accepted"
    assert value_of(config, "HeartbeatInterval") == "120"
    assert store.data["HeartbeatInterval"] == "120"


@pytest.mark.parametrize("interval", ["0", "1", "60"])
def test_meter_value_sample_interval_allows_off_and_one_second(
    config: Configuration, interval: str
) -> None:
    assert config.change("MeterValueSampleInterval", interval) == "Accepted"  # R11: 1 s allowed


@pytest.mark.parametrize("defn", BOOL_RW, ids=lambda d: d.name)
def test_bool_key(config: Configuration, defn: KeyDef) -> None:
    for text, value in (("TRUE", True), ("false", False), ("True", True), ("FaLsE", False)):
        assert config.change(defn.name, text) == "Accepted"
        assert config.bool_value(defn.name) is value
        assert value_of(config, defn.name) == str(value).lower()
    before = snapshot(config)
    for bad in ("yes", "1", "0", "", "truee", "on"):
        assert config.change(defn.name, bad) == "Rejected"
    assert snapshot(config) == before


@pytest.mark.parametrize("name", MEASURAND_KEYS)
def test_measurand_list(config: Configuration, name: str) -> None:
    assert config.change(name, "Voltage, SoC,Power.Active.Import") == "Accepted"
    assert config.csl_value(name) == ["Voltage", "SoC", "Power.Active.Import"]
    assert value_of(config, name) == "Voltage,SoC,Power.Active.Import"
    assert config.change(name, "") == "Accepted"
    assert config.csl_value(name) == []
    limit = config.int_value(f"{name}MaxLength")
    members = sorted(m.value for m in Measurand)
    assert config.change(name, ",".join(members[:limit])) == "Accepted"
    before = snapshot(config)
    for bad in (
        ",".join(members[: limit + 1]),  # too many
        "Voltage,Bogus",  # not a measurand
        "voltage",  # measurands are case-sensitive
        "Current.Import.L1",  # phase suffixes are not members
        "Voltage,,SoC",  # an empty member
        "Voltage,Voltage",  # twice
        ",",
    ):
        assert config.change(name, bad) == "Rejected", bad
    assert snapshot(config) == before


def test_max_length_override_bounds_the_list() -> None:
    config = Configuration(DictStore(), overrides={"MeterValuesSampledDataMaxLength": "2"})
    assert config.change("MeterValuesSampledData", "Voltage,SoC") == "Accepted"
    assert config.change("MeterValuesSampledData", "Voltage,SoC,Frequency") == "Rejected"


def test_value_longer_than_ocpp_allows_is_rejected(config: Configuration) -> None:
    assert config.change("ConnectorPhaseRotation", ",".join(["0.RST"] * 100)) == "Rejected"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("0.RST, 1.RST, 2.RTS", "Accepted"),
        ("0.NotApplicable", "Accepted"),
        ("1.Unknown", "Accepted"),
        ("", "Accepted"),
        ("3.RST", "Rejected"),  # only 2 connectors
        ("0.XYZ", "Rejected"),
        ("RST", "Rejected"),
        ("x.RST", "Rejected"),
        ("0.RST,0.RST", "Rejected"),
        (",".join(f"{i}.RST" for i in range(10)), "Rejected"),
    ],
)
def test_connector_phase_rotation(config: Configuration, value: str, status: str) -> None:
    assert config.change("ConnectorPhaseRotation", value) == status


def test_security_profile_may_be_raised_never_lowered(config: Configuration) -> None:
    assert config.change("SecurityProfile", "2") == "Accepted"
    assert config.change("SecurityProfile", "1") == "Rejected"
    assert config.change("SecurityProfile", "0") == "Rejected"
    assert config.change("SecurityProfile", "2") == "Accepted"
    assert config.change("SecurityProfile", "4") == "Rejected"
    assert config.change("SecurityProfile", "three") == "Rejected"
    assert config.change("SecurityProfile", "3") == "Accepted"
    assert config.int_value("SecurityProfile") == 3


def test_keys_are_case_insensitive_on_change(config: Configuration, store: DictStore) -> None:
    assert config.change("heartbeatinterval", "30") == "Accepted"
    assert store.data == {"HeartbeatInterval": "30"}
    assert config.int_value("HEARTBEATINTERVAL") == 30


def test_store_failure_rejects_and_changes_nothing(config: Configuration, store: DictStore) -> None:
    calls: list[str] = []
    config.on_change("HeartbeatInterval", calls.append)
    store.fail = True
    assert config.change("HeartbeatInterval", "30") == "Rejected"
    assert config.int_value("HeartbeatInterval") == 300
    assert calls == []


# --- change listeners ----------------------------------------------------------------------------


def test_listener_sees_accepted_changes_only(config: Configuration) -> None:
    seen: list[str] = []
    remove = config.on_change("HeartbeatInterval", seen.append)
    config.change("HeartbeatInterval", "42")
    config.change("HeartbeatInterval", "-1")
    config.change("MeterValueSampleInterval", "10")
    assert seen == ["42"]
    remove()
    config.change("HeartbeatInterval", "43")
    assert seen == ["42"]


def test_failing_listener_does_not_undo_the_change(config: Configuration) -> None:
    def explode(value: str) -> None:
        raise RuntimeError("listener bug")

    seen: list[str] = []
    config.on_change("HeartbeatInterval", explode)
    config.on_change("HeartbeatInterval", seen.append)
    assert config.change("HeartbeatInterval", "42") == "Accepted"
    assert seen == ["42"]
    assert config.int_value("HeartbeatInterval") == 42


def test_listener_for_unknown_key(config: Configuration) -> None:
    with pytest.raises(KeyError):
        config.on_change("Nope", print)


# --- typed getters -------------------------------------------------------------------------------


def test_typed_getters_check_the_kind(config: Configuration) -> None:
    assert config.str_value("HeartbeatInterval") == "300"
    assert config.str_value("LocalAuthorizeOffline") == "true"
    with pytest.raises(TypeError):
        config.int_value("LocalAuthorizeOffline")
    with pytest.raises(TypeError):
        config.bool_value("HeartbeatInterval")
    with pytest.raises(TypeError):
        config.csl_value("HeartbeatInterval")
    with pytest.raises(KeyError):
        config.int_value("Nope")


# --- overrides and defaults ----------------------------------------------------------------------


def test_overrides_are_read_only_truths(store: DictStore) -> None:
    store.data["HeartbeatInterval"] = "30"  # saved by a CSMS before
    config = Configuration(store, overrides={"NumberOfConnectors": "1", "HeartbeatInterval": "120"})
    assert config.int_value("NumberOfConnectors") == 1
    assert config.int_value("HeartbeatInterval") == 120  # the override beats the saved value
    assert config.is_readonly("HeartbeatInterval")
    assert config.get(["HeartbeatInterval"])[0] == [
        {"key": "HeartbeatInterval", "readonly": True, "value": "120"}
    ]
    assert config.change("HeartbeatInterval", "60") == "Rejected"
    assert config.change("ConnectorPhaseRotation", "2.RST") == "Rejected"  # 1 connector now


def test_defaults_are_changeable_starting_values(store: DictStore) -> None:
    config = Configuration(store, defaults={"HeartbeatInterval": "60", "SecurityProfile": "2"})
    assert config.int_value("HeartbeatInterval") == 60
    assert not config.is_readonly("HeartbeatInterval")
    assert config.change("SecurityProfile", "1") == "Rejected"
    assert config.change("HeartbeatInterval", "90") == "Accepted"
    again = Configuration(store, defaults={"HeartbeatInterval": "60"})
    assert again.int_value("HeartbeatInterval") == 90  # what the CSMS set wins over the TOML


@pytest.mark.parametrize(
    "kwargs",
    [
        {"overrides": {"NoSuchKey": "1"}},
        {"overrides": {"NumberOfConnectors": "many"}},
        {"overrides": {"NumberOfConnectors": "9"}},
        {"defaults": {"NoSuchKey": "1"}},
        {"defaults": {"HeartbeatInterval": "0"}},
    ],
)
def test_bad_overrides_and_defaults_are_programming_errors(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Configuration(DictStore(), **kwargs)


def test_invalid_saved_value_is_ignored(store: DictStore) -> None:
    store.data.update({"HeartbeatInterval": "soon", "NumberOfConnectors": "7", "Other": "x"})
    config = Configuration(store)
    assert config.int_value("HeartbeatInterval") == 300
    assert config.int_value("NumberOfConnectors") == 2  # read-only keys are never loaded


# --- persistence across a restart (SQLite) -------------------------------------------------------


def test_changes_survive_a_restart_on_sqlite(sqlite_path: Path) -> None:
    first = SqliteStore(sqlite_path)
    config = Configuration(first)
    assert config.change("HeartbeatInterval", "45") == "Accepted"
    assert config.change("MeterValuesSampledData", "Voltage") == "Accepted"
    assert config.change("LocalPreAuthorize", "TRUE") == "Accepted"
    assert config.change("HeartbeatInterval", "x") == "Rejected"
    first.close()

    second = SqliteStore(sqlite_path)  # a "restart": a new store and configuration
    restarted = Configuration(second)
    assert restarted.int_value("HeartbeatInterval") == 45
    assert restarted.csl_value("MeterValuesSampledData") == ["Voltage"]
    assert restarted.bool_value("LocalPreAuthorize") is True
    assert restarted.int_value("MeterValueSampleInterval") == 60
    second.close()

    rows = dict(sqlite3.connect(sqlite_path).execute("SELECT key, value FROM settings"))
    assert rows == {
        "HeartbeatInterval": "45",
        "MeterValuesSampledData": "Voltage",
        "LocalPreAuthorize": "true",
    }


# --- registered keys and RebootRequired ----------------------------------------------------------

RANDOM_DELAY = KeyDef(
    "RandomisedDelayMaxSeconds",
    "int",
    "600",
    min=0,
    max=1800,
    profile="UK",
    description="R22/R23: the random delay's maximum, seconds.",
)
MODE = KeyDef(
    "MeterMode",
    "str",
    "fast",
    reboot_required=True,
    allowed=frozenset({"fast", "accurate"}),
    profile="Vendor",
    description="A key that needs a reboot.",
)


def test_register_an_extra_key(config: Configuration) -> None:
    config.register(RANDOM_DELAY)
    assert config.int_value("RandomisedDelayMaxSeconds") == 600
    assert config.change("RandomisedDelayMaxSeconds", "1800") == "Accepted"
    assert config.change("RandomisedDelayMaxSeconds", "1801") == "Rejected"  # R23
    assert config.get(["RandomisedDelayMaxSeconds"])[0][0]["value"] == "1800"


def test_registered_key_picks_up_its_saved_value(sqlite_path: Path) -> None:
    store = SqliteStore(sqlite_path)
    config = Configuration(store)
    config.register(RANDOM_DELAY)
    config.change("RandomisedDelayMaxSeconds", "120")
    store.close()
    again = Configuration(SqliteStore(sqlite_path))
    assert "RandomisedDelayMaxSeconds" not in again
    again.register(RANDOM_DELAY)
    assert again.int_value("RandomisedDelayMaxSeconds") == 120


def test_custom_validator(config: Configuration) -> None:
    config.register(RANDOM_DELAY, validator=lambda v: int(v) % 60 == 0)
    assert config.change("RandomisedDelayMaxSeconds", "120") == "Accepted"
    assert config.change("RandomisedDelayMaxSeconds", "121") == "Rejected"
    config.add_validator("HeartbeatInterval", lambda v: 1 // 0 == 0)  # a buggy validator
    assert config.change("HeartbeatInterval", "30") == "Rejected"
    assert config.int_value("HeartbeatInterval") == 300


@pytest.mark.parametrize(
    "defn",
    [
        KeyDef("HeartbeatInterval", "int", "1"),  # defined already
        KeyDef("heartbeatinterval", "int", "1"),  # keys are case-insensitive
        KeyDef("Bad", "int", "x"),
        KeyDef("Bad", "int", "5", min=10),
        KeyDef("Bad", "float", "1"),  # type: ignore[arg-type]
        KeyDef("", "int", "1"),
        KeyDef("K" * 51, "int", "1"),
    ],
)
def test_register_rejects_bad_definitions(config: Configuration, defn: KeyDef) -> None:
    with pytest.raises(ValueError):
        config.register(defn)


def test_reboot_required_key(sqlite_path: Path) -> None:
    store = SqliteStore(sqlite_path)
    config = Configuration(store)
    config.register(MODE)
    seen: list[str] = []
    config.on_change("MeterMode", seen.append)
    assert config.change("MeterMode", "accurate") == "RebootRequired"
    assert config.str_value("MeterMode") == "fast"  # still in effect until the reboot
    assert value_of(config, "MeterMode") == "accurate"  # what the CSMS set
    assert seen == []
    assert config.change("MeterMode", "slow") == "Rejected"
    store.close()

    rebooted = Configuration(SqliteStore(sqlite_path))
    rebooted.register(MODE)
    assert rebooted.str_value("MeterMode") == "accurate"


# --- hypothesis: nothing raises; nothing changes unless Accepted / RebootRequired ----------------

NAMES = [d.name for d in STANDARD_KEYS] + [RANDOM_DELAY.name, MODE.name]
keys = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(str.lower),
    st.sampled_from(NAMES).map(str.upper),
    st.text(max_size=60),
)
values = st.one_of(
    st.sampled_from(
        ["true", "FALSE", "0", "1", "-1", "60", "1800", "1801", "3", "", " ", "Voltage",
         "Voltage,SoC", "0.RST,1.RTS", "Current,Power", "accurate", SECRET, "k" * 16, "x" * 600]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.lists(st.sampled_from([m.value for m in Measurand]), max_size=12).map(",".join),
    st.text(max_size=80),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(keys, values), min_size=1, max_size=8))
def test_random_changes_never_raise_and_only_valid_ones_change_anything(
    pairs: list[tuple[str, str]],
) -> None:
    store = DictStore()
    config = Configuration(store)
    config.register(RANDOM_DELAY)
    config.register(MODE)
    sink = Sink()
    config.on_secret("AuthorizationKey", sink)
    for key, value in pairs:
        before_get = snapshot(config)
        before_store = dict(store.data)
        before_secrets = list(sink.values)
        status = config.change(key, value)
        assert status in ("Accepted", "Rejected", "RebootRequired", "NotSupported")
        if status in ("Accepted", "RebootRequired"):
            name = config.definition(key).name
            entry = config.get([key])[0][0]
            if name == "AuthorizationKey":
                assert sink.values == [*before_secrets, value]
                assert name not in store.data
            else:
                assert entry["value"] == store.data[name]
        else:
            assert snapshot(config) == before_get
            assert store.data == before_store
            assert sink.values == before_secrets
        GET_CONFIGURATION_RESPONSE({"configurationKey": snapshot(config)})
    # a restart on the same store sees exactly what was accepted
    again = Configuration(store)
    again.register(RANDOM_DELAY)
    again.register(MODE)
    assert snapshot(again) == snapshot(config)


# --- the documentation stays true ----------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "chargepoint.md"


def test_docs_table_matches_the_definitions() -> None:
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in DEFS:
            rows[cells[0]] = cells
    assert set(rows) == set(DEFS)
    for name, (_, profile, kind, _, default, access, reboot, meaning) in rows.items():
        defn = DEFS[name]
        assert (profile, kind) == (defn.profile, defn.kind), name
        expected_access = "W (write-only)" if defn.secret else "RO" if defn.readonly else "RW"
        assert access == expected_access, name
        assert reboot == ("yes" if defn.reboot_required else "no"), name
        if defn.secret:
            assert default == "unset"
        elif defn.default == "":
            assert default == "empty", name
        else:
            assert default == f"`{defn.default}`", name
        assert meaning, name
