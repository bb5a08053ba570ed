"""Secure by default (issue 15, finding 8): profile 2 and signed firmware unless the charger's
file names a security-weakening setting; each one is listed by `check-config`, warned about at
start and refused by a production build."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcharge.chargepoint.config import parse_config
from smartcharge.chargepoint.security.weakening import (
    WeakeningRefused,
    refuse_in_production,
    warn,
    weakening_settings,
)
from smartcharge.cli import app

SECURE = {
    "identity": "CP-1",
    "csms_url": "wss://csms.example/ocpp",
    "data_dir": "data",
    "security": {"credentials_dir": "cred", "ca_file": "ca.pem"},
}
LAB = {
    "identity": "CP-1",
    "csms_url": "ws://127.0.0.1:9000/ocpp",
    "data_dir": "data",
    "security": {
        "profile": 1,
        "password": "a-lab-password-0123",
        "allow_unsigned_firmware": True,
        "allow_http_uploads": True,
    },
}


def test_R33_the_default_profile_is_2_and_nothing_is_weakened(tmp_path: Path) -> None:
    cfg = parse_config(SECURE, base_dir=tmp_path)
    assert cfg.security.profile == 2
    assert not cfg.security.allow_unsigned_firmware
    assert weakening_settings(cfg) == []
    refuse_in_production(cfg, production=True)  # a production build starts with it


def test_a_plain_ws_url_without_the_named_profile_is_refused(tmp_path: Path) -> None:
    from smartcharge.chargepoint.config import ConfigError

    data = {**LAB, "security": {"password": "a-lab-password-0123"}}
    with pytest.raises(ConfigError, match="profile 2 requires a wss:// csms_url"):
        parse_config(data, base_dir=tmp_path)


def test_each_weakening_setting_is_named_warned_and_refused_in_production(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = parse_config(LAB, base_dir=tmp_path)
    keys = [w.key for w in weakening_settings(cfg)]
    assert keys == [
        "security.profile = 1",
        "security.password",
        "security.allow_unsigned_firmware = true",
        "security.allow_http_uploads = true",
    ]
    refuse_in_production(cfg, production=False)  # a lab build: allowed
    with pytest.raises(WeakeningRefused) as refused:
        refuse_in_production(cfg, production=True)
    for key in keys:
        assert key in str(refused.value)
    caplog.set_level(logging.WARNING)
    warn(cfg)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4 and all(w.startswith("SECURITY WARNING") for w in warnings)
    assert "a-lab-password-0123" not in caplog.text


def test_check_config_lists_the_weakening_settings(tmp_path: Path) -> None:
    lab = tmp_path / "lab.toml"
    lab.write_text(
        'identity = "CP-1"\ncsms_url = "ws://127.0.0.1:9000/ocpp"\ndata_dir = "data"\n'
        "[security]\nprofile = 0\nallow_unsigned_firmware = true\n"
    )
    result = CliRunner().invoke(app, ["chargepoint", "check-config", str(lab)])
    assert result.exit_code == 0, result.output
    assert "security.profile = 0" in result.output
    assert "security.allow_unsigned_firmware = true" in result.output
    (tmp_path / "ca.pem").write_text("-")
    secure = tmp_path / "secure.toml"
    secure.write_text(
        'identity = "CP-1"\ncsms_url = "wss://csms.example/ocpp"\ndata_dir = "data"\n'
        '[security]\ncredentials_dir = "cred"\nca_file = "ca.pem"\n'
    )
    result = CliRunner().invoke(app, ["chargepoint", "check-config", str(secure)])
    assert result.exit_code == 0 and "no security-weakening settings" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('identity = "CP-1"\n')
    result = CliRunner().invoke(app, ["chargepoint", "check-config", str(bad)])
    assert result.exit_code == 2
