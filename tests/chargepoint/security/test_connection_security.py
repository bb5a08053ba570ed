"""What the link dials, and the security profile / AuthorizationKey trial, on real stores (the
network side is in tests/e2e/test_security_profiles.py)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme
from tls_fixtures import provisioned
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from smartcharge.chargepoint.config import ChargePointConfig, parse_config
from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.key_catalogue import STANDARD_KEYS
from smartcharge.chargepoint.security.certificates import CertificateStore
from smartcharge.chargepoint.security.connection import TRIAL_SETTING, ConnectionSecurity
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.security.provisioning import CredentialVault, open_vault
from smartcharge.chargepoint.security.security_log import SecurityLog
from smartcharge.chargepoint.security.tls import TlsSetupError
from smartcharge.chargepoint.store import Store
from smartcharge.sim.clock import ManualClock

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Boot:
    connection: ConnectionSecurity
    keys: Configuration
    store: Store
    log: SecurityLog


class Charger:
    """A charger's data folder, booted as often as a test likes."""

    def __init__(self, tmp_path: Path) -> None:
        self.ca = trustme.CA()
        made = provisioned(tmp_path / "factory", "CS-1")
        self.folder, self.password = made.directory, made.password
        self.data = tmp_path / "data"
        self.config: ChargePointConfig = parse_config(
            {
                "identity": "CS-1",
                "csms_url": "ws://127.0.0.1:9/ocpp",
                "data_dir": str(self.data),
                "security": {
                    "profile": 1,
                    "credentials_dir": str(self.folder),
                    "tls_csms_url": "wss://localhost:9443/ocpp",
                },
            },
            base_dir=tmp_path,
        )
        self.boots: list[Boot] = []

    @property
    def vault(self) -> CredentialVault:
        return open_vault(self.folder)

    def boot(self) -> Boot:
        for b in self.boots:
            b.store.close()
            b.log.close()
        self.boots.clear()
        store = Store(self.data / "chargepoint.sqlite")
        keys = Configuration(store, STANDARD_KEYS, defaults={"SecurityProfile": "1"})
        log = SecurityLog(self.data / "security.sqlite")
        clock = ManualClock(NOW)
        connection = ConnectionSecurity(
            config=self.config,
            configuration=keys,
            settings=store,
            certificates=CertificateStore(self.data / "certificates"),
            vault=self.vault,
            events=SecurityEvents(log, store, clock),
        )
        boot = Boot(connection, keys, store, log)
        self.boots.append(boot)
        return boot

    def close(self) -> None:
        for b in self.boots:
            b.store.close()
            b.log.close()


@pytest.fixture
def charger(tmp_path: Path) -> Iterator[Charger]:
    c = Charger(tmp_path)
    yield c
    c.close()


def refused() -> InvalidStatus:
    return InvalidStatus(Response(401, "Unauthorized", Headers()))


def test_profile_1_dials_ws_with_the_vaults_password(charger: Charger) -> None:
    dial = charger.boot().connection.attempt()
    assert dial.url == "ws://127.0.0.1:9/ocpp/CS-1" and dial.ssl is None
    assert dial.headers["Authorization"].startswith("Basic ")
    assert charger.password not in repr(dial.headers)  # base64, and never printed


def test_profile_2_needs_a_root_then_dials_wss_trusting_only_it(charger: Charger) -> None:
    boot = charger.boot()
    assert boot.keys.change("SecurityProfile", "2") == "Rejected"  # no root yet
    boot.connection.certificates.install(
        "CentralSystemRootCertificate", charger.ca.cert_pem.bytes(), NOW
    )
    assert boot.keys.change("SecurityProfile", "2") == "Accepted"
    assert boot.connection.reconnect_wanted
    dial = boot.connection.attempt()
    assert dial.url == "wss://localhost:9443/ocpp/CS-1"
    assert isinstance(dial.ssl, ssl.SSLContext)
    assert dial.ssl.minimum_version == ssl.TLSVersion.TLSv1_2
    assert dial.ssl.verify_mode == ssl.CERT_REQUIRED and dial.ssl.check_hostname
    assert len(dial.ssl.get_ca_certs()) == 1  # the installed root, no system CAs
    assert boot.keys.change("SecurityProfile", "1") == "Rejected"


def test_a_trial_survives_a_restart_and_falls_back_after_three_failures(
    charger: Charger,
) -> None:
    boot = charger.boot()
    boot.connection.certificates.install(
        "CentralSystemRootCertificate", charger.ca.cert_pem.bytes(), NOW
    )
    assert boot.keys.change("SecurityProfile", "2") == "Accepted"
    boot.connection.failed(ssl.SSLCertVerificationError("certificate verify failed"))

    again = charger.boot()  # a power cut during the trial
    assert again.connection.profile == 2 and again.connection.on_trial
    for _ in range(3):
        again.connection.failed(ConnectionRefusedError())
    assert again.connection.profile == 1 and not again.connection.on_trial
    assert again.store.setting(TRIAL_SETTING) is None
    assert [e.event for e in again.log.entries()] == [
        "ReconfigurationOfSecurityParameters",
        "InvalidCentralSystemCertificate",
        "SecurityProfileFallback",
    ]
    assert charger.boot().connection.profile == 1  # the fallback is saved too


def test_a_new_key_is_confirmed_by_a_connection_or_rolled_back(charger: Charger) -> None:
    boot = charger.boot()
    assert boot.keys.change("AuthorizationKey", "Rotated-Key-0815-abcdef") == "Accepted"
    assert charger.vault.get("basic_auth_password") == b"Rotated-Key-0815-abcdef"
    assert "AuthorizationKey" not in boot.store.load_settings()
    boot.connection.connected()
    assert not boot.connection.on_trial
    assert "basic_auth_password_previous" not in charger.vault.names()

    assert boot.keys.change("AuthorizationKey", "Another-Key-4711-zyxwvu") == "Accepted"
    for _ in range(3):
        boot.connection.failed(refused())
    assert charger.vault.get("basic_auth_password") == b"Rotated-Key-0815-abcdef"
    events = [e.event for e in boot.log.entries()]
    assert events.count("FailedToAuthenticateAtCentralSystem") == 1
    assert events[-1] == "SecurityProfileFallback"


def test_profile_3_without_a_certificate_is_refused_and_a_broken_vault_fails_the_attempt(
    charger: Charger, tmp_path: Path
) -> None:
    boot = charger.boot()
    boot.connection.certificates.install(
        "CentralSystemRootCertificate", charger.ca.cert_pem.bytes(), NOW
    )
    assert boot.keys.change("SecurityProfile", "3") == "Rejected"
    (charger.folder / "vault" / "basic_auth_password.cred").write_bytes(b"garbage")
    with pytest.raises(TlsSetupError, match="credential vault"):
        boot.connection.attempt()
