"""Security profiles 1-3 of the OCPP connection and the keys SecurityProfile / AuthorizationKey.

What the link dials each time (`attempt`): the URL of the profile in force, Basic auth for
profiles 1 and 2 (the password from the credential vault, or the TOML file in development),
and for profiles 2 and 3 a TLS context trusting only the installed CSMS roots; profile 3 adds
the charger's certificate and the key sealed in the vault.

Changes by the central system (OCPP 1.6 security whitepaper):

- SecurityProfile only goes up, and only to a profile the charger can use now (a wss:// URL, an
  installed CSMS root, for 3 its own certificate and key); anything else is Rejected.
- AuthorizationKey is write-only: it goes sealed into the vault (never into the settings store,
  a log line or GetConfiguration); without a vault it is Rejected.
- Either change is a trial: the CallResult is sent first, then the link reconnects with the new
  value. If `fallback_after` attempts in a row fail, the charger returns to the previous
  profile and key, logs SecurityProfileFallback, and connects as before. The trial survives a
  restart (`security.trial` in the settings store; the previous key stays sealed in the vault).

Failed attempts are logged as the whitepaper's security events (`tls.failure_event`), once per
kind until a connection succeeds, so a charger that cannot connect for a month does not fill
its security log.
"""

from __future__ import annotations

import base64
import logging
import ssl
from dataclasses import dataclass

import orjson

from smartcharge.chargepoint.config import ChargePointConfig
from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.security import tls
from smartcharge.chargepoint.security.certificates import CertificateStore
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.security.provisioning import (
    CredentialError,
    CredentialVault,
    VaultTampered,
)
from smartcharge.chargepoint.store import SettingsAccess

log = logging.getLogger("smartcharge.chargepoint.security")

PASSWORD = "basic_auth_password"  # not-a-secret: a vault entry name
PREVIOUS_PASSWORD = "basic_auth_password_previous"  # not-a-secret: a vault entry name
TLS_KEY = "tls_private_key"
TRIAL_SETTING = "security.trial"
FALLBACK_AFTER = 3


Settings = SettingsAccess  # the store's settings table


@dataclass(frozen=True)
class Attempt:
    profile: int
    url: str
    headers: dict[str, str]
    ssl: ssl.SSLContext | None


class ConnectionSecurity:
    def __init__(
        self,
        *,
        config: ChargePointConfig,
        configuration: Configuration,
        settings: Settings,
        certificates: CertificateStore,
        vault: CredentialVault | None,
        events: SecurityEvents,
        fallback_after: int = FALLBACK_AFTER,
    ) -> None:
        self.config = config
        self.keys = configuration
        self.settings = settings
        self.certificates = certificates
        self.vault = vault
        self.events = events
        self.fallback_after = fallback_after
        self.reconnect_wanted = False
        self._failures = 0
        self._logged: set[str] = set()
        if self.profile < config.security.profile:
            # The installer raised the profile in the TOML file: that is a starting point too.
            configuration.force("SecurityProfile", str(config.security.profile))
        self._known_profile = self.profile  # the listener needs the value before a change
        configuration.add_validator("SecurityProfile", self._can_raise_to)
        configuration.on_change("SecurityProfile", self._profile_changed)
        configuration.on_secret("AuthorizationKey", self._set_authorization_key)

    @property
    def profile(self) -> int:
        return self.keys.int_value("SecurityProfile")

    @property
    def on_trial(self) -> bool:
        return self.settings.setting(TRIAL_SETTING) is not None

    # --- what to dial ----------------------------------------------------------------------------

    def password(self) -> str | None:
        if self.vault is not None:
            return self.vault.get(PASSWORD).decode()
        pw = self.config.security.password
        return pw.get_secret_value() if pw is not None else None

    def chargepoint_chain(self) -> bytes | None:
        stored = self.certificates.chargepoint_chain()
        if stored is not None:
            return stored
        path = self.config.security.cert_file
        return path.read_bytes() if path is not None and path.exists() else None

    def attempt(self) -> Attempt:
        """The next connection attempt; TlsSetupError when the profile's material is missing
        or the vault holding it fails authentication (changed on disk, another device's)."""
        try:
            return self._attempt()
        except VaultTampered as exc:
            raise tls.TlsSetupError(f"credential vault: {exc}") from None

    def _attempt(self) -> Attempt:
        profile = self.profile
        url = self.config.url_for_profile(profile)
        if url is None:
            raise tls.TlsSetupError(f"no {'wss' if profile >= 2 else 'ws'}:// URL configured")
        headers: dict[str, str] = {}
        if profile in (1, 2):
            password = self.password()
            if password is None:
                raise tls.TlsSetupError("no Basic auth password")
            token = base64.b64encode(f"{self.config.identity}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        context = None
        if profile >= 2:
            roots = self.certificates.roots_pem("CentralSystemRootCertificate")
            if profile == 3:
                chain, key = self.chargepoint_chain(), self._tls_key()
                if chain is None or key is None:
                    raise tls.TlsSetupError("profile 3 needs the charger's certificate and key")
                context = tls.client_context(roots, cert_chain_pem=chain, private_key_pem=key)
            else:
                context = tls.client_context(roots)
        return Attempt(profile, url, headers, context)

    def _tls_key(self) -> bytes | None:
        if self.vault is None:
            return None
        try:
            return self.vault.get(TLS_KEY)
        except KeyError:
            return None

    # --- how it went ------------------------------------------------------------------------

    def connected(self) -> None:
        self._failures = 0
        self._logged.clear()
        if self.on_trial:
            self.settings.delete_setting(TRIAL_SETTING)
            if self.vault is not None:
                self.vault.delete(PREVIOUS_PASSWORD)
            log.info("connected with security profile %s: the change is confirmed", self.profile)

    def failed(self, exc: BaseException) -> None:
        event = tls.failure_event(exc)
        if isinstance(exc, tls.TlsSetupError):
            event = ("InvalidChargePointCertificate", str(exc)) if self.profile == 3 else None
            log.warning("cannot connect at security profile %s: %s", self.profile, exc)
        if event is not None and event[0] not in self._logged:
            self._logged.add(event[0])
            self.events.record(event[0], event[1])
        self._failures += 1
        if self.on_trial and self._failures >= self.fallback_after:
            self._fall_back()

    def _fall_back(self) -> None:
        raw = self.settings.setting(TRIAL_SETTING)
        trial = orjson.loads(raw) if raw else {}
        new = self.profile
        old = int(trial.get("profile", new))
        if old != new:
            self.keys.force("SecurityProfile", str(old))
            self._known_profile = old
        restored_key = False
        if trial.get("key") and self.vault is not None:
            try:
                self.vault.put(PASSWORD, self.vault.get(PREVIOUS_PASSWORD))
                self.vault.delete(PREVIOUS_PASSWORD)
                restored_key = True
            except KeyError:
                pass
        self.settings.delete_setting(TRIAL_SETTING)
        self._failures = 0
        what = f"profile {new} -> {old}" + ("; previous AuthorizationKey" if restored_key else "")
        log.warning("could not connect after a security change; back to %s", what)
        self.events.record("SecurityProfileFallback", f"{self.fallback_after} failures: {what}")

    # --- changes from the central system ---------------------------------------------------------

    def problem_with(self, profile: int) -> str | None:
        """Why the charger cannot use `profile` now, or None when it can."""
        if self.config.url_for_profile(profile) is None:
            return f"no {'wss' if profile >= 2 else 'ws'}:// URL is configured"
        if profile >= 2 and not self.certificates.roots("CentralSystemRootCertificate"):
            return "no CentralSystemRootCertificate is installed"
        if profile in (1, 2) and self.vault is None and self.config.security.password is None:
            return "no Basic auth password"
        if profile == 3 and (self.chargepoint_chain() is None or self._tls_key() is None):
            return "no charge point certificate and key"
        return None

    def _can_raise_to(self, value: str) -> bool:
        profile = int(value)
        if profile == self.profile:
            return True
        problem = self.problem_with(profile)
        if problem is not None:
            log.info("SecurityProfile %s refused: %s", profile, problem)
        return problem is None

    def _start_trial(self, *, profile: int, key: bool) -> None:
        raw = self.settings.setting(TRIAL_SETTING)
        trial = orjson.loads(raw) if raw else {"profile": profile, "key": False}
        trial["key"] = bool(trial.get("key")) or key  # an earlier, unconfirmed change stays
        self.settings.save_setting(TRIAL_SETTING, orjson.dumps(trial).decode())
        self._failures = 0
        self.reconnect_wanted = True

    def _profile_changed(self, value: str) -> None:
        old = self._known_profile
        self._known_profile = int(value)
        if int(value) == old:
            return
        self._start_trial(profile=old, key=False)
        self.events.record("ReconfigurationOfSecurityParameters", f"SecurityProfile {old}->{value}")

    def _set_authorization_key(self, value: str) -> bool:
        if self.vault is None:
            log.warning("AuthorizationKey refused: no credential vault (security.credentials_dir)")
            return False
        try:
            current = self.vault.get(PASSWORD)
        except KeyError:
            current = None
        if current is not None and self.vault.names().count(PREVIOUS_PASSWORD) == 0:
            try:
                self.vault.put(PREVIOUS_PASSWORD, current)
            except CredentialError:
                return False
        try:
            self.vault.put(PASSWORD, value.encode())
        except CredentialError as exc:
            log.info("AuthorizationKey refused: %s", exc)  # the reason, never the value
            return False
        self._start_trial(profile=self.profile, key=True)
        self.events.record("ReconfigurationOfSecurityParameters", "AuthorizationKey changed")
        return True
