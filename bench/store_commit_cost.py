"""What the durable outbox costs per MeterValues: CPU and wall time of the charge point's store.

    .venv/bin/python bench/store_commit_cost.py [--count 500] [--dir /tmp]

Runs the store's part of one transaction MeterValues, as the charge point does it at 1 s
sampling: `queue_transaction_meter_values` (one SQLite transaction: outbox row and register),
then `outbox_head` and `outbox_delivered` (a second SQLite transaction), `--count` times, first
with the store's own `synchronous=FULL` (every COMMIT waits for fsync, DESIGN principle 5), then
with `synchronous=NORMAL` for comparison. It prints CPU (user + system) and wall milliseconds per
MeterValues. Compare the CPU figure with "CPU ms per MeterValues" of chargepoint_resources.py.
The payload is the one smartcharge sends by default (10 sampled values).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from smartcharge.chargepoint.hardware.ports import MeterReading
from smartcharge.chargepoint.metering import meter_value, sampled_values
from smartcharge.chargepoint.store import Store

MEASURANDS = [
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "Current.Offered",
    "SoC",
]


def payload() -> list[dict[str, object]]:
    reading = MeterReading(
        energy_import_wh=1234.0,
        energy_export_wh=0.0,
        power_w=11000.0,
        current_a=(15.9, 15.9, 15.9),
        voltage_v=(230.0, 230.0, 230.0),
        soc_percent=10.5,
    )
    values = sampled_values(
        reading, MEASURANDS, context="Sample.Periodic", offered_a=32.0, phases=3
    )
    return [meter_value(datetime.now(UTC), values)]


def per_meter_values(store: Store, local_id: int, count: int) -> tuple[float, float]:
    """CPU and wall milliseconds per MeterValues queued and delivered."""
    mv = payload()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(count):
        store.queue_transaction_meter_values(local_id, 1, mv, now=datetime.now(UTC), register_wh=i)
        item = store.outbox_head()
        assert item is not None
        store.outbox_delivered(item)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return 1000 * (cpu1 - cpu0) / count, 1000 * (wall1 - wall0) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        store = Store(Path(tmp) / "chargepoint.sqlite")
        local_id = store.start_transaction(
            connector_id=1, id_tag="BENCH", meter_start_wh=0, now=datetime.now(UTC)
        )
        while (item := store.outbox_head()) is not None:  # the StartTransaction
            store.outbox_delivered(item, transaction_id=1, status="Accepted")
        per_meter_values(store, local_id, 20)  # warm up
        full = per_meter_values(store, local_id, args.count)
        store._db.execute("PRAGMA synchronous=NORMAL")  # the comparison only; never in the store
        normal = per_meter_values(store, local_id, args.count)
        store.close()
    print(f"store work per MeterValues, {args.count} times, in {args.dir or tempfile.gettempdir()}")
    print(f"  synchronous=FULL (as shipped): CPU {full[0]:.3f} ms, wall {full[1]:.3f} ms")
    print(f"  synchronous=NORMAL           : CPU {normal[0]:.3f} ms, wall {normal[1]:.3f} ms")


if __name__ == "__main__":
    main()
