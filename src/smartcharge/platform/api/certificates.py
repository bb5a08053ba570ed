"""Certificate management (services/certificates.py): the roots installed on a charger, the
charger certificates the platform's CA signed, and the trigger that asks a charger for a new
one. Answers are the charger's own (200); 409 offline, 504 no answer, 502 CALLERROR, 422 a
certificate that fails its checks (nothing sent), 403 installing or deleting without being an
operator."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from smartcharge.platform.api.access import Managed
from smartcharge.platform.api.auth import Api, CallerDep
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.schemas import Strict
from smartcharge.platform.services import certificates
from smartcharge.platform.services.errors import NotAllowed

router = APIRouter(tags=["certificates"])

RootType = Literal["CentralSystemRootCertificate", "ManufacturerRootCertificate"]


class InstallRequest(Strict):
    certificate_type: RootType
    certificate: str = Field(min_length=1, max_length=5500, description="one PEM certificate")


class HashData(Strict):
    """As GetInstalledCertificateIds answered it."""

    hash_algorithm: Literal["SHA256", "SHA384", "SHA512"]
    issuer_name_hash: str = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Fa-f]+$")
    issuer_key_hash: str = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Fa-f]+$")
    serial_number: str = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Fa-f]+$")


class TriggerRequest(Strict):
    requested_message: str = Field(
        min_length=1, max_length=40, description="e.g. SignChargePointCertificate"
    )
    connector_id: int | None = Field(default=None, ge=1, le=99)


class IssuedOut(BaseModel):
    serial: str
    subject: str
    not_before: AwareDatetime
    not_after: AwareDatetime
    issued_at: AwareDatetime
    delivered: str | None  # the charger's answer to CertificateSigned, or why not delivered
    renewal_requested_at: AwareDatetime | None


class CaOut(BaseModel):
    pem: str
    subject: str
    not_after: AwareDatetime


@router.post(
    "/api/chargers/{identity}/certificates", response_model=dict[str, Any], responses=COMMAND_ERRORS
)
async def install(body: InstallRequest, charger: Managed, ctx: Api) -> dict[str, Any]:
    """InstallCertificate (operator): the certificate is checked first (one PEM CA certificate,
    self-signed, in date, a key of the whitepaper's strength)."""
    return await certificates.install(ctx, charger, body.certificate_type, body.certificate)


@router.get(
    "/api/chargers/{identity}/certificates", response_model=dict[str, Any], responses=COMMAND_ERRORS
)
async def installed(
    charger: Managed,
    ctx: Api,
    certificate_type: Annotated[RootType, Query()] = "CentralSystemRootCertificate",
) -> dict[str, Any]:
    """GetInstalledCertificateIds: the charger's answer (`certificateHashData` to delete one)."""
    return await certificates.installed(ctx, charger, certificate_type)


@router.post(
    "/api/chargers/{identity}/certificates/delete",
    response_model=dict[str, Any],
    responses=COMMAND_ERRORS,
)
async def delete(body: HashData, charger: Managed, ctx: Api) -> dict[str, Any]:
    """DeleteCertificate (operator)."""
    hash_data = {
        "hashAlgorithm": body.hash_algorithm,
        "issuerNameHash": body.issuer_name_hash,
        "issuerKeyHash": body.issuer_key_hash,
        "serialNumber": body.serial_number,
    }
    return await certificates.delete(ctx, charger, hash_data)


@router.post(
    "/api/chargers/{identity}/trigger", response_model=dict[str, Any], responses=COMMAND_ERRORS
)
async def trigger(body: TriggerRequest, charger: Managed, ctx: Api) -> dict[str, Any]:
    """ExtendedTriggerMessage; SignChargePointCertificate makes the charger send a new CSR."""
    return await certificates.trigger(ctx, charger, body.requested_message, body.connector_id)


@router.get("/api/chargers/{identity}/charger-certificates", response_model=list[IssuedOut])
async def issued(charger: Managed, ctx: Api) -> list[IssuedOut]:
    """The certificates the platform's CA signed for this charger, newest first."""
    rows = await certificates.issued(ctx, charger)
    return [IssuedOut(**{k: r[k] for k in IssuedOut.model_fields}) for r in rows]


@router.get("/api/certificates/charger-ca", response_model=CaOut)
async def charger_ca(ctx: Api, who: CallerDep) -> CaOut:
    """The CA that signs charger certificates (to install on chargers as their root)."""
    if who.role != "operator":
        raise NotAllowed("only an operator manages the chargers' certificates")
    cert = ctx.certificates.ca.cert
    return CaOut(
        pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        subject=cert.subject.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
    )
