"""AttemptedReplayAttacks (security/replay.py), end to end: raw frames from the `ocpp` package's
central system over its real websocket to a running charger."""

from __future__ import annotations

import orjson
from cp_harness import MakeCP, Running
from ocpp.v16 import call

from smartcharge.chargepoint.security.replay import MAX_IDS


def answers(cp: Running, uid: str) -> list[list[object]]:
    """The charger's CALLRESULT / CALLERROR frames for message id `uid`, in order."""
    frames = [orjson.loads(f) for f in cp.peer.frames]
    return [f for f in frames if f[0] in (3, 4) and f[1] == uid]


def replays(cp: Running) -> list[str]:
    assert cp.app.security is not None
    entries = cp.app.security.log.entries()
    return [e.tech_info for e in entries if e.event == "AttemptedReplayAttacks"]


async def booted(make_cp: MakeCP, manual: bool = False) -> Running:
    cp = await make_cp(manual=manual)
    await cp.until(lambda: bool(cp.peer.of("BootNotification")))
    await cp.until_status(1, "Available")
    return cp


async def test_a_resent_remote_start_is_answered_again_and_starts_one_session(
    make_cp: MakeCP,
) -> None:
    # On a manual clock: "nothing more happened" below is read after simulated time has passed.
    cp = await booted(make_cp, manual=True)
    for n in (1, 2):
        cp.hw.plug(n, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)
    ws = cp.peer.connected[cp.identity]._connection
    start = '[2,"rs-1","RemoteStartTransaction",{"idTag":"TAG1"}]'
    await ws.send(start)
    await cp.peer.wait_for(lambda: len(cp.peer.of("StartTransaction")) == 1)
    # The same CALL again, keys in another order (the central system lost our answer).
    await ws.send('[2, "rs-1", "RemoteStartTransaction", {"idTag": "TAG1"}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "rs-1")) == 2)
    first, second = answers(cp, "rs-1")
    assert first == second == [3, "rs-1", {"status": "Accepted"}]
    await cp.advance(20)  # 20 simulated seconds: a second start would have happened by now
    assert len(cp.peer.of("StartTransaction")) == 1
    assert cp.state(2)["transaction_id"] is None
    assert replays(cp) == []  # a resend is not an attack


async def test_a_reused_message_id_is_refused_and_logged(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    ws = cp.peer.connected[cp.identity]._connection
    await ws.send('[2,"id-7","GetConfiguration",{"key":["HeartbeatInterval"]}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "id-7")) == 1)
    # The same id for another action: a replayed or forged CALL; the charger must not reset.
    await ws.send('[2,"id-7","Reset",{"type":"Hard"}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "id-7")) == 2)
    refused = answers(cp, "id-7")[1]
    assert refused[0] == 4 and refused[2] == "SecurityError"
    assert replays(cp) == ["message id 'id-7' reused: GetConfiguration before, now Reset"]
    # Same id and action, another payload: refused too.
    await ws.send('[2,"id-7","GetConfiguration",{"key":["MeterValueSampleInterval"]}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "id-7")) == 3)
    assert answers(cp, "id-7")[2][2] == "SecurityError"
    assert len(replays(cp)) == 2
    assert cp.app.boots == 1  # no reset happened
    # Not notified (the whitepaper does not count it as critical), still answering.
    assert "AttemptedReplayAttacks" not in cp.peer.security_events()
    res = await cp.call(call.GetConfiguration(key=["HeartbeatInterval"]))
    assert res.configuration_key[0]["value"] == "300"


async def test_ids_may_repeat_on_a_new_connection(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    ws = cp.peer.connected[cp.identity]._connection
    await ws.send('[2,"again","GetConfiguration",{"key":["HeartbeatInterval"]}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "again")) == 1)
    await ws.close()
    await cp.peer.wait_for(
        lambda: (c := cp.peer.connected.get(cp.identity)) is not None and c._connection is not ws
    )
    ws2 = cp.peer.connected[cp.identity]._connection
    await ws2.send('[2,"again","ClearCache",{}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "again")) == 2)
    assert answers(cp, "again")[1] == [3, "again", {"status": "Accepted"}]
    assert replays(cp) == []


async def test_the_memory_of_ids_is_bounded(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    ws = cp.peer.connected[cp.identity]._connection
    for n in range(MAX_IDS + 1):
        await ws.send(f'[2,"m{n}","ClearCache",{{}}]')
    await cp.peer.wait_for(lambda: len(answers(cp, f"m{MAX_IDS}")) == 1, timeout=30)
    # m1 is still remembered; m0 was forgotten: its id is free again.
    await ws.send('[2,"m1","GetConfiguration",{"key":["HeartbeatInterval"]}]')
    await ws.send('[2,"m0","GetConfiguration",{"key":["HeartbeatInterval"]}]')
    await cp.peer.wait_for(lambda: len(answers(cp, "m1")) == 2)
    await cp.peer.wait_for(lambda: len(answers(cp, "m0")) == 2)
    assert answers(cp, "m0")[1][0] == 3
    assert answers(cp, "m1")[1][2] == "SecurityError"
    guard = cp.app.link.endpoint._transport if cp.app.link and cp.app.link.endpoint else None
    assert guard is not None and len(guard._seen) == MAX_IDS
