"""Encrypted communication: R33.

OCPP over wss with TLS 1.2 or later (the version the charger negotiated), and a central system
whose certificate the charger cannot validate is refused. That refusal is judged on what the
charger did: the suite counts the TLS handshakes it starts while the suite presents a certificate
from an unknown CA; a charger that tried (at least twice, or once and then came back to the
right certificate) and never got a websocket through refused it. One that made no attempt in
the wait is "not run", never a pass. The local owner interface is probed for TLS 1.2+ only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import tempfile
from pathlib import Path

import aiohttp

from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.owner_client import (
    OwnerApiError,
    cert_sha256,
    probe_plain_http,
    probe_tls,
)
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
)
from smartcharge.compliance.target import Charger, ChargerSpec, TargetError
from smartcharge.compliance.tls import make_ca, server_context

# Generous: each wait ends as soon as the charger has shown what it does.
STRANGER_WAIT_S = 60.0
RECONNECT_WAIT_S = 180.0  # a real charger may back off for minutes before it reconnects
REFUSED = "a central system whose certificate the charger cannot validate is refused"


async def _tls(ctx: Context) -> None:
    r33 = ctx.rec("R33")
    with tempfile.TemporaryDirectory(prefix="compliance-tls-") as tmp:
        folder = Path(tmp)
        ca_file, ca_key, ca_cert = make_ca(folder, "suite-ca")
        other_ca, _, _ = make_ca(folder / "other", "stranger-ca")
        secure = CentralSystem(ssl_context=server_context(folder, ca_key, ca_cert))
        await secure.start()
        ctx.extra_csms.append(secure)
        ch = await ctx.charger(
            ChargerSpec(
                start=SATURDAY_NOON_UK, speed=20, profile=2, ca_file=ca_file, owner_api=True
            ),
            secure,
        )
        version = (secure.tls_versions.get(ch.identity) or [None])[-1]
        r33.check(
            "OCPP over wss with TLS 1.2 or later",
            version in ("TLSv1.2", "TLSv1.3"),
            f"negotiated {version}",
        )
        # A charger trusting only another CA, on a central system of its own (the same
        # certificate as `secure`), so that every handshake counted there is its.
        alone = CentralSystem(ssl_context=server_context(folder, ca_key, ca_cert))
        await alone.start()
        ctx.extra_csms.append(alone)
        spec = ChargerSpec(
            start=SATURDAY_NOON_UK,
            speed=20,
            profile=2,
            ca_file=other_ca,
            boot_timeout=STRANGER_WAIT_S,
        )
        starting = asyncio.ensure_future(ctx.charger(spec, alone))
        await alone.wait_for(lambda: bool(alone.links) or alone.handshakes >= 2, STRANGER_WAIT_S)
        if alone.links:
            r33.check(REFUSED, False, "it connected although it trusts only another CA")
        elif alone.handshakes >= 2:
            r33.check(
                REFUSED,
                True,
                f"{alone.handshakes} TLS handshakes with a certificate from a CA it does not"
                " trust, none became a connection",
            )
        else:
            r33.cannot(REFUSED, f"the charger made no TLS attempt in {STRANGER_WAIT_S:.0f} s")
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError, TargetError):
            await starting
        await _owner_api_https(r33, ch)
    r33.done()


async def _tls_ocpp(ctx: Context) -> None:
    r33 = ctx.rec("R33")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=2))
    version = (ctx.csms.tls_versions.get(ch.identity) or [None])[-1]
    if ctx.csms.ssl_context is None:
        why = (
            "the suite listened without TLS: give --tls-cert and --tls-key (a certificate the"
            " charger trusts) to test wss"
        )
        r33.cannot("OCPP over wss with TLS 1.2 or later", why)
        r33.cannot(REFUSED, why)
    else:
        r33.check(
            "OCPP over wss with TLS 1.2 or later",
            version in ("TLSv1.2", "TLSv1.3"),
            f"negotiated {version}",
        )
        await _stranger_refused(r33, ctx.csms, ch)
    await _owner_api_https(r33, ch)
    r33.done()


async def _stranger_refused(rec: Recorder, csms: CentralSystem, ch: Charger) -> None:
    """The suite presents a certificate from a CA the charger cannot know and drops the
    connection: the charger tries, and gets no connection until the right certificate is back."""
    with tempfile.TemporaryDirectory(prefix="compliance-tls-") as tmp:
        _, key, cert = make_ca(Path(tmp), "stranger-ca")
        stranger = server_context(Path(tmp), key, cert)
    csms.present(stranger)
    try:
        await csms.disconnect(ch.identity)
        tried = csms.handshakes
        await csms.wait_for(
            lambda: ch.identity in csms.links or csms.handshakes - tried >= 2, STRANGER_WAIT_S
        )
        attempts = csms.handshakes - tried
        connected = ch.identity in csms.links
    finally:
        csms.present(None)
    if connected:
        rec.check(REFUSED, False, "it connected to the suite presenting another CA's certificate")
        return
    back = await csms.wait_connected(ch.identity, RECONNECT_WAIT_S)
    if attempts >= 2 or (attempts == 1 and back):
        rec.check(
            REFUSED,
            True,
            f"{attempts} TLS handshake(s) while the suite presented a certificate from an"
            " unknown CA, none became a connection; "
            + ("back with the right one" if back else "not back afterwards"),
        )
    else:
        rec.cannot(REFUSED, f"the charger made no TLS attempt in {STRANGER_WAIT_S:.0f} s")
    if not back:
        raise ScenarioAborted(f"the charger did not reconnect in {RECONNECT_WAIT_S:.0f} s")


async def _owner_api_https(rec: Recorder, ch: Charger) -> None:
    """R33, the local side: the owner API speaks TLS 1.2+ only, with the charger's certificate
    (ours: the file it made; a charger under test: its local interface given by --local-https,
    whose certificate fingerprint the report shows for comparison with the label)."""
    owner = ch.owner
    if owner is not None:
        host, port = owner.host, owner.port
        own = cert_sha256(owner.cert_file) if owner.cert_file.is_file() else None
    elif ch.local_https is not None:
        (host, port), own = ch.local_https, None
    else:
        rec.cannot(
            "HTTPS for the local owner API",
            "the suite does not know this charger's local interface: give it with --local-https"
            " HOST:PORT, or probe it by hand with `openssl s_client -tls1_1` and plain HTTP",
        )
        return
    modern = await probe_tls(host, port, None)
    name = "owner API: TLS 1.2 or later, presenting the charger's own certificate"
    if modern.silent:
        rec.cannot(name, f"no evidence: {modern.refused}")
    else:
        rec.check(
            name,
            modern.version in ("TLSv1.2", "TLSv1.3")
            and modern.peer_cert_sha256 is not None
            and (own is None or modern.peer_cert_sha256 == own),
            f"negotiated {modern.version or modern.refused}; certificate SHA-256"
            f" {modern.peer_cert_sha256}"
            + (
                f" (the charger's file: {own})"
                if owner is not None
                else " (compare with the label)"
            ),
        )
    # A refusal is the charger's answer to the old version (an alert, the connection closed or
    # reset); a probe that got no answer in its wait shows nothing and is "not run".
    for label, version in (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1)):
        old = await probe_tls(host, port, version)
        name = f"owner API: {label} refused"
        if old.unsupported_here:
            rec.cannot(name, f"the suite cannot offer {label}: {old.refused}")
        elif old.silent:
            rec.cannot(name, f"no evidence: {old.refused}")
        else:
            rec.check(
                name,
                old.version is None,
                f"refused: {old.refused}" if old.version is None else f"accepted {old.version}",
            )
    plain = await probe_plain_http(host, port)
    name = "owner API: plain HTTP is not answered"
    if plain.answered is None:
        rec.cannot(name, f"no evidence: {plain.seen}")
    else:
        rec.check(
            name,
            not plain.answered,
            f"answered in clear: {plain.seen}" if plain.answered else f"refused: {plain.seen}",
        )
    if owner is None:
        return
    try:
        setup = await owner.request("GET", "/setup")
        rec.check(
            "owner API: answers over HTTPS verified against the charger's certificate",
            "passwordSet" in setup,
            f"GET /api/setup: {setup}",
        )
    except (OwnerApiError, aiohttp.ClientError) as exc:
        rec.check(
            "owner API: answers over HTTPS verified against the charger's certificate",
            False,
            f"{type(exc).__name__}: {exc}",
        )


SCENARIOS = (Scenario("tls", "Encrypted communication", ("R33",), _tls, ocpp_only=_tls_ocpp),)
