"""Requests of the OCPP 1.6 security whitepaper (edition 3) from the central system.

- Certificate management: InstallCertificate, DeleteCertificate, GetInstalledCertificateIds,
  and the charger's own certificate: ExtendedTriggerMessage(SignChargePointCertificate) makes a
  new key pair on the charger (sealed in the credential vault; the private key never leaves),
  sends SignCertificate with its CSR, and CertificateSigned installs the chain once it is
  checked (this charger's identity and key, in date, chained to an installed CSMS root).
- ExtendedTriggerMessage for the other messages (reusing the Remote Trigger handlers).
- GetLog: SecurityLog (the hash-chained log as JSON lines) or DiagnosticsLog (the GetDiagnostics
  archive), uploaded over HTTP(S) with LogStatusNotification.
- ChangeConfiguration of SecurityProfile / AuthorizationKey: the CallResult first, then the
  link reconnects with the new value (security/connection.py decides and falls back).

Every command that acts after answering does so in an after-hook, so the CallResult is sent
first, as OCPP requires.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ocpp.v16 import call, call_result

from smartcharge.chargepoint import transfer
from smartcharge.chargepoint.diagnostics import Diagnostics
from smartcharge.chargepoint.ocpp_handlers import Handlers
from smartcharge.chargepoint.security.certificates import (
    CertificateInvalid,
    CertificateStore,
    StoreFull,
    check_chargepoint_chain,
    hash_data,
    load_chain,
    public_key_bits,
)
from smartcharge.chargepoint.security.connection import TLS_KEY, ConnectionSecurity
from smartcharge.chargepoint.security.crypto import ec, serialization
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.security.provisioning import make_csr
from smartcharge.chargepoint.station import Station
from smartcharge.clock import Clock
from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.times import parse_time

log = logging.getLogger("smartcharge.chargepoint.security")

PENDING_KEY = "tls_private_key_pending"
RENEW_BEFORE = timedelta(days=30)  # ask for a new certificate this long before ours expires
RENEW_CHECK_S = 86400
CORE_TRIGGERS = frozenset({"BootNotification", "Heartbeat", "MeterValues", "StatusNotification"})


def _when(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


class SecurityHandlers:
    def __init__(
        self,
        *,
        station: Station,
        handlers: Handlers,
        connection: ConnectionSecurity,
        certificates: CertificateStore,
        events: SecurityEvents,
        diagnostics: Diagnostics,
        identity: str,
        call: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]],
        reconnect: Callable[[], Awaitable[None]],
        firmware_status: Callable[[], Awaitable[None]] | None = None,
        clock: Clock,
    ) -> None:
        self.station = station
        self.clock = clock
        self.handlers = handlers
        self.connection = connection
        self.certificates = certificates
        self.events = events
        self.diagnostics = diagnostics
        self.identity = identity
        self._call = call
        self._reconnect = reconnect
        # SignedFirmwareStatusNotification belongs to signed firmware; None: NotImplemented.
        self._firmware_status = firmware_status
        self.log_status = "Idle"
        self.log_request_id: int | None = None
        self._log_task: asyncio.Task[Any] | None = None

    def register(self, ep: RpcEndpoint) -> None:
        ep.route(
            "ChangeConfiguration",
            self.handlers.change_configuration,
            after=self.after_change_configuration,
        )
        ep.route("InstallCertificate", self.install_certificate)
        ep.route("DeleteCertificate", self.delete_certificate, raw=True)
        ep.route("GetInstalledCertificateIds", self.get_installed_certificate_ids, raw=True)
        ep.route("CertificateSigned", self.certificate_signed)
        ep.route("ExtendedTriggerMessage", self.extended_trigger, after=self.after_extended_trigger)
        ep.route("GetLog", self.get_log, raw=True, after=self.after_get_log)

    @property
    def _vault(self) -> Any:
        return self.connection.vault

    # --- security profile / AuthorizationKey: reconnect after the CallResult --------------------

    async def after_change_configuration(
        self, req: call.ChangeConfiguration, res: call_result.ChangeConfiguration
    ) -> None:
        if self.connection.reconnect_wanted:
            self.connection.reconnect_wanted = False
            log.info("reconnecting after a change of %s", req.key)
            await self._reconnect()

    # --- certificate management ------------------------------------------------------------------

    async def install_certificate(
        self, req: call.InstallCertificate
    ) -> call_result.InstallCertificate:
        try:
            cert = self.certificates.install(
                req.certificate_type, req.certificate, self.clock.now()
            )
        except CertificateInvalid as exc:
            log.info("InstallCertificate %s rejected: %s", req.certificate_type, exc)
            return call_result.InstallCertificate(status="Rejected")
        except StoreFull as exc:
            log.info("InstallCertificate %s failed: %s", req.certificate_type, exc)
            return call_result.InstallCertificate(status="Failed")
        self.events.record(
            "ReconfigurationOfSecurityParameters",
            f"installed {req.certificate_type} serial {cert.serial_number:x}",
        )
        return call_result.InstallCertificate(status="Accepted")

    async def delete_certificate(self, req: dict[str, Any]) -> dict[str, Any]:
        item = self.certificates.find(req["certificateHashData"])
        if item is None:
            return {"status": "NotFound"}
        if (
            item.use == "CentralSystemRootCertificate"
            and self.connection.profile >= 2
            and len(self.certificates.roots(item.use)) == 1
        ):
            # The charger could never connect again: refuse rather than brick it.
            log.info("DeleteCertificate refused: the only CSMS root at profile 2 or 3")
            return {"status": "Failed"}
        self.certificates.delete(item)
        self.events.record(
            "ReconfigurationOfSecurityParameters",
            f"deleted {item.use} serial {item.cert.serial_number:x}",
        )
        return {"status": "Accepted"}

    async def get_installed_certificate_ids(self, req: dict[str, Any]) -> dict[str, Any]:
        found = [hash_data(i.cert) for i in self.certificates.installed(req["certificateType"])]
        if not found:
            return {"status": "NotFound"}
        return {"status": "Accepted", "certificateHashData": found}

    async def certificate_signed(
        self, req: call.CertificateSigned
    ) -> call_result.CertificateSigned:
        vault = self._vault
        try:
            if vault is None:
                raise CertificateInvalid("no credential vault holds a key for it")
            chain = load_chain(req.certificate_chain)
            key_name = PENDING_KEY if PENDING_KEY in vault.names() else TLS_KEY
            try:
                key_pem = vault.get(key_name)
            except KeyError:
                raise CertificateInvalid("no key pair was made for it") from None
            key = serialization.load_pem_private_key(key_pem, password=None)
            check_chargepoint_chain(
                chain,
                self.certificates.roots("CentralSystemRootCertificate"),
                identity=self.identity,
                public_key_bits=public_key_bits(key),
                now=self.clock.now(),
            )
        except CertificateInvalid as exc:
            self.events.record("InvalidChargePointCertificate", str(exc))
            return call_result.CertificateSigned(status="Rejected")
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
        self.certificates.set_chargepoint_chain(pem)
        if key_name == PENDING_KEY:
            vault.put(TLS_KEY, key_pem)
            vault.delete(PENDING_KEY)
        self.events.record(
            "ReconfigurationOfSecurityParameters",
            f"charge point certificate serial {chain[0].serial_number:x} installed",
        )
        return call_result.CertificateSigned(status="Accepted")

    async def sign_certificate(self) -> None:
        """Make a key pair on the charger and ask the central system to sign it."""
        vault = self._vault
        if vault is None:
            return
        key = ec.generate_private_key(ec.SECP256R1())
        vault.put(
            PENDING_KEY,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        organization = self.handlers.config.str_value("CpoName") or None
        csr = make_csr(key, self.identity, organization).public_bytes(serialization.Encoding.PEM)
        try:
            res = await self._call("SignCertificate", {"csr": csr.decode()})
        except (CallError, CallTimeout, InvalidResponse, ConnectionError) as exc:
            log.warning("SignCertificate not delivered: %s", type(exc).__name__)
            return
        log.info("SignCertificate answered %s", res.get("status"))

    async def renew_when_due(self) -> None:
        """Once a day (from the first accepted boot): a charger certificate that expires within
        RENEW_BEFORE gets a new key pair and SignCertificate, as the whitepaper asks."""
        while True:
            chain = self.connection.chargepoint_chain()
            vault = self._vault
            if chain is not None and vault is not None and PENDING_KEY not in vault.names():
                try:
                    expires = load_chain(chain)[0].not_valid_after_utc
                except CertificateInvalid:
                    expires = None
                if expires is not None and expires - self.clock.now() < RENEW_BEFORE:
                    log.info("charge point certificate expires %s: renewing", expires.date())
                    await self.sign_certificate()
                elif expires is not None:
                    log.info("charge point certificate good until %s: no renewal", expires.date())
            await self.clock.sleep(RENEW_CHECK_S)

    # --- ExtendedTriggerMessage ------------------------------------------------------------------

    async def extended_trigger(
        self, req: call.ExtendedTriggerMessage
    ) -> call_result.ExtendedTriggerMessage:
        what = req.requested_message
        if not self.station.names_connector(req.connector_id):
            return call_result.ExtendedTriggerMessage(status="Rejected")
        if what in CORE_TRIGGERS:
            res = await self.handlers.trigger_message(
                call.TriggerMessage(requested_message=what, connector_id=req.connector_id)
            )
            return call_result.ExtendedTriggerMessage(status=res.status)
        if what == "SignChargePointCertificate":
            status = "Accepted" if self._vault is not None else "Rejected"
            return call_result.ExtendedTriggerMessage(status=status)
        if what == "LogStatusNotification":
            return call_result.ExtendedTriggerMessage(status="Accepted")
        if what == "FirmwareStatusNotification" and self._firmware_status is not None:
            return call_result.ExtendedTriggerMessage(status="Accepted")
        return call_result.ExtendedTriggerMessage(status="NotImplemented")

    async def after_extended_trigger(
        self, req: call.ExtendedTriggerMessage, res: call_result.ExtendedTriggerMessage
    ) -> None:
        if res.status != "Accepted":
            return
        what = req.requested_message
        if what in CORE_TRIGGERS:
            await self.handlers.after_trigger(
                call.TriggerMessage(requested_message=what, connector_id=req.connector_id),
                call_result.TriggerMessage(status="Accepted"),
            )
        elif what == "SignChargePointCertificate":
            await self.sign_certificate()
        elif what == "LogStatusNotification":
            await self.send_log_status()
        elif what == "FirmwareStatusNotification" and self._firmware_status is not None:
            await self._firmware_status()

    # --- GetLog ----------------------------------------------------------------------------------

    async def get_log(self, req: dict[str, Any]) -> dict[str, Any]:
        try:
            self.diagnostics.transfers.check_upload(req["log"]["remoteLocation"])
            _when(req["log"].get("oldestTimestamp"))
            _when(req["log"].get("latestTimestamp"))
        except (transfer.TransferError, ValueError) as exc:
            log.info("GetLog rejected: %s", exc)
            return {"status": "Rejected"}
        status = "Accepted"
        if self._log_task is not None and self.log_status == "Uploading":
            self._log_task.cancel()  # a new request replaces the one in progress
            status = "AcceptedCanceled"
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%SZ")
        security = req["logType"] == "SecurityLog"
        name = f"{'securitylog' if security else 'diagnostics'}-{self.identity}-{stamp}"
        return {"status": status, "filename": name + (".jsonl.gz" if security else ".tar.gz")}

    async def after_get_log(self, req: dict[str, Any], res: dict[str, Any]) -> None:
        if res["status"] != "Rejected":
            self._log_task = self.station.spawn(self._upload_log(req, res["filename"]))

    def _security_log_bytes(self, since: datetime | None, until: datetime | None) -> bytes:
        with tempfile.TemporaryDirectory(prefix="smartcharge-log-") as folder:
            path = Path(folder) / "security.jsonl"
            self.events.log.export(path, since, until)
            return gzip.compress(path.read_bytes())

    async def _upload_log(self, req: dict[str, Any], name: str) -> None:
        params = req["log"]
        self.log_request_id = req["requestId"]
        await self._log_status("Uploading")
        if req["logType"] == "SecurityLog":
            data = self._security_log_bytes(
                _when(params.get("oldestTimestamp")), _when(params.get("latestTimestamp"))
            )
        else:
            data = self.diagnostics.archive()
        await self.diagnostics.transfers.upload_and_report(
            self.clock,
            params["remoteLocation"],
            name,
            data,
            req.get("retries"),
            req.get("retryInterval"),
            self._log_status,
            failed="UploadFailure",
        )

    async def _log_status(self, status: str) -> None:
        self.log_status = status
        await self.send_log_status()

    async def send_log_status(self) -> None:
        payload: dict[str, Any] = {"status": self.log_status}
        if self.log_request_id is not None:
            payload["requestId"] = self.log_request_id
        await self.station.send_best_effort("LogStatusNotification", payload)
