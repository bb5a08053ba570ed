"""The charge point's TOML file: defaults, every bad key named, the password kept secret."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge import __version__
from smartcharge.chargepoint.config import (
    ChargePointConfig,
    ConfigError,
    load_config,
    parse_config,
)
from smartcharge.chargepoint.config_model import Table

PASSWORD = "s3cret-Pa55word-xyz"  # 19 printable ASCII characters
BASE = Path("/etc/smartcharge")

MINIMAL_TOML = f"""
identity = "CP-001"
csms_url = "ws://csms.example:9000/ocpp"
data_dir = "data"

[security]
profile = 1  # a lab's setting (the default is 2): plain ws:// below
password = "{PASSWORD}"
"""


def minimal() -> dict[str, Any]:
    return {
        "identity": "CP-001",
        "csms_url": "ws://csms.example:9000/ocpp",
        "data_dir": "data",
        "security": {"profile": 1, "password": PASSWORD},  # a lab's setting: ws:// above
    }


def with_(patch: dict[str, Any]) -> dict[str, Any]:
    """`minimal()` with `patch` merged in, one table deep."""
    data = minimal()
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data, base_dir=BASE)
    return str(info.value)


# --- a valid file --------------------------------------------------------------------------------


def test_minimal_file_loads_with_every_default(tmp_path: Path) -> None:
    path = tmp_path / "cp.toml"
    path.write_text(MINIMAL_TOML)
    config = load_config(path)

    assert config.identity == "CP-001"
    assert config.csms_url == "ws://csms.example:9000/ocpp"
    assert config.connect_url == "ws://csms.example:9000/ocpp/CP-001"
    assert config.data_dir == tmp_path / "data"
    assert config.connectors == 2
    assert config.max_current_a == 32
    assert config.phases == 3
    assert config.model == "smartcharge-sim"
    assert config.vendor == "smartcharge"
    assert config.serial_number == "CP-001"
    assert config.firmware_version == __version__
    assert config.support_until is None and config.vulnerability_contact is None

    assert config.security.profile == 1
    assert config.security.password is not None
    assert config.security.password.get_secret_value() == PASSWORD
    assert config.security.ca_file is None

    assert config.hardware.kind == "simulated"
    assert config.hardware.meter_error_fraction == 0.0

    assert config.simulator.control == "127.0.0.1:0"
    assert (config.simulator.control_host, config.simulator.control_port) == ("127.0.0.1", 0)
    assert config.simulator.start_time is None
    assert config.simulator.speed == 1.0

    assert config.ocpp.heartbeat_interval == 300
    assert config.ocpp.connect_timeout == 10
    assert config.ocpp.call_timeout == 30
    assert config.ocpp.reconnect_min_s == 1
    assert config.ocpp.reconnect_max_s == 60


def test_full_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "cp.toml"
    path.write_text(
        f"""
identity = "garage-1"
csms_url = "wss://csms.example/ocpp/"
data_dir = "/var/lib/smartcharge"
connectors = 1
max_current_a = 16
phases = 1
model = "Home 7"
vendor = "Acme"
serial_number = "SN-0042"
firmware_version = "1.2.3"
support_until = 2031-12-31
vulnerability_contact = "https://acme.example/security"

[security]
profile = 2
password = "{PASSWORD}"
ca_file = "ca.pem"

[hardware]
kind = "simulated"
meter_error_fraction = -0.05

[simulator]
control = "0.0.0.0:8765"
start_time = 2026-03-29T00:30:00+01:00
speed = 60

[ocpp]
heartbeat_interval = 60
connect_timeout = 2.5
call_timeout = 5
reconnect_min_s = 0.5
reconnect_max_s = 30
"""
    )
    config = load_config(path)
    assert config.connect_url == "wss://csms.example/ocpp/garage-1"
    assert config.data_dir == Path("/var/lib/smartcharge")
    assert config.security.ca_file == tmp_path / "ca.pem"
    assert (config.connectors, config.max_current_a, config.phases) == (1, 16, 1)
    assert (config.model, config.vendor, config.serial_number) == ("Home 7", "Acme", "SN-0042")
    assert config.firmware_version == "1.2.3"
    assert config.support_until == date(2031, 12, 31)
    assert config.vulnerability_contact == "https://acme.example/security"
    assert config.hardware.meter_error_fraction == -0.05
    assert config.simulator.control_port == 8765
    assert config.simulator.start_time == datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert config.simulator.speed == 60
    assert config.ocpp.connect_timeout == 2.5


@pytest.mark.parametrize(
    ("csms_url", "connect_url"),
    [
        ("ws://h/ocpp", "ws://h/ocpp/CP-001"),
        ("ws://h/ocpp/", "ws://h/ocpp/CP-001"),
        ("ws://h", "ws://h/CP-001"),
        ("ws://h/", "ws://h/CP-001"),
        ("ws://h:9000/a/b/", "ws://h:9000/a/b/CP-001"),
        ("ws://[::1]:9000/", "ws://[::1]:9000/CP-001"),
    ],
)
def test_connect_url_appends_identity_as_last_segment(csms_url: str, connect_url: str) -> None:
    config = parse_config(with_({"csms_url": csms_url}), base_dir=BASE)
    assert config.connect_url == connect_url


def test_profile_0_needs_no_password() -> None:
    data = with_({"security": {"profile": 0}})
    del data["security"]["password"]
    config = parse_config(data, base_dir=BASE)
    assert config.security.password is None


def test_profile_3_mutual_tls_over_wss() -> None:
    tls = {"profile": 3, "ca_file": "ca.pem", "cert_file": "cp.pem", "credentials_dir": "cred"}
    data = with_({"csms_url": "wss://h/ocpp", "security": tls})
    del data["security"]["password"]
    security = parse_config(data, base_dir=BASE).security
    assert (security.profile, security.cert_file) == (3, BASE / "cp.pem")


def test_profile_3_needs_the_chargers_certificate_and_key() -> None:
    data = with_({"csms_url": "wss://h/ocpp", "security": {"profile": 3, "ca_file": "ca.pem"}})
    del data["security"]["password"]
    assert error_of(data).startswith("security.cert_file: profile 3 needs")


def test_profile_2_needs_the_csms_root() -> None:
    data = with_({"csms_url": "wss://h/ocpp", "security": {"profile": 2}})
    assert error_of(data) == "security.ca_file: required with security profile 2 (the CSMS root)"


def test_vault_or_password_not_both() -> None:
    data = with_({"security": {"credentials_dir": "cred"}})
    assert error_of(data).startswith("security.password: set either password or credentials_dir")
    del data["security"]["password"]
    assert parse_config(data, base_dir=BASE).security.credentials_dir == BASE / "cred"


def test_tls_csms_url_is_where_upgrades_go() -> None:
    data = with_({"security": {"tls_csms_url": "wss://h:8443/ocpp", "ca_file": "ca.pem"}})
    config = parse_config(data, base_dir=BASE)
    assert config.url_for_profile(1) == config.connect_url
    assert config.url_for_profile(2) == f"wss://h:8443/ocpp/{config.identity}"
    assert parse_config(with_({}), base_dir=BASE).url_for_profile(2) is None
    bad = with_({"security": {"tls_csms_url": "ws://h/ocpp"}})
    assert error_of(bad).startswith("security.tls_csms_url: must be a wss:// URL")


@pytest.mark.parametrize(
    "start_time",
    [
        "2026-03-29T00:30:00+00:00",
        "2026-03-29T00:30:00Z",
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_start_time_with_offset(start_time: str | datetime) -> None:
    config = parse_config(with_({"simulator": {"start_time": start_time}}), base_dir=BASE)
    assert config.simulator.start_time == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_ipv6_control_address() -> None:
    config = parse_config(with_({"simulator": {"control": "[::1]:8080"}}), base_dir=BASE)
    assert (config.simulator.control_host, config.simulator.control_port) == ("::1", 8080)


def test_config_is_frozen() -> None:
    config = parse_config(minimal(), base_dir=BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.identity = "other"  # type: ignore[misc]


def test_serial_number_must_be_set_for_an_identity_too_long_for_ocpp() -> None:
    long_identity = "a" * 30
    assert error_of(with_({"identity": long_identity})).startswith("serial_number: required")
    config = parse_config(with_({"identity": long_identity, "serial_number": "SN1"}), base_dir=BASE)
    assert config.serial_number == "SN1"


# --- loading errors ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cp.toml"
    path.write_text('identity = "CP-001"\ncsms_url = \n')
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 2"):
        load_config(path)


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cp.toml"
    path.write_bytes(b'identity = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)


def test_top_level_must_be_a_table() -> None:
    with pytest.raises(ConfigError):
        parse_config([], base_dir=BASE)  # type: ignore[arg-type]


def test_missing_required_keys_are_each_named() -> None:
    message = error_of({})
    assert message.splitlines() == [
        "identity: required",
        "csms_url: required",
        "data_dir: required",
    ]


# --- every bad key is named ----------------------------------------------------------------------

BAD_VALUES: list[tuple[str, dict[str, Any]]] = [
    # top level
    ("identity", {"identity": ""}),
    ("identity", {"identity": "a" * 49}),
    ("identity", {"identity": "CP 001"}),
    ("identity", {"identity": "CP/001"}),
    ("identity", {"identity": "CP%41"}),
    ("identity", {"identity": 1}),
    ("csms_url", {"csms_url": "http://h/ocpp"}),
    ("csms_url", {"csms_url": "ws://"}),
    ("csms_url", {"csms_url": "ws://user:pw@h/ocpp"}),
    ("csms_url", {"csms_url": "ws://h/ocpp?x=1"}),
    ("csms_url", {"csms_url": "ws://h/ocpp#frag"}),
    ("csms_url", {"csms_url": "ws://h:99999/ocpp"}),
    ("csms_url", {"csms_url": "ws://h/oc pp"}),
    ("csms_url", {"csms_url": ["ws://h"]}),
    ("data_dir", {"data_dir": 5}),
    ("data_dir", {"data_dir": ""}),
    ("data_dir", {"data_dir": "a\x00b"}),
    ("connectors", {"connectors": 0}),
    ("connectors", {"connectors": 9}),
    ("connectors", {"connectors": "2"}),
    ("connectors", {"connectors": 2.0}),
    ("connectors", {"connectors": True}),
    ("max_current_a", {"max_current_a": 5}),
    ("max_current_a", {"max_current_a": 80.5}),
    ("max_current_a", {"max_current_a": float("nan")}),
    ("max_current_a", {"max_current_a": "32"}),
    ("phases", {"phases": 2}),
    ("phases", {"phases": "3"}),
    ("phases", {"phases": True}),
    ("model", {"model": ""}),
    ("model", {"model": "m" * 21}),
    ("model", {"model": 7}),
    ("vendor", {"vendor": "v" * 21}),
    ("serial_number", {"serial_number": "s" * 26}),
    ("serial_number", {"serial_number": ""}),
    ("firmware_version", {"firmware_version": "f" * 51}),
    ("firmware_version", {"firmware_version": 1.0}),
    ("support_until", {"support_until": "31/12/2031"}),
    ("support_until", {"support_until": datetime(2031, 12, 31, tzinfo=UTC)}),
    ("support_until", {"support_until": 2031}),
    ("vulnerability_contact", {"vulnerability_contact": "call us"}),
    ("vulnerability_contact", {"vulnerability_contact": "http://acme.example/security"}),
    ("vulnerability_contact", {"vulnerability_contact": "a@b"}),
    ("vulnerability_contact", {"vulnerability_contact": "x" * 190 + "@acme.example"}),
    ("vulnerability_contact", {"vulnerability_contact": ["security@acme.example"]}),
    # [security]
    ("security", {"security": 1}),
    ("security.profile", {"security": {"profile": 4}}),
    ("security.profile", {"security": {"profile": -1}}),
    ("security.profile", {"security": {"profile": "1"}}),
    ("security.profile", {"security": {"profile": True}}),
    ("security.password", {"security": {"password": "short"}}),
    ("security.password", {"security": {"password": "p" * 41}}),
    ("security.password", {"security": {"password": "pässwörd-with-umlauts"}}),
    ("security.password", {"security": {"password": "tab\tseparated-password"}}),
    ("security.password", {"security": {"password": 1234567890123456}}),
    ("security.ca_file", {"security": {"ca_file": 3}}),
    # [hardware]
    ("hardware", {"hardware": "simulated"}),
    ("hardware.kind", {"hardware": {"kind": "modbus"}}),
    ("hardware.kind", {"hardware": {"kind": 1}}),
    ("hardware.meter_error_fraction", {"hardware": {"meter_error_fraction": 0.51}}),
    ("hardware.meter_error_fraction", {"hardware": {"meter_error_fraction": -0.6}}),
    ("hardware.meter_error_fraction", {"hardware": {"meter_error_fraction": "0.1"}}),
    # [simulator]
    ("simulator", {"simulator": []}),
    ("simulator.control", {"simulator": {"control": "localhost"}}),
    ("simulator.control", {"simulator": {"control": "localhost:65536"}}),
    ("simulator.control", {"simulator": {"control": ":80"}}),
    ("simulator.control", {"simulator": {"control": "h:-1"}}),
    ("simulator.control", {"simulator": {"control": 8080}}),
    ("simulator.start_time", {"simulator": {"start_time": "2026-03-29T00:30:00"}}),
    ("simulator.start_time", {"simulator": {"start_time": datetime(2026, 3, 29)}}),
    ("simulator.start_time", {"simulator": {"start_time": "yesterday"}}),
    ("simulator.start_time", {"simulator": {"start_time": date(2026, 3, 29)}}),
    ("simulator.start_time", {"simulator": {"start_time": time(0, 30)}}),
    ("simulator.start_time", {"simulator": {"start_time": 1774744200}}),
    ("simulator.speed", {"simulator": {"speed": 0}}),
    ("simulator.speed", {"simulator": {"speed": -1}}),
    ("simulator.speed", {"simulator": {"speed": 3601}}),
    ("simulator.speed", {"simulator": {"speed": float("inf")}}),
    ("simulator.speed", {"simulator": {"speed": "fast"}}),
    # [ocpp]
    ("ocpp", {"ocpp": 300}),
    ("ocpp.heartbeat_interval", {"ocpp": {"heartbeat_interval": 0}}),
    ("ocpp.heartbeat_interval", {"ocpp": {"heartbeat_interval": 86401}}),
    ("ocpp.heartbeat_interval", {"ocpp": {"heartbeat_interval": 1.5}}),
    ("ocpp.connect_timeout", {"ocpp": {"connect_timeout": 0}}),
    ("ocpp.connect_timeout", {"ocpp": {"connect_timeout": "10"}}),
    ("ocpp.call_timeout", {"ocpp": {"call_timeout": -1}}),
    ("ocpp.call_timeout", {"ocpp": {"call_timeout": 601}}),
    ("ocpp.reconnect_min_s", {"ocpp": {"reconnect_min_s": 0}}),
    ("ocpp.reconnect_max_s", {"ocpp": {"reconnect_max_s": 3601}}),
    ("ocpp.reconnect_max_s", {"ocpp": {"reconnect_min_s": 10, "reconnect_max_s": 5}}),
]


@pytest.mark.parametrize(
    ("key", "patch"), BAD_VALUES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BAD_VALUES)]
)
def test_bad_value_is_named_by_its_toml_path(key: str, patch: dict[str, Any]) -> None:
    message = error_of(with_(patch))
    assert message.startswith(f"{key}: "), message
    assert "pydantic" not in message and "Traceback" not in message


def test_profile_message_lists_the_profiles() -> None:
    assert error_of(with_({"security": {"profile": 7}})) == (
        "security.profile: must be one of 0, 1, 2, 3"
    )


@pytest.mark.parametrize("table", [None, "security", "hardware", "simulator", "ocpp"])
def test_unknown_key_is_rejected_in_every_table(table: str | None) -> None:
    data = minimal()
    if table is None:
        data["colour"] = "blue"
        expected = "colour: unknown key"
    else:
        data.setdefault(table, {})["colour"] = "blue"
        expected = f"{table}.colour: unknown key"
    assert error_of(data) == expected


def test_unknown_table_is_rejected() -> None:
    assert error_of(with_({"network": {"ssid": "x"}})) == "network: unknown key"


def test_several_problems_are_all_reported() -> None:
    lines = error_of(
        with_({"connectors": 0, "phases": 2, "ocpp": {"call_timeout": 0}})
    ).splitlines()
    assert [line.split(":")[0] for line in lines] == ["connectors", "phases", "ocpp.call_timeout"]


# --- validation across keys ----------------------------------------------------------------------

CROSS_KEY: list[tuple[str, dict[str, Any]]] = [
    ("security.profile", {"security": {"profile": 2}}),  # ws:// with profile 2
    ("security.profile", {"csms_url": "wss://h/ocpp"}),  # wss:// with profile 1
    ("security.profile", {"csms_url": "wss://h/ocpp", "security": {"profile": 0}}),
    ("security.profile", {"security": {"profile": 3}}),  # ws:// with profile 3
    ("security.password", {"security": {"profile": 0}}),  # password with profile 0
    ("security.password", {"security": {"password": "xxCP-001-password"}}),
    (
        "security.password",
        {"security": {"password": "garage-one-is-the-pw"}, "serial_number": "garage-one"},
    ),
    ("identity", {"identity": "site:CP-001"}),  # ':' breaks Basic auth
    ("security.ca_file", {"security": {"ca_file": "ca.pem"}}),  # a CA is for wss:// only
]


@pytest.mark.parametrize(("key", "patch"), CROSS_KEY)
def test_cross_key_problem_is_named(key: str, patch: dict[str, Any]) -> None:
    assert error_of(with_(patch)).startswith(f"{key}: ")


@pytest.mark.parametrize("profile", [1, 2])
def test_password_required_for_basic_auth_profiles(profile: int) -> None:
    url = "ws://h/ocpp" if profile == 1 else "wss://h/ocpp"
    data = with_({"csms_url": url, "security": {"profile": profile}})
    del data["security"]["password"]
    assert error_of(data) == f"security.password: required with security profile {profile}"


def test_identity_with_colon_is_fine_without_basic_auth() -> None:
    data = with_({"identity": "site:CP-001", "security": {"profile": 0}})
    del data["security"]["password"]
    assert parse_config(data, base_dir=BASE).connect_url.endswith("/site:CP-001")


def test_short_identity_inside_password_is_not_a_problem() -> None:
    config = parse_config(
        with_({"identity": "A1", "security": {"password": "zzA1" * 5}}), base_dir=BASE
    )
    assert config.identity == "A1"


# --- the password stays secret (R32) -------------------------------------------------------------


def test_password_absent_from_repr_and_str() -> None:
    config = parse_config(minimal(), base_dir=BASE)
    for text in (repr(config), str(config), repr(config.security), str(config.security)):
        assert PASSWORD not in text
    assert PASSWORD not in str(config.model_dump())


@pytest.mark.parametrize(
    "patch",
    [
        {"security": {"password": PASSWORD + "\x01"}},
        {"security": {"password": PASSWORD * 3}},
        {"security": {"password": "CP-001" + PASSWORD}},
        {"security": {"profile": 0}},
        {"security": {"profile": 2}},
        {"security": {"password": PASSWORD, "unknown": PASSWORD}},
        {"identity": "x" * 60, "connectors": 99},
    ],
)
def test_password_absent_from_error_messages(patch: dict[str, Any]) -> None:
    data = with_(patch)
    password = data["security"]["password"]
    message = error_of(data)
    assert password not in message and PASSWORD not in message


def test_password_absent_from_invalid_toml_error(tmp_path: Path) -> None:
    path = tmp_path / "cp.toml"
    path.write_text(f'[security]\npassword = "{PASSWORD}" extra\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert PASSWORD not in str(info.value)


# --- hypothesis: anything TOML-like gives a config or a ConfigError, nothing else ----------------

KEYS = [
    "identity", "csms_url", "data_dir", "connectors", "max_current_a", "phases", "model",
    "vendor", "serial_number", "firmware_version", "security", "hardware", "simulator", "ocpp",
    "profile", "password", "ca_file", "kind", "meter_error_fraction", "control", "start_time",
    "speed", "heartbeat_interval", "connect_timeout", "call_timeout", "reconnect_min_s",
    "reconnect_max_s",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.sampled_from(
        [PASSWORD, "ws://h/ocpp", "wss://h/", "127.0.0.1:0", "simulated", "2026-03-29T00:30:00Z"]
    ),
    st.datetimes(timezones=st.one_of(st.none(), st.just(UTC))),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), inner, max_size=5),
    ),
    max_leaves=20,
)
toml_dicts = st.dictionaries(
    st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), toml_values, max_size=10
)


def check_only_config_error(data: dict[str, Any]) -> None:
    snapshot = copy.deepcopy(data)
    try:
        config = parse_config(data, base_dir=BASE)
    except ConfigError as error:
        message = str(error)
        assert message and "Traceback" not in message
        assert PASSWORD not in message
    else:
        assert isinstance(config, ChargePointConfig)
        # The password's text given as another key's value (a data_dir, say) is no leak.
        elsewhere = copy.deepcopy(data)
        if isinstance(elsewhere.get("security"), dict):
            elsewhere["security"].pop("password", None)
        if PASSWORD not in repr(elsewhere):
            assert PASSWORD not in repr(config)
    assert data == snapshot  # the input is never modified


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(toml_dicts)
def test_random_documents_only_raise_config_error(data: dict[str, Any]) -> None:
    check_only_config_error(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([None, "security", "hardware", "simulator", "ocpp"]),
    st.sampled_from(KEYS),
    toml_values,
)
def test_one_random_value_in_a_valid_document(table: str | None, key: str, value: Any) -> None:
    data = minimal()
    if table is None:
        data[key] = value
    else:
        data.setdefault(table, {})[key] = value
    check_only_config_error(data)


# --- the documentation stays true -----------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "chargepoint.md"


def test_docs_examples_load_and_every_key_is_documented(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = text.split("```toml\n")[1:]
    assert len(blocks) == 2
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.toml"
        path.write_text(block.split("```")[0])
        load_config(path)
    for name, kind in ChargePointConfig.keys().items():
        sub = kind.keys() if isinstance(kind, type) and issubclass(kind, Table) else None
        if sub is None:
            assert f"| `{name}` |" in text, name
        else:
            assert f"### `[{name}]`" in text, name
            for key in sub:
                assert f"| `{key}` |" in text, f"{name}.{key}"


def test_R32_the_daemon_keeps_its_files_private(tmp_path: Path) -> None:
    import os

    from smartcharge.chargepoint.daemon import private_files

    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    loose = data / "logs" / "old.log"
    loose.write_text("from an earlier version")
    loose.chmod(0o644)
    data.chmod(0o755)
    before = os.umask(0o022)
    try:
        private_files(data)
        (data / "new.sqlite").write_text("")
        assert oct((data / "new.sqlite").stat().st_mode & 0o777) == oct(0o600)
    finally:
        os.umask(before)
    assert oct(loose.stat().st_mode & 0o777) == oct(0o600)
    assert oct(data.stat().st_mode & 0o777) == oct(0o700)
    assert oct((data / "logs").stat().st_mode & 0o777) == oct(0o700)
