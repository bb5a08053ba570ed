"""Delete my data (issue 6 item 8; R35): each of the owner's chargers is asked to wipe its own
personal data first (`charger_wipe`); if one could not, nothing is deleted on the platform yet
and the owner is told why and what to do, unless they chose to go ahead anyway (those chargers
then keep their data until reset on site). Then everything the platform keeps about the user
goes, in one transaction (`store/privacy.py`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import RowMapping

from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.charger_wipe import WipeAnswer, wipe_chargers
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import NotAllowed

log = logging.getLogger("smartcharge.platform.services")

DELETABLE_ROLES = ("owner", "workplace_admin", "workplace_user")
"""People who charge. An operator's or aggregator's account carries the platform's own records
(DSR events, groups) and is removed by the operator."""
NOT_DELETABLE = "An operator's or aggregator's account is removed by the platform's operator."


@dataclass(frozen=True)
class Deletion:
    answers: list[WipeAnswer]  # each of the owner's chargers: what it said
    counted: dict[str, int] | None  # what went (sessions, cards, chargers); None: nothing yet

    @property
    def done(self) -> bool:
        return self.counted is not None


async def chargers_to_wipe(ctx: ServiceContext, who: Caller) -> list[RowMapping]:
    """The chargers whose data is this user's (an owner's own; nobody else's)."""
    return list(await ctx.store.history.chargers(who.scope)) if who.role == "owner" else []


async def delete_my_data(
    ctx: ServiceContext, who: Caller, *, wiped: frozenset[str] = frozenset(), anyway: bool = False
) -> Deletion:
    """`wiped`: chargers that wiped themselves a moment ago (not asked again)."""
    if who.role not in DELETABLE_ROLES:
        raise NotAllowed(NOT_DELETABLE)
    owned = [(r["identity"], int(r["id"])) for r in await chargers_to_wipe(ctx, who)]
    done = wiped & {identity for identity, _ in owned}
    answers = await wipe_chargers(ctx, owned, who.account.id, done)
    if not anyway and any(not a.wiped for a in answers):
        log.info(
            "personal data not deleted yet user_id=%s: a charger was not wiped", who.account.id
        )
        return Deletion(answers, None)
    counted = await ctx.store.privacy.delete_person(who.account.id, owner=who.role == "owner")
    log.info("personal data deleted user_id=%s counts=%s", who.account.id, counted)
    return Deletion(answers, counted)
