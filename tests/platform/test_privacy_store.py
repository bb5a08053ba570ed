"""The store's half of "delete my data" (R35): one person's sessions, meter values, cards,
tokens, tariffs and plans go in one transaction; another person's stay; the chargers stay
registered without an owner; the command log stays without the name. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from smartcharge.platform.store import Store
from smartcharge.platform.store.models import ApiToken, Charger, IdTag, MeterValue, Transaction

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _person(store: Store, email: str, identity: str) -> tuple[int, int]:
    """An owner with a charger, a card, a session with meter values, a token, a tariff."""
    user_id = await store.people.user(email, role="owner", at=T0)
    charger_id = await store.chargers.add(identity, None, at=T0, owner_id=user_id)
    tag = f"TAG-{identity}"
    await store.id_tags.put(tag, at=T0, owner_id=user_id)
    tx = await store.transactions.start(
        charger_id, connector_id=1, id_tag=tag, meter_start=0, started_at=T0, at=T0
    )
    await store.meter_values.append(
        [
            {
                "charger_id": charger_id,
                "connector_id": 1,
                "transaction_id": tx,
                "timestamp": T0 + timedelta(minutes=n),
                "value": str(n),
                "measurand": "Energy.Active.Import.Register",
                "phase": None,
                "unit": "Wh",
                "context": "Sample.Periodic",
                "location": None,
                "format": None,
                "received_at": T0,
            }
            for n in range(3)
        ]
    )
    await store.accounts.add_token(user_id, f"tok-{identity}", kind="bearer", at=T0, name="x")
    await store.owner_records.set_tariff(charger_id, 24.5, [("00:30", "04:30", 7.5)], at=T0)
    await store.owner_records.set_plan(
        charger_id,
        {"ready_by": "07:00", "energy_kwh": 40.0, "power_kw": 7.4, "weekdays": "01234"},
        at=T0,
    )
    await store.history.record_command(
        charger_id=charger_id,
        user_id=user_id,
        action="Reset",
        message_id=None,
        outcome="answered",
        status="Accepted",
        requested_at=T0,
        answered_at=T0,
    )
    return user_id, charger_id


async def _count(store: Store, table: type, *where: object) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def test_r35_one_persons_data_goes_and_nobody_elses(store: Store) -> None:
    ann, ann_charger = await _person(store, "ann@example.org", "ANN-1")
    bob, bob_charger = await _person(store, "bob@example.org", "BOB-1")

    counted = await store.privacy.delete_person(ann, owner=True)

    assert counted == {"sessions": 1, "cards": 1, "chargers": 1}
    assert await _count(store, Transaction, Transaction.charger_id == ann_charger) == 0
    assert await _count(store, MeterValue, MeterValue.charger_id == ann_charger) == 0
    assert await _count(store, IdTag, IdTag.owner_id == ann) == 0
    assert await _count(store, ApiToken, ApiToken.user_id == ann) == 0
    assert await store.owner_records.tariff(ann_charger) is None
    assert await store.owner_records.plan(ann_charger) is None
    assert await store.accounts.login_record("ann@example.org") is None
    # The charger stays registered (the operator's), with no owner; the log without the name.
    assert await _count(store, Charger, Charger.id == ann_charger, Charger.owner_id.is_(None)) == 1
    assert [r["by"] for r in await store.history.commands(ann_charger)] == [None]

    # Bob's data is all there.
    assert await _count(store, Transaction, Transaction.charger_id == bob_charger) == 1
    assert await _count(store, MeterValue, MeterValue.charger_id == bob_charger) == 3
    assert await _count(store, IdTag, IdTag.owner_id == bob) == 1
    assert await _count(store, ApiToken, ApiToken.user_id == bob) == 1
    assert await store.owner_records.tariff(bob_charger) == (
        24.5,
        [("00:30", "04:30", 7.5)],
        T0,
    )
    assert (await store.owner_records.plan(bob_charger) or {})["ready_by"] == "07:00"
    assert [r["by"] for r in await store.history.commands(bob_charger)] == ["bob@example.org"]
