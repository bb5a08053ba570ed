"""An initramfs: a cpio archive in the kernel's "newc" format (the layout the kernel unpacks at
boot, documented in the kernel's Documentation/driver-api/early-userspace/buffer-format.rst)."""

from __future__ import annotations

import stat
from typing import NamedTuple


class Entry(NamedTuple):
    name: str
    mode: int
    data: bytes


def folder(name: str) -> Entry:
    return Entry(name, stat.S_IFDIR | 0o755, b"")


def file(name: str, data: bytes, mode: int = 0o644) -> Entry:
    return Entry(name, stat.S_IFREG | mode, data)


def link(name: str, target: str) -> Entry:
    return Entry(name, stat.S_IFLNK | 0o777, target.encode())


def newc(entries: list[Entry]) -> bytes:
    """Every header is 13 eight-digit hex fields after the magic; names and data are padded to
    four bytes; the archive ends with the entry named TRAILER!!!."""
    out = bytearray()
    for inode, (name, mode, data) in enumerate([*entries, Entry("TRAILER!!!", 0, b"")], 1):
        encoded = name.encode() + b"\0"
        # inode, mode, uid, gid, nlink, mtime, size, dev major/minor, rdev major/minor, namesize,
        # check
        fields = (inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        out += b"070701" + "".join(f"{v:08x}" for v in fields).encode() + encoded
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)
