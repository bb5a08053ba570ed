"""`smartcharge platform add-charger` and the settings (file, environment, errors)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcharge.cli import app
from smartcharge.platform.config import SettingsError, load_settings
from smartcharge.platform.registry import verify_password
from smartcharge.platform.store import Store
from smartcharge.platform.web import WebSettings


def test_add_charger_prints_a_password_once_and_stores_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTCHARGE_PLATFORM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(app, ["platform", "add-charger", "--identity", "CP-9"])
    assert result.exit_code == 0, result.output
    password = result.stdout.strip().splitlines()[-1]
    assert len(password) >= 22  # at least 128 bits in URL-safe base64

    async def stored() -> str | None:
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}")
        try:
            creds = await store.chargers.credentials("CP-9")
            return None if creds is None else creds.password_hash
        finally:
            await store.close()

    password_hash = asyncio.run(stored())
    assert password_hash is not None and password not in password_hash
    assert verify_password(password_hash, password)
    again = runner.invoke(app, ["platform", "add-charger", "--identity", "CP-9"])
    assert again.exit_code == 2 and "already exists" in again.output


def test_settings_from_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "platform.toml"
    config.write_text('port = 9100\nsecurity_profile = 1\nnode_id = "a"\n')
    monkeypatch.setenv("SMARTCHARGE_PLATFORM_NODE_ID", "from-env")
    monkeypatch.setenv("SMARTCHARGE_PLATFORM_SECURITY_PROFILE", "3")
    settings = load_settings(config)
    assert (settings.port, settings.security_profile, settings.node_id) == (9100, 3, "from-env")
    assert settings.database.startswith("sqlite+aiosqlite:///")
    config.write_text("port = 70000\nsurprise = 1\n")
    with pytest.raises(SettingsError) as err:
        load_settings(config)
    assert "port" in str(err.value) and "surprise" in str(err.value)
    with pytest.raises(SettingsError, match="tls_cert"):
        load_settings(None, security_profile=2).check_tls()


def test_R38_fallbacks_for_the_information_page_come_from_the_file_too(tmp_path: Path) -> None:
    config = tmp_path / "platform.toml"
    config.write_text(
        'support_until = 2031-12-31\nvulnerability_contact = "psirt@acme.example"\n'
        'manufacturer = "Acme Chargers"\n'
    )
    settings = load_settings(config)
    assert settings.support_until == date(2031, 12, 31)
    assert WebSettings.of(settings) == WebSettings(
        date(2031, 12, 31), "psirt@acme.example", "Acme Chargers"
    )
    assert load_settings(None, vulnerability_contact="https://acme.example/psirt")
    for bad in ('support_until = "soon"', 'vulnerability_contact = "ring us"'):
        config.write_text(bad + "\n")
        with pytest.raises(SettingsError, match=bad.split(" ")[0]):
            load_settings(config)


def test_add_user_prints_a_password_once_that_logs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTCHARGE_PLATFORM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    args = ["platform", "add-user", "--email", "Op@Example.org", "--role", "operator"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    password = result.stdout.strip().splitlines()[-1]
    assert len(password) >= 32

    async def stored() -> str | None:
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}")
        try:
            return await store.accounts.password_hash(
                (await store.accounts.login_record("op@example.org"))[0].id  # type: ignore[index]
            )
        finally:
            await store.close()

    password_hash = asyncio.run(stored())
    assert password_hash is not None and verify_password(password_hash, password)
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already exists" in again.output
    for bad in (
        ["--email", "x@example.org", "--role", "king"],
        ["--email", "not-an-address", "--role", "owner"],
        ["--email", "w@example.org", "--role", "workplace_user"],
    ):
        out = runner.invoke(app, ["platform", "add-user", *bad])
        assert out.exit_code == 2 and "Traceback" not in out.output, bad
