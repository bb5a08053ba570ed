"""The PN532 reader's driver against a PN532 peer on a pty pair (real HSU frames with their
checksums)."""

from __future__ import annotations

import pytest

from smartcharge.chargepoint.hardware.devices.faults import DeviceError
from smartcharge.chargepoint.hardware.devices.pn532_frames import (
    PN532,
    card_uid,
    decode_after_start,
    encode,
)

from .conftest import make_bench

UID = bytes.fromhex("04A1B2C3D4E5F6")


async def test_a_card_held_to_the_reader_is_announced_once_by_its_uid() -> None:
    bench = await make_bench("rtu", reader=True)
    try:
        drivers = await bench.start()
        seen: list[str] = []
        drivers.rfid.on_card(seen.append)
        peer = bench.rig.pn532
        assert peer is not None
        await drivers.poll()
        assert seen == [] and drivers.reader is not None and drivers.reader.fault is None
        peer.card = UID
        await drivers.poll()
        await drivers.poll()  # still in the field: not announced again
        assert seen == ["04A1B2C3D4E5F6"]
        peer.card = None
        await drivers.poll()
        peer.card = UID
        await drivers.poll()
        assert seen == ["04A1B2C3D4E5F6"] * 2

        # Unplugged: a ReaderFailure, logged; back: cards again, the reader woken anew.
        peer.silent = True
        peer.card = None
        await drivers.poll()
        assert drivers.reader.fault is not None and drivers.reader.fault.code == "ReaderFailure"
        peer.silent = False
        await drivers.poll()
        assert drivers.reader.fault is None
        peer.card = bytes.fromhex("11223344")
        await drivers.poll()
        assert seen[-1] == "11223344"
        # A frame with a broken checksum is a ReaderFailure too, never a crash.
        bench.rig.pairs[-1].mangle_a_to_b = lambda b: b[:-2] + bytes([b[-2] ^ 0x55]) + b[-1:]
        await drivers.poll()
        assert drivers.reader.fault is not None
    finally:
        if bench.drivers is not None:
            bench.drivers.close()
        await bench.rig.stop()


def test_pn532_frames_round_trip_and_bad_checksums_are_refused() -> None:
    frame = encode(PN532, b"\x4b\x01\x01\x00\x44\x00\x07" + UID)
    body = decode_after_start(frame[3:5], frame[5:])
    assert card_uid(body) == UID
    broken = bytearray(frame)
    broken[-2] ^= 1
    with pytest.raises(DeviceError):
        decode_after_start(bytes(broken[3:5]), bytes(broken[5:]))
    with pytest.raises(DeviceError):
        decode_after_start(b"\x05\x00", frame[5:])
    with pytest.raises(DeviceError):  # a card answer cut short
        card_uid(bytes([PN532, 0x4B, 1, 1, 0, 0x44, 0, 7]) + UID[:3])
