"""Certificate management (OCPP 1.6 security whitepaper, the central system's use cases).

- A charger's SignCertificate: its CSR is checked (`charger_ca.check_csr`); a bad one is
  answered Rejected, logged and stored as a security event of the charger (`CsrRefused`, with
  the reason); a good one is answered Accepted, then signed by the platform's CA and sent back
  in CertificateSigned (after the answer, as OCPP requires). Each certificate issued is kept
  with its dates and the charger's answer.
- Expiry is tracked: a charger whose newest certificate ends within `renew_before` is asked for
  a new one (ExtendedTriggerMessage SignChargePointCertificate) once a day until it has one.
- For an operator: InstallCertificate (the certificate checked before it is sent),
  DeleteCertificate, GetInstalledCertificateIds and ExtendedTriggerMessage, through the REST
  API and the CLI.

Every call to a charger goes through the `Commander` (validated, in the command log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509

from smartcharge.platform.charger_ca import CertificateRefused, ChargerCa, check_csr, check_root
from smartcharge.platform.commands import Commander, CommandFailed
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotAllowed
from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.certificates")

CSR_REFUSED = "CsrRefused"  # the security event stored for a refused CSR
ROOT_TYPES = ("CentralSystemRootCertificate", "ManufacturerRootCertificate")
TRIGGERS = (
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargePointCertificate",
    "StatusNotification",
)
Answer = dict[str, Any]


@dataclass
class CertificateService:
    store: Store
    commander: Commander
    ca: ChargerCa
    now: Callable[[], datetime]
    days: int = 365  # how long a charger certificate is valid
    renew_before: timedelta = timedelta(days=30)
    _pending: dict[int, x509.CertificateSigningRequest] = field(default_factory=dict)

    # --- SignCertificate, from the charger (handlers/certificates.py) ---------------------------

    async def check(self, charger_id: int, identity: str, csr_pem: str) -> bool:
        """Whether the CSR may be signed (then it is kept for `deliver`)."""
        try:
            csr = check_csr(csr_pem, identity)
        except CertificateRefused as exc:
            log.warning("CSR refused identity=%s reason=%s", identity, exc)
            now = self.now()
            await self.store.history.add_security_event(
                charger_id, type=CSR_REFUSED, tech_info=str(exc), timestamp=now, received_at=now
            )
            return False
        self._pending[charger_id] = csr
        return True

    async def deliver(self, charger_id: int, identity: str) -> str:
        """Sign the CSR `check` accepted and send CertificateSigned; the charger's answer, or
        why it was not delivered. The certificate is stored before it is sent."""
        csr = self._pending.pop(charger_id, None)
        if csr is None:
            return "no CSR"
        now = self.now()
        cert = self.ca.issue(csr, now, self.days)
        serial = f"{cert.serial_number:x}"
        chain = self.ca.chain_pem(cert)
        await self.store.certificates.add(
            charger_id,
            serial=serial,
            subject=cert.subject.rfc4514_string(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            pem=chain,
            issued_at=now,
        )
        try:
            answer = await self.commander.send(
                identity, charger_id, "CertificateSigned", {"certificateChain": chain}, user_id=None
            )
            outcome = str(answer["status"])
        except CommandFailed as exc:
            outcome = exc.outcome
        await self.store.certificates.delivered(serial, outcome)
        log.info("charger certificate identity=%s serial=%s outcome=%s", identity, serial, outcome)
        return outcome

    # --- expiry ---------------------------------------------------------------------------------

    async def renew_due(self) -> list[str]:
        """Ask each charger whose certificate ends within `renew_before` for a new one (once a
        day each); the identities asked that accepted."""
        now = self.now()
        due = await self.store.certificates.expiring(
            now + self.renew_before, asked_before=now - timedelta(days=1)
        )
        asked, accepted = [], []
        for row in due:
            payload = {"requestedMessage": "SignChargePointCertificate"}
            try:
                answer = await self.commander.send(
                    row["identity"],
                    row["charger_id"],
                    "ExtendedTriggerMessage",
                    payload,
                    user_id=None,
                )
            except CommandFailed:  # offline: asked again on the next round
                continue
            asked.append(row["id"])
            if answer.get("status") == "Accepted":
                accepted.append(row["identity"])
        await self.store.certificates.renewal_requested(asked, at=now)
        if due:
            log.info("certificate renewal due=%s asked=%s", len(due), len(asked))
        return accepted


# --- the operator's use cases ---------------------------------------------------------------------


def _require_operator(charger: ChargerAccess) -> None:
    if charger.caller.role != "operator":
        raise NotAllowed("only an operator installs or deletes a charger's certificates")


async def install(
    ctx: ServiceContext, charger: ChargerAccess, certificate_type: str, pem: str
) -> Answer:
    """InstallCertificate, once the certificate has passed `charger_ca.check_root`."""
    _require_operator(charger)
    if certificate_type not in ROOT_TYPES:
        raise Invalid(f"certificate_type is one of {', '.join(ROOT_TYPES)}")
    try:
        check_root(pem, ctx.now())
    except CertificateRefused as exc:
        raise Invalid(f"not sent: {exc}") from None
    payload = {"certificateType": certificate_type, "certificate": pem}
    return await _send(ctx, charger, "InstallCertificate", payload)


async def delete(ctx: ServiceContext, charger: ChargerAccess, hash_data: dict[str, str]) -> Answer:
    """DeleteCertificate of the certificate GetInstalledCertificateIds named so."""
    _require_operator(charger)
    return await _send(ctx, charger, "DeleteCertificate", {"certificateHashData": hash_data})


async def installed(ctx: ServiceContext, charger: ChargerAccess, certificate_type: str) -> Answer:
    charger.require_admin()
    if certificate_type not in ROOT_TYPES:
        raise Invalid(f"certificate_type is one of {', '.join(ROOT_TYPES)}")
    payload = {"certificateType": certificate_type}
    return await _send(ctx, charger, "GetInstalledCertificateIds", payload)


async def trigger(
    ctx: ServiceContext, charger: ChargerAccess, message: str, connector_id: int | None = None
) -> Answer:
    """ExtendedTriggerMessage: SignChargePointCertificate asks the charger for a new key pair
    and CSR (what renewal does by itself)."""
    charger.require_admin()
    if message not in TRIGGERS:
        raise Invalid(f"requested_message is one of {', '.join(TRIGGERS)}")
    payload: dict[str, Any] = {"requestedMessage": message}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    return await _send(ctx, charger, "ExtendedTriggerMessage", payload)


async def issued(ctx: ServiceContext, charger: ChargerAccess) -> list[dict[str, Any]]:
    """The certificates the platform's CA signed for this charger, newest first."""
    return [dict(r) for r in await ctx.store.certificates.of_charger(charger.id)]


async def _send(
    ctx: ServiceContext, charger: ChargerAccess, action: str, payload: dict[str, Any]
) -> Answer:
    return await ctx.commander.send(
        charger.identity, charger.id, action, payload, user_id=charger.user_id
    )
