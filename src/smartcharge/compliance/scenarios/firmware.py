"""Secure software updates: R29.

Three attempts, each judged on the charger's own terminal outcome, never on a wait running out:

- SignedUpdateFirmware of an image signed by an unknown signer: refused when the charger answers
  InvalidCertificate (or RevokedCertificate), or accepts and then reports InvalidSignature
  (SignedFirmwareStatusNotification), and notifies the security event of it; installed when it
  reports SignatureVerified / Installing / InstallRebooting / Installed for it, or boots the
  image's version. Neither within the wait: "not run", with what was seen.
- UpdateFirmware (OCPP 1.6, unsigned): refused when the call is refused (CALLERROR) or the
  charger reports InstallationFailed with an InvalidFirmwareSignature security event; installed
  when it reports Installed or boots the image's version.
- SignedUpdateFirmware of an image signed by the manufacturer: installs (the version booted).

Against our charger the suite plays the manufacturer and makes the images (smartcharge format).
Against another make, `--firmware-signed/-unsigned/-foreign-signer` give the charger's own
images (compliance/firmware_images.py); without them the attempt is "not run".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.compliance.file_server import FileServer
from smartcharge.compliance.firmware_images import FirmwareImage, rogue_signature
from smartcharge.compliance.scenarios import security_log
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    call_status,
)
from smartcharge.compliance.scenarios.charger_clock import charger_now
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.manufacturer import keys, signing

# How long the charger may take to download, check and install (or refuse) an image. Generous:
# the wait ends at the charger's first terminal status; only a silent charger waits it out.
OUTCOME_WAIT_S = 120.0
REFUSED_SIGNED = ("InvalidSignature", "InvalidCertificate", "RevokedCertificate")
INSTALLING = ("SignatureVerified", "Installing", "InstallRebooting", "Installed")
FIRMWARE_EVENTS = ("InvalidFirmwareSignature", "InvalidFirmwareSigningCertificate")
ROGUE = "an image signed by an unknown signer is refused"
UNSIGNED = "UpdateFirmware: an unsigned image is not installed"
SIGNED = "SignedUpdateFirmware: an image signed by the manufacturer installs"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _Watch:
    """What the charger reported since the watch began."""

    def __init__(self, ch: Charger) -> None:
        self.ch = ch
        self.boots = len(ch.csms.received(ch.identity, "BootNotification"))
        self.signed = len(ch.csms.received(ch.identity, "SignedFirmwareStatusNotification"))
        self.plain = len(ch.csms.received(ch.identity, "FirmwareStatusNotification"))
        self.events = len(ch.csms.received(ch.identity, "SecurityEventNotification"))

    def booted(self, version: str | None) -> bool:
        boots = self.ch.csms.received(self.ch.identity, "BootNotification")[self.boots :]
        return version is not None and any(
            b.payload.get("firmwareVersion") == version for b in boots
        )

    def signed_statuses(self, request_id: int) -> list[str]:
        got = self.ch.csms.received(self.ch.identity, "SignedFirmwareStatusNotification")
        return [
            str(m.payload.get("status"))
            for m in got[self.signed :]
            if m.payload.get("requestId") in (request_id, None)
        ]

    def plain_statuses(self) -> list[str]:
        got = self.ch.csms.received(self.ch.identity, "FirmwareStatusNotification")[self.plain :]
        return [str(m.payload.get("status")) for m in got]

    def event(self) -> str | None:
        got = self.ch.csms.received(self.ch.identity, "SecurityEventNotification")[self.events :]
        kinds = [str(m.payload.get("type")) for m in got]
        return next((k for k in kinds if k in FIRMWARE_EVENTS), None)

    async def until(self, decided: Callable[[], bool]) -> None:
        await self.ch.csms.wait_for(decided, OUTCOME_WAIT_S)


class FirmwareLog:
    """The charger's exported security log, read before and after each attempt: a firmware
    event it logged without notifying it (the whitepaper pushes only critical events) shows
    there as one more line of its kind."""

    def __init__(self) -> None:
        self.counts: dict[str, int] | None = None

    async def read(self, ch: Charger) -> dict[str, int] | None:
        got = await security_log.export(ch)
        if got.text is None:
            return None
        return {k: got.count(k) for k in FIRMWARE_EVENTS}

    async def start(self, ch: Charger) -> None:
        self.counts = await self.read(ch)

    async def grew(self, ch: Charger) -> str | None:
        """The firmware event logged since the last read, if any (and read again)."""
        before, now = self.counts, await self.read(ch)
        self.counts = now
        if before is None or now is None:
            return None
        return next((k for k in FIRMWARE_EVENTS if now[k] > before[k]), None)

    async def event(self, ch: Charger, watch: _Watch) -> str | None:
        """The security event of a refusal: notified, or else in the exported log."""
        notified = watch.event()
        logged = await self.grew(ch)
        if notified or watch.event():
            return f"notified {notified or watch.event()}"
        return f"{logged} in the exported security log" if logged else None


async def _judge_signed(
    rec: Recorder,
    ch: Charger,
    name: str,
    answer: str,
    watch: _Watch,
    rid: int,
    version: str | None,
    log: FirmwareLog,
) -> None:
    """A SignedUpdateFirmware that must be refused: the verdict from the charger's outcome."""
    if answer.startswith("CALLERROR"):
        rec.check(name, False, f"{answer}: the charger has no signed (verified) update path")
        return

    def installing() -> list[str]:
        return [s for s in watch.signed_statuses(rid) if s in INSTALLING]

    def refused() -> str | None:
        if answer in REFUSED_SIGNED:
            return f"answered {answer}"
        bad = [s for s in watch.signed_statuses(rid) if s in REFUSED_SIGNED]
        return f"Accepted, then {bad[0]}" if bad else None

    def decided() -> bool:
        return bool(installing() or watch.booted(version) or refused())

    if answer == "Accepted":
        await watch.until(decided)
    seen = f"answered {answer}; statuses {watch.signed_statuses(rid) or 'none'}"
    if installing() or watch.booted(version):
        # Let it finish (reboot into the image) before anything else is asked of it.
        await watch.until(lambda: watch.booted(version) or "Installed" in installing())
        booted = f"; booted {version}" if watch.booted(version) else ""
        rec.check(name, False, f"the unverified image was installed: {seen}{booted}")
    elif refused():
        event = await log.event(ch, watch)
        if event:
            rec.check(name, True, f"{refused()}; security event {event}")
        else:
            rec.cannot(
                name,
                f"{refused()}, but no security event ({', '.join(FIRMWARE_EVENTS)}), neither"
                " notified nor in the exported log, to show the refusal was for the signature",
            )
    else:
        rec.cannot(name, f"no terminal outcome in {OUTCOME_WAIT_S:.0f} s: {seen}")


async def judge_unsigned(
    rec: Recorder, ch: Charger, server: FileServer, image: FirmwareImage, log: FirmwareLog
) -> None:
    watch = _Watch(ch)
    server.files["unsigned.bin"] = image.data
    answer = await call_status(
        ch,
        "UpdateFirmware",
        {
            "location": server.url("unsigned.bin"),
            "retrieveDate": _iso(charger_now(ch)),
            "retries": 1,
        },
    )
    if answer.startswith("CALLERROR"):
        rec.check(UNSIGNED, True, f"UpdateFirmware refused: {answer}")
        return

    def installed() -> bool:
        return "Installed" in watch.plain_statuses() or watch.booted(image.version)

    def refused() -> bool:
        return "InstallationFailed" in watch.plain_statuses()

    await watch.until(lambda: installed() or refused())
    seen = f"statuses {watch.plain_statuses() or 'none'}"
    event = await log.event(ch, watch) if refused() and not installed() else None
    if installed():
        rec.check(UNSIGNED, False, f"the unsigned image was installed: {seen}")
    elif event:
        rec.check(UNSIGNED, True, f"not installed: {seen}; security event {event}")
    else:
        rec.cannot(
            UNSIGNED,
            f"neither installed nor refused for its signature in {OUTCOME_WAIT_S:.0f} s: {seen},"
            " no InvalidFirmwareSignature security event",
        )


async def _send_signed(
    ch: Charger, server: FileServer, name: str, image: bytes, sig: signing.Signature, rid: int
) -> tuple[str, _Watch]:
    """Serve `image` and send SignedUpdateFirmware for it: (answer, what to watch)."""
    server.files[name] = image
    watch = _Watch(ch)
    firmware = sig.ocpp_firmware(server.url(name), _iso(charger_now(ch)))
    answer = await call_status(ch, "SignedUpdateFirmware", {"requestId": rid, "firmware": firmware})
    return answer, watch


async def _rogue(
    rec: Recorder,
    ch: Charger,
    server: FileServer,
    image: FirmwareImage,
    sig: signing.Signature,
    log: FirmwareLog,
) -> None:
    answer, watch = await _send_signed(ch, server, "rogue.bin", image.data, sig, 1)
    name = f"SignedUpdateFirmware: {ROGUE}"
    await _judge_signed(rec, ch, name, answer, watch, 1, image.version, log)


async def _signed_installs(rec: Recorder, ch: Charger, server: FileServer, model: str) -> None:
    """The positive case: an image signed by the manufacturer the charger trusts installs."""
    maker = ch.manufacturer
    if maker is None:
        rec.cannot(SIGNED, "the suite does not hold the signing key of this charger's manufacturer")
        return
    image = make_image("99.2-signed", model)
    key = keys.load_private_key(maker.signing_key.read_bytes())
    sig = signing.sign(image, key, maker.signing_cert.read_bytes())
    answer, watch = await _send_signed(ch, server, "signed.bin", image, sig, 3)
    failed = ("InvalidSignature", "InstallationFailed", "InstallVerificationFailed")

    def refused() -> bool:
        return any(s in failed for s in watch.signed_statuses(3))

    if answer == "Accepted":
        await watch.until(lambda: watch.booted("99.2-signed") or refused())
    seen = f"{answer}; statuses {watch.signed_statuses(3) or 'none'}"
    if watch.booted("99.2-signed"):
        rec.check(SIGNED, True, f"{seen}; installed and booted 99.2-signed")
    elif answer != "Accepted" or refused():
        rec.check(SIGNED, False, f"{seen}; not installed")
    else:
        rec.cannot(SIGNED, f"{seen}; no boot of the new version in {OUTCOME_WAIT_S:.0f} s")


def _model(ch: Charger) -> str:
    return str(ch.csms.received(ch.identity, "BootNotification")[-1].payload["chargePointModel"])


async def _firmware(ctx: Context) -> None:
    r29 = ctx.rec("R29")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20))
    model = _model(ch)
    server = await FileServer().start()
    log = FirmwareLog()
    try:
        await log.start(ch)
        rogue = FirmwareImage(make_image("99.1-rogue-signature", model), "99.1-rogue-signature")
        await _rogue(r29, ch, server, rogue, rogue_signature(rogue.data, charger_now(ch)), log)
        unsigned = FirmwareImage(make_image("99.0-unsigned", model), "99.0-unsigned")
        await judge_unsigned(r29, ch, server, unsigned, log)
        await _signed_installs(r29, ch, server, model)
    finally:
        await server.stop()
    r29.done()


async def _firmware_ocpp(ctx: Context) -> None:
    r29 = ctx.rec("R29")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20))
    images = ch.firmware
    server = await FileServer().start(ch.csms.links[ch.identity].local_host, ch.csms.ssl_context)
    log = FirmwareLog()
    try:
        await log.start(ch)
        foreign = images.foreign_signer if images is not None else None
        if foreign is None:
            r29.cannot(
                f"SignedUpdateFirmware: {ROGUE}",
                "give the charger's own image with --firmware-foreign-signer (or --firmware-signed,"
                " which the suite then signs with a key of its own)",
            )
        else:
            await _rogue(r29, ch, server, foreign[0], foreign[1], log)
        if images is None or images.unsigned is None:
            r29.cannot(
                UNSIGNED,
                "give an unsigned image of this charger's own format with --firmware-unsigned"
                " (the suite's own test images would be refused for their format alone)",
            )
        else:
            await judge_unsigned(r29, ch, server, images.unsigned, log)
        if images is None or images.signed is None:
            r29.cannot(SIGNED, "give the manufacturer's signed image with --firmware-signed")
        else:
            image, sig = images.signed
            answer, watch = await _send_signed(ch, server, "signed.bin", image.data, sig, 3)
            await _judge_installs(r29, answer, watch, image)
    finally:
        await server.stop()
    r29.done()


async def _judge_installs(rec: Recorder, answer: str, watch: _Watch, image: FirmwareImage) -> None:
    """A charger of another make: its manufacturer's image installs (Installed, or its
    version booted when the file says which)."""

    def done() -> bool:
        statuses = watch.signed_statuses(3)
        return (
            "Installed" in statuses
            or watch.booted(image.version)
            or any(
                s in statuses for s in ("InvalidSignature", "InstallationFailed", "DownloadFailed")
            )
        )

    if answer == "Accepted":
        await watch.until(done)
    statuses = watch.signed_statuses(3)
    seen = f"{answer}; statuses {statuses or 'none'}"
    if "Installed" in statuses or watch.booted(image.version):
        rec.check(SIGNED, True, f"{seen}; installed")
    elif answer != "Accepted" or done():
        rec.check(SIGNED, False, f"{seen}; not installed")
    else:
        rec.cannot(SIGNED, f"{seen}; no terminal status in {OUTCOME_WAIT_S:.0f} s")


SCENARIOS = (
    Scenario("firmware", "Secure software updates", ("R29",), _firmware, ocpp_only=_firmware_ocpp),
)
