"""Our charger as shipped (issue 16, item 6): only what its factory writes (identity, the central
system's address and root certificate, its provisioned credentials, the manufacturer's firmware
root, the support period and contact) and the simulated hardware; every other setting is the
charger's own default (security profile 2 included), the suite tunes nothing. It is judged by
the same checks as any charger:

- R22 the default maximum delay, R24 a plug-in delayed by it;
- R14, R15 the default hours outside peak, offered at first use;
- R28 its password, at first connection and after a hard reset;
- R29 an unsigned image (plain UpdateFirmware) not installed;
- R38 model, software, support period and contact for the owner (GetDeviceInfo).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.file_server import FileServer
from smartcharge.compliance.firmware_images import FirmwareImage
from smartcharge.compliance.scenarios.announce import draws_in_words, plug_ins
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    get_config,
)
from smartcharge.compliance.scenarios.credentials import information, passwords
from smartcharge.compliance.scenarios.firmware import FirmwareLog, judge_unsigned
from smartcharge.compliance.scenarios.offpeak import offer
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.compliance.tls import make_ca, server_context

REQUIREMENTS = ("R14", "R15", "R22", "R24", "R28", "R29", "R38")


async def _delay(r22: Recorder, r24: Recorder, ch: Charger) -> None:
    default = await get_config(ch, "RandomisedDelayMaxSeconds")
    r22.check(
        "as shipped: the default maximum is 600 s",
        default == "600",
        f"RandomisedDelayMaxSeconds={default}",
    )
    # A 0 s draw is legitimate (1 in 601): the car is plugged in again, as random_delay does.
    plugs, _, _ = await plug_ins(ch, 1)
    drawn = [d for d in plugs if d is not None]
    name = "as shipped: plug-in with charging allowed is delayed"
    if plugs[-1] is None:
        zeros = f" (after {len(drawn)} plug-ins that drew 0 s)" if drawn else ""
        r24.cannot(name, "no delay announced and no current offered" + zeros)
    else:
        r24.check(
            name,
            drawn[-1] > 0,
            f"announced: {draws_in_words(drawn, 600)}"
            if drawn[-1]
            else f"32 A offered at once, no delay announced, {len(drawn)} plug-ins in a row",
        )


async def _unsigned(r29: Recorder, ch: Charger) -> None:
    model = str(ch.csms.received(ch.identity, "BootNotification")[-1].payload["chargePointModel"])
    server = await FileServer().start(ch.csms.links[ch.identity].local_host, ch.csms.ssl_context)
    log = FirmwareLog()
    try:
        await log.start(ch)
        image = FirmwareImage(make_image("99.0-unsigned", model), "99.0-unsigned")
        await judge_unsigned(r29, ch, server, image, log)
    finally:
        await server.stop()


async def _as_shipped(ctx: Context) -> None:
    recs = {r: ctx.rec(r) for r in REQUIREMENTS}
    with tempfile.TemporaryDirectory(prefix="compliance-shipped-") as tmp:
        # Shipped at its default security profile (2: TLS): the installer gives it the central
        # system's address and root certificate, which its file transfers trust too.
        ca_file, ca_key, ca_cert = make_ca(Path(tmp), "installer-ca")
        secure = CentralSystem(ssl_context=server_context(Path(tmp), ca_key, ca_cert))
        await secure.start()
        ctx.extra_csms.append(secure)
        spec = ChargerSpec(
            start=SATURDAY_NOON_UK,
            speed=20,
            shipped=True,
            ca_file=ca_file,
            extra={"security": {"transfer_ca_file": str(ca_file)}},
        )
        ch = await ctx.charger(spec, secure)
        await offer(ch, ctx)  # R14, R15's offer: a charger fresh from the factory
        await passwords(recs["R28"], ch)
        await information(recs["R38"], ch)
        await _unsigned(recs["R29"], ch)
        await _delay(recs["R22"], recs["R24"], ch)
    for rec in recs.values():
        rec.done()


SCENARIOS = (
    Scenario(
        "as_shipped",
        "Our charger as shipped (its defaults, nothing tuned)",
        REQUIREMENTS,
        _as_shipped,
        ours_only=True,
    ),
)
