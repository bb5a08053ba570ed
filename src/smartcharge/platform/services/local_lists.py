"""Each charger's local authorisation list kept in step with the cards (OCPP 1.6 section 3.5).

A charger's list holds its owner's cards and those of its site's users (`store.cards`), each
with its status, expiry and parent: a blocked card stays on the list as Blocked, so a charger
that authorises locally (LocalPreAuthorize, or offline) refuses it without asking. The platform
keeps what it last sent and the version the charger confirmed (`local_lists`):

- the charger's version (GetLocalListVersion) is the one we recorded: only what changed goes out
  (SendLocalList Differential: new and changed entries with their idTagInfo, removed ones
  without), version + 1;
- any other version (a charger replaced, reset, or changed by someone else), or a differential
  update answered VersionMismatch: the whole list (Full), version above both;
- a charger whose cache may hold a card since blocked or removed gets ClearCache too.

A sync runs when a card changes (for the chargers it concerns that are connected) and when a
charger connects and has spoken (so a charger offline at the change catches up before anything
else can be decided on a stale list). Per charger, syncs run one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from smartcharge.ocpp.times import format_time
from smartcharge.platform.commands import Commander, CommandFailed
from smartcharge.platform.ocpp_server import Connection
from smartcharge.platform.services.owner_controls import REMOTE_TAG_PREFIX
from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.local_lists")


def entries(cards: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """{idTag: idTagInfo} as a charger's list should hold them."""
    out: dict[str, dict[str, Any]] = {}
    for card in cards:
        info: dict[str, Any] = {"status": card["status"]}
        if card["expiry_date"] is not None:
            info["expiryDate"] = format_time(card["expiry_date"])
        if card["parent_id_tag"] is not None:
            info["parentIdTag"] = card["parent_id_tag"]
        out[card["id_tag"]] = info
    return out


def differential(
    sent: dict[str, dict[str, Any]], wanted: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The SendLocalList entries that turn `sent` into `wanted`: an entry without idTagInfo
    removes the card from the charger's list."""
    changed = [
        {"idTag": tag, "idTagInfo": info} for tag, info in wanted.items() if sent.get(tag) != info
    ]
    removed = [{"idTag": tag} for tag in sent if tag not in wanted]
    return changed + removed


class LocalListSync:
    def __init__(
        self,
        store: Store,
        commander: Commander,
        *,
        now: Callable[[], datetime],
        timeout: float | None = None,
    ) -> None:
        self.store = store
        self.commander = commander  # each call is in the command log, as the platform's own
        self.now = now
        self.timeout = timeout
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[str]] = set()

    async def charger_connected(self, conn: Connection) -> None:
        """The OCPP server's hook: a charger has connected and spoken."""
        await self.sync(conn.charger_id, conn.identity)

    async def changed(self, chargers: Iterable[tuple[int, str]]) -> None:
        """Cards of these chargers changed: bring the connected ones in step now (in the
        background); the others catch up when they connect."""
        for charger_id, identity in set(chargers):
            if self.commander.ocpp.is_connected(identity) or (
                await self.store.chargers.connected_node(identity) is not None
            ):
                task = asyncio.create_task(self.sync(charger_id, identity))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def sync(self, charger_id: int, identity: str) -> str:
        """Bring one charger's list (and cache) in step; the outcome in words, also recorded.
        A charger that never had a card, a list or a cache to clear is left alone (no call, no
        write: a reconnect storm of such chargers costs one read each)."""
        lock = self._locks.setdefault(charger_id, asyncio.Lock())
        async with lock:
            try:
                outcome = await self._sync(charger_id, identity)
                if outcome is None:
                    return "nothing to keep in step"
            except CommandFailed as exc:  # offline, timeout, call_error, bad_answer
                outcome = f"not done: {exc.outcome}"
            await self.store.cards.save_list(charger_id, at=self.now(), outcome=outcome)
            log.info("local list identity=%s outcome=%s", identity, outcome)
            return outcome

    async def _sync(self, charger_id: int, identity: str) -> str | None:
        cards = self.store.cards
        if not await cards.anything_to_keep(charger_id, exclude_prefix=REMOTE_TAG_PREFIX):
            return None  # one read: a reconnect storm is mostly chargers without cards
        version, sent, clear_cache = await cards.list_state(charger_id)
        wanted = entries(await cards.for_charger(charger_id, exclude_prefix=REMOTE_TAG_PREFIX))
        if version == 0 and not (sent or wanted or clear_cache):
            return None
        answer = await self._call(charger_id, identity, "GetLocalListVersion", {})
        theirs = int(answer["listVersion"])
        if theirs < 0:
            return "no local list on this charger"
        outcome = "in step"
        if theirs != version or (version == 0 and wanted):
            outcome = await self._send(charger_id, identity, max(version, theirs) + 1, wanted)
        elif sent != wanted:
            outcome = await self._send(
                charger_id, identity, version + 1, wanted, differential(sent, wanted)
            )
        if clear_cache:
            cleared = await self._call(charger_id, identity, "ClearCache", {})
            # Rejected: the charger keeps no cache, so there is nothing to clear either.
            await self.store.cards.save_list(
                charger_id, at=self.now(), outcome=outcome, clear_cache=False
            )
            outcome += f"; cache {'cleared' if cleared['status'] == 'Accepted' else 'none'}"
        return outcome

    async def _send(
        self,
        charger_id: int,
        identity: str,
        version: int,
        wanted: dict[str, dict[str, Any]],
        changes: list[dict[str, Any]] | None = None,
    ) -> str:
        if changes is not None:
            payload = {
                "listVersion": version,
                "updateType": "Differential",
                "localAuthorizationList": changes,
            }
            answer = await self._call(charger_id, identity, "SendLocalList", payload)
            if answer["status"] == "VersionMismatch":
                return await self._send(charger_id, identity, version + 1, wanted)
        else:
            payload = {
                "listVersion": version,
                "updateType": "Full",
                "localAuthorizationList": [
                    {"idTag": tag, "idTagInfo": info} for tag, info in wanted.items()
                ],
            }
            answer = await self._call(charger_id, identity, "SendLocalList", payload)
        status = str(answer["status"])
        kind = "full" if changes is None else "differential"
        if status != "Accepted":
            return f"{kind} list {status}"
        outcome = f"{kind} list v{version} accepted"
        await self.store.cards.save_list(
            charger_id, at=self.now(), outcome=outcome, version=version, entries=wanted
        )
        return outcome

    async def _call(
        self, charger_id: int, identity: str, action: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.commander.send(
            identity, charger_id, action, payload, user_id=None, timeout=self.timeout
        )
