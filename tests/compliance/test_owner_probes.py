"""R33's owner-API probes can fail: against a server that still speaks TLS 1.0/1.1, or answers
plain HTTP, they report it; against a TLS 1.2+ server they see the refusal and the certificate;
against a server that accepts the connection and says nothing they see no evidence either way
(never a refusal). R38's check wants all four pieces of device information."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import warnings
from collections.abc import AsyncIterator

import pytest
import trustme

from smartcharge.compliance.owner_client import probe_plain_http, probe_tls
from smartcharge.compliance.scenarios.credentials import device_info_complete


async def _serve(ctx: ssl.SSLContext | None) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if await reader.readline():
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    return server, server.sockets[0].getsockname()[1]


def _context(ca: trustme.CA, minimum: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = minimum
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


async def _silent() -> tuple[asyncio.Server, int]:
    """Accepts connections, reads what comes and never answers: a charger starved of CPU, or
    one that holds a connection it will not serve."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(4096):
                pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def servers() -> AsyncIterator[dict[str, int]]:
    ca = trustme.CA()
    started = {
        "old": await _serve(_context(ca, ssl.TLSVersion.TLSv1)),
        "modern": await _serve(_context(ca, ssl.TLSVersion.TLSv1_2)),
        "plain": await _serve(None),
        "silent": await _silent(),
    }
    yield {name: port for name, (_, port) in started.items()}
    for server, _ in started.values():
        server.close()


async def test_old_tls_accepted_is_seen(servers: dict[str, int]) -> None:
    probe = await probe_tls("127.0.0.1", servers["old"], ssl.TLSVersion.TLSv1_1)
    if probe.unsupported_here:
        pytest.fail(f"this machine's OpenSSL cannot offer TLS 1.1: {probe.refused}")
    assert probe.version == "TLSv1.1" and probe.refused is None


async def test_old_tls_refused_by_a_modern_server(servers: dict[str, int]) -> None:
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        probe = await probe_tls("127.0.0.1", servers["modern"], version)
        assert probe.version is None and probe.refused and not probe.unsupported_here
    modern = await probe_tls("127.0.0.1", servers["modern"], None)
    assert modern.version in ("TLSv1.2", "TLSv1.3") and modern.peer_cert_sha256


async def test_plain_http(servers: dict[str, int]) -> None:
    answered = await probe_plain_http("127.0.0.1", servers["plain"])
    assert answered.answered is True and answered.seen == "HTTP/1.1 200 OK"
    # A TLS server closes on bytes that are not a handshake: the refusal is seen, not waited for.
    refused = await probe_plain_http("127.0.0.1", servers["modern"])
    assert refused.answered is False, refused


async def test_a_silent_server_is_no_evidence(servers: dict[str, int]) -> None:
    # The wait is short because this server never answers, however long it is given.
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, None):
        probe = await probe_tls("127.0.0.1", servers["silent"], version, wait=0.5)
        assert probe.silent and probe.version is None and probe.refused, probe
    plain = await probe_plain_http("127.0.0.1", servers["silent"], wait=0.5)
    assert plain.answered is None and plain.seen, plain


def test_device_info_needs_all_four() -> None:
    full = {
        "model": "M",
        "firmwareVersion": "1.0",
        "supportUntil": "2031-12-31",
        "vulnerabilityContact": "security@example.com",
    }
    assert device_info_complete(full, "M", "1.0")[0]
    for key, bad in (
        ("supportUntil", None),
        ("supportUntil", "end of 2031"),
        ("vulnerabilityContact", None),
        ("vulnerabilityContact", " "),
        ("model", "other"),
        ("firmwareVersion", None),
    ):
        ok, why = device_info_complete({**full, key: bad}, "M", "1.0")
        assert not ok and why, (key, bad)
