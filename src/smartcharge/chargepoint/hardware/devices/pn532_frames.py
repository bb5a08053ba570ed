"""PN532 host-controller frames (the UART / HSU link of NXP's PN532 user manual).

Normal information frame: `00 00 FF LEN LCS TFI PD0..PDn DCS 00`, LEN counting TFI and the data,
LCS making LEN + LCS = 0 (mod 256), DCS making TFI + data + DCS = 0; TFI is D4 from the host and D5
from the PN532, whose first data byte is the command code + 1. ACK: `00 00 FF 00 FF 00`. On HSU the
PN532 sleeps until woken by a long preamble of 0x55 and zeros.
"""

from __future__ import annotations

from smartcharge.chargepoint.hardware.devices.faults import READER_FAILURE, DeviceError

START = b"\x00\x00\xff"
ACK = b"\x00\x00\xff\x00\xff\x00"
WAKE_UP = b"\x55\x55" + b"\x00" * 14
HOST, PN532 = 0xD4, 0xD5
SAM_CONFIGURATION = 0x14
RF_CONFIGURATION = 0x32
IN_LIST_PASSIVE_TARGET = 0x4A


def encode(tfi: int, payload: bytes) -> bytes:
    body = bytes([tfi]) + payload
    length = len(body)
    return START + bytes([length, (-length) & 0xFF]) + body + bytes([(-sum(body)) & 0xFF, 0x00])


def decode_after_start(length_bytes: bytes, rest: bytes) -> bytes:
    """The TFI and data of a frame whose `00 00 FF` was read, from LEN/LCS and what follows
    (body, DCS, postamble). DeviceError(ReaderFailure) when a checksum does not hold."""
    length, lcs = length_bytes[0], length_bytes[1]
    if (length + lcs) & 0xFF or length == 0:
        raise DeviceError(READER_FAILURE, "the card reader's answer failed its length checksum")
    body, dcs = rest[:length], rest[length]
    if (sum(body) + dcs) & 0xFF:
        raise DeviceError(READER_FAILURE, "the card reader's answer failed its data checksum")
    return body


def card_uid(body: bytes) -> bytes | None:
    """The UID of the first card in an InListPassiveTarget answer (`D5 4B NbTg ...`), or None."""
    if len(body) < 3 or body[0] != PN532 or body[1] != IN_LIST_PASSIVE_TARGET + 1:
        raise DeviceError(READER_FAILURE, "the card reader answered another command")
    if body[2] == 0:
        return None
    # Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1
    if len(body) < 8 or body[7] not in (4, 7, 10) or len(body) < 8 + body[7]:
        raise DeviceError(READER_FAILURE, "the card reader sent a card answer of the wrong length")
    return bytes(body[8 : 8 + body[7]])
