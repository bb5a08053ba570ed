"""A charger's security profile: recorded per charger, raised, never lowered.

The profile a charger is held to is recorded at its first connection and raised whenever it
connects with a higher one (`ocpp_admission`); a connection below it is refused and stored as
the charger's security event. An operator or the charger's owner raises it here: the platform
checks the charger can make it (profile 3: it holds a certificate of the platform's CA that it
accepted; the platform serves that profile) and sends ChangeConfiguration(SecurityProfile); the
charger reconnects with the new profile, which is then recorded (until then it may still fall
back, as the whitepaper lets it, to the old one)."""

from __future__ import annotations

from typing import Any

from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Conflict, Invalid


async def current(ctx: ServiceContext, charger: ChargerAccess) -> int | None:
    creds = await ctx.store.chargers.credentials(charger.identity)
    return None if creds is None else creds.security_profile


async def raise_profile(
    ctx: ServiceContext, charger: ChargerAccess, profile: int
) -> dict[str, Any]:
    """Send ChangeConfiguration(SecurityProfile) after the checks; the charger's answer."""
    charger.require_admin()
    if profile not in (2, 3):
        raise Invalid("a charger's security profile is raised to 2 or 3")
    held = await current(ctx, charger)
    if held is not None and profile <= held:
        raise Conflict(
            f"charger {charger.identity} is held to profile {held}: a profile is never lowered"
        )
    if profile not in ctx.ocpp.profiles:
        raise Conflict(f"this platform serves no profile {profile} (docs/platform.md)")
    if profile == 3 and not await _has_certificate(ctx, charger):
        raise Conflict(
            f"charger {charger.identity} holds no certificate of the platform's CA: trigger "
            "SignChargePointCertificate first"
        )
    payload = {"key": "SecurityProfile", "value": str(profile)}
    return await ctx.commander.send(
        charger.identity,
        charger.id,
        "ChangeConfiguration",
        payload,
        user_id=charger.user_id,
        protected_ok=True,
    )


async def _has_certificate(ctx: ServiceContext, charger: ChargerAccess) -> bool:
    now = ctx.now()
    return any(
        row["delivered"] == "Accepted" and row["not_after"] > now
        for row in await ctx.store.certificates.of_charger(charger.id)
    )
