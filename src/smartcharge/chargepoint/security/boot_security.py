"""The security parts of one boot of the charger, built by the composition root (app.py).

- the security log (`data_dir/security.sqlite`, keyed with a per-device key from the vault when
  the charger was provisioned) and the events that feed the outbox;
- the certificate store (`data_dir/certificates`), with the installer's `security.ca_file`
  installed as CentralSystemRootCertificate at the first start (and again if the file changes);
- the connection's security profile (security/connection.py);
- tamper (R36): the alarm is logged and notified at once and, unless
  `security.tamper_stops_charging = false`, charging stops until `clear_tamper`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from smartcharge import __version__
from smartcharge.chargepoint.config import ChargePointConfig
from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.security import provisioning
from smartcharge.chargepoint.security.certificates import (
    CertificateInvalid,
    CertificateStore,
    StoreFull,
)
from smartcharge.chargepoint.security.connection import ConnectionSecurity
from smartcharge.chargepoint.security.crypto import serialization, x509
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.security.provisioning import CredentialVault
from smartcharge.chargepoint.security.security_log import SecurityLog
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.security")

LOG_KEY = "security_log_key"
CA_FILE_SETTING = "security.ca_file_sha256"


class StartupError(Exception):
    """The charger's security material cannot be opened; the message says which and why."""


def open_vault(config: ChargePointConfig) -> CredentialVault | None:
    folder = config.security.credentials_dir
    if folder is None:
        return None
    try:
        return provisioning.open_vault(folder)
    except (OSError, ValueError) as exc:
        raise StartupError(
            f"security.credentials_dir {folder}: not a provisioned folder ({exc})"
        ) from None


def _log_key(vault: CredentialVault | None) -> bytes | None:
    if vault is None:
        return None
    try:
        return vault.get(LOG_KEY)
    except KeyError:
        key = secrets.token_bytes(32)
        vault.put(LOG_KEY, key)
        return key


class BootSecurity:
    def __init__(
        self,
        config: ChargePointConfig,
        *,
        store: Store,
        configuration: Configuration,
        station: Station,
        clock: Clock,
        vault: CredentialVault | None,
        boots: int,
    ) -> None:
        self.station = station
        self.clock = clock
        self.tamper_stops_charging = config.security.tamper_stops_charging
        self.log = SecurityLog(config.data_dir / "security.sqlite", mac_key=_log_key(vault))
        self.events = SecurityEvents(self.log, store, clock)
        self.events.forward()  # notifications a crash left between the log and the outbox
        self.certificates = CertificateStore(
            config.data_dir / "certificates",
            max_certificates=configuration.int_value("CertificateStoreMaxLength"),
        )
        self._install_ca_file(config, store)
        self.connection = ConnectionSecurity(
            config=config,
            configuration=configuration,
            settings=store,
            certificates=self.certificates,
            vault=vault,
            events=self.events,
        )
        self.events.record("StartupOfTheDevice", f"smartcharge {__version__}, boot {boots}")

    def _install_ca_file(self, config: ChargePointConfig, store: Store) -> None:
        path = config.security.ca_file
        if path is None:
            return
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StartupError(f"security.ca_file {path}: cannot be read ({exc})") from None
        digest = hashlib.sha256(data).hexdigest()
        if store.setting(CA_FILE_SETTING) == digest:
            return  # installed before; the central system may have managed it since
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise StartupError(f"security.ca_file {path}: not PEM certificates") from None
        for cert in certs:
            pem = cert.public_bytes(serialization.Encoding.PEM)
            try:
                self.certificates.install("CentralSystemRootCertificate", pem, self.clock.now())
            except (CertificateInvalid, StoreFull) as exc:
                raise StartupError(f"security.ca_file {path}: {exc}") from None
        store.save_setting(CA_FILE_SETTING, digest)
        log.info("installed %s CSMS root certificate(s) from security.ca_file", len(certs))

    # --- tamper (R36) ----------------------------------------------------------------------------

    def tamper(self, description: str) -> None:
        self.events.record("TamperDetectionActivated", description or "tamper")
        if self.tamper_stops_charging:
            self.station.tamper(description)

    def clear_tamper(self, by: str) -> bool:
        if not self.station.clear_tamper():
            return False
        self.events.record("TamperCleared", f"cleared by {by}"[:255])
        return True

    def close(self) -> None:
        self.log.close()
