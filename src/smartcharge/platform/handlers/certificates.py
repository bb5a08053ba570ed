"""SignCertificate: a charger asks for its certificate (services/certificates.py decides).

Answered Accepted when the CSR may be signed (Rejected otherwise, or when the platform has no CA
for chargers); the certificate goes out in CertificateSigned from the after-hook, once the
answer has been sent, as the whitepaper's sequence has it."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from smartcharge.platform.handlers.context import ChargerContext

log = logging.getLogger("smartcharge.platform.handlers")


class CsrSigner(Protocol):
    async def check(self, charger_id: int, identity: str, csr_pem: str) -> bool: ...

    async def deliver(self, charger_id: int, identity: str) -> str: ...


async def sign_certificate(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    if ctx.certificates is None:
        log.warning("SignCertificate refused identity=%s reason=no charger CA", ctx.identity)
        return {"status": "Rejected"}
    ok = await ctx.certificates.check(ctx.charger_id, ctx.identity, p["csr"])
    return {"status": "Accepted" if ok else "Rejected"}


async def after_sign_certificate(
    ctx: ChargerContext, _request: dict[str, Any], response: dict[str, Any]
) -> None:
    if ctx.certificates is not None and response.get("status") == "Accepted":
        await ctx.certificates.deliver(ctx.charger_id, ctx.identity)
