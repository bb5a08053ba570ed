"""The benchmark's baseline: the least a charge point can do with the `ocpp` package.

A minimal OCPP 1.6J charge point built from the `ocpp` package's own `ocpp.v16.ChargePoint` and
`websockets`, as its README shows. It boots, reports both connectors, starts one transaction on
each, then sends one MeterValues per connector per simulated second, with the measurands
smartcharge sends by default (Energy.Active.Import.Register, Power.Active.Import, Current.Import
L1..L3, Voltage L1-N..L3-N, Current.Offered, SoC). There is no persistence, no simulator, no
safety logic, no configuration: just the protocol work, to compare smartcharge's cost against.

    python bench/baseline_ocpp_cp.py --url ws://127.0.0.1:9000/ocpp --identity BASE --speed 10

It runs until killed. `chargepoint_resources.py` starts it and measures it.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

import websockets
from ocpp.v16 import ChargePoint, call
from ocpp.v16.datatypes import MeterValue, SampledValue
from ocpp.v16.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    UnitOfMeasure,
    ValueFormat,
)

CONNECTORS = (1, 2)
POWER_W = 11_000.0  # what the benchmark's EVs draw: 11 kW over three phases at 230 V
VOLTAGE_V = 230.0
BATTERY_WH = 100_000.0
START_SOC = 10.0
OFFERED_A = 32.0  # smartcharge offers the installation limit, max_current_a = 32


def _sv(value: str, measurand: Measurand, unit: UnitOfMeasure, **extra: object) -> SampledValue:
    return SampledValue(
        value=value,
        context=ReadingContext.sample_periodic,
        format=ValueFormat.raw,
        measurand=measurand,
        location=extra.pop("location", Location.outlet),  # type: ignore[arg-type]
        unit=unit,
        **extra,  # type: ignore[arg-type]
    )


def sampled_values(energy_wh: float, offered_a: float) -> list[SampledValue]:
    """The same measurands, units and formatting as smartcharge's default sampled data."""
    current = POWER_W / 3 / VOLTAGE_V
    soc = START_SOC + 100.0 * energy_wh / BATTERY_WH
    return [
        _sv(f"{energy_wh:.0f}", Measurand.energy_active_import_register, UnitOfMeasure.wh),
        _sv(f"{POWER_W:.0f}", Measurand.power_active_import, UnitOfMeasure.w),
        *(
            _sv(f"{current:.1f}", Measurand.current_import, UnitOfMeasure.a, phase=ph)
            for ph in (Phase.l1, Phase.l2, Phase.l3)
        ),
        *(
            _sv(f"{VOLTAGE_V:.1f}", Measurand.voltage, UnitOfMeasure.v, phase=ph)
            for ph in (Phase.l1_n, Phase.l2_n, Phase.l3_n)
        ),
        _sv(f"{offered_a:.1f}", Measurand.current_offered, UnitOfMeasure.a),
        _sv(f"{soc:.1f}", Measurand.soc, UnitOfMeasure.percent, location=Location.ev),
    ]


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


async def drive(cp: ChargePoint, speed: float) -> None:
    loop = asyncio.get_running_loop()
    real0 = loop.time()
    start = datetime.now(UTC)

    def now() -> datetime:  # simulated time, as smartcharge's SimulatedClock keeps it
        return start + timedelta(seconds=(loop.time() - real0) * speed)

    await cp.call(
        call.BootNotification(charge_point_model="baseline", charge_point_vendor="ocpp-pkg")
    )
    transactions: dict[int, int] = {}
    for n in CONNECTORS:
        await cp.call(
            call.StatusNotification(
                connector_id=n,
                error_code=ChargePointErrorCode.no_error,
                status=ChargePointStatus.charging,
                timestamp=_iso(now()),
            )
        )
        result = await cp.call(
            call.StartTransaction(
                connector_id=n, id_tag=f"B{n}", meter_start=0, timestamp=_iso(now())
            )
        )
        transactions[n] = result.transaction_id
    # One MeterValues per connector per simulated second, on a fixed schedule (no drift).
    tick = 0
    while True:
        tick += 1
        await asyncio.sleep(max(0.0, real0 + tick / speed - loop.time()))
        stamp = now()
        energy_wh = POWER_W * (stamp - start).total_seconds() / 3600
        for n in CONNECTORS:
            await cp.call(
                call.MeterValues(
                    connector_id=n,
                    transaction_id=transactions[n],
                    meter_value=[MeterValue(_iso(stamp), sampled_values(energy_wh, OFFERED_A))],
                )
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="central system URL, without the identity")
    parser.add_argument("--identity", default="BASELINE")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated s per real s")
    args = parser.parse_args()
    async with websockets.connect(
        f"{args.url.rstrip('/')}/{args.identity}", subprotocols=["ocpp1.6"]
    ) as ws:
        cp = ChargePoint(args.identity, ws)
        await asyncio.gather(cp.start(), drive(cp, args.speed))


if __name__ == "__main__":
    asyncio.run(main())
