"""`smartcharge compliance run`: run the suite with a Rich progress bar, write the evidence,
`results.json` and the technical file, print a table of outcomes.

Exit status: 0 when every requirement passed or is declared (manual, not applicable), 1 when any
failed or did not run, 2 for bad arguments.
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcharge.compliance import firmware_images
from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.dsr_agreement import DsrAgreement
from smartcharge.compliance.results import Outcome
from smartcharge.compliance.runner import Run, run_suite
from smartcharge.compliance.target import ListenTarget, SimulatedTarget, Target
from smartcharge.compliance.technical_file import product as declarations
from smartcharge.compliance.technical_file import render

STYLE = {
    Outcome.PASS: "green",
    Outcome.FAIL: "bold red",
    Outcome.NOT_RUN: "yellow",
    Outcome.NOT_APPLICABLE: "dim",
    Outcome.MANUAL: "cyan",
}


def parse_listen(text: str, option: str = "--listen") -> tuple[str, int]:
    """'HOST:PORT' (IPv6 as [::1]:PORT) to (host, port); ValueError naming what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{option} must be HOST:PORT with a port 1..65535, not {text!r}")
    return host.strip("[]"), int(port)


async def _run(
    target: Target,
    out: Path,
    fast: bool,
    csms: CentralSystem | None,
    agreement: DsrAgreement | None,
    console: Console,
    declaration: declarations.Declaration | None,
) -> Run:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("starting", total=None)

        def progress(title: str, done: int, total: int) -> None:
            bar.update(task, description=title, completed=done, total=total)

        return await run_suite(
            target,
            out,
            fast=fast,
            csms=csms,
            dsr_agreement=agreement,
            progress=progress,
            declaration=declaration,
        )


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The listening central system's TLS (TLS 1.2+), or None; ValueError naming what is wrong."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ValueError("--tls-cert and --tls-key go together")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"--tls-cert/--tls-key: cannot load {cert} with {key}: {exc}") from None
    return ctx


@dataclass(frozen=True)
class ListenOptions:
    """What only `--listen` takes: the suite's TLS, the charger's local interface, its own
    firmware images (R29), and whether a charging session is measured."""

    tls: tuple[Path | None, Path | None] = (None, None)
    local_https: str | None = None
    firmware: tuple[Path | None, Path | None, Path | None] = (None, None, None)
    session: bool = False

    @property
    def given(self) -> bool:
        return self != ListenOptions()


def main(
    target: str | None,
    listen: str | None,
    out: Path,
    fast: bool,
    agreement: DsrAgreement | None,
    options: ListenOptions | None = None,
    product: Path | None = None,
    charger_command: list[str] | None = None,
) -> int:
    console = Console(stderr=True)
    options = options or ListenOptions()
    if (target is None) == (listen is None):
        console.print("[red]error: give exactly one of --target simulated or --listen HOST:PORT")
        return 2
    if target is not None and target not in ("simulated", "simulated-devices"):
        console.print(
            f"[red]error: --target must be 'simulated' or 'simulated-devices', not {target!r}"
        )
        return 2
    if listen is None and options.given:
        console.print("[red]error: these options only go with --listen: --tls-cert, --tls-key,")
        console.print("[red]--local-https, --firmware-signed/-unsigned/-foreign-signer, --session")
        return 2
    try:
        declaration = declarations.load(product) if product is not None else None
    except declarations.DeclarationError as exc:
        console.print(f"[red]error: {exc}")
        return 2
    csms: CentralSystem | None = None
    chosen: Target
    if listen is not None:
        try:
            host, port = parse_listen(listen)
            secure = tls_context(*options.tls)
            local_https = options.local_https
            local = parse_listen(local_https, "--local-https") if local_https else None
            images = firmware_images.load(*options.firmware)
        except ValueError as exc:
            console.print(f"[red]error: {exc}")
            return 2
        csms = CentralSystem(host=host, port=port, ssl_context=secure)
        chosen = ListenTarget(local_https=local, firmware=images, session=options.session)
    else:
        # The chargers' own data (stores, logs, TOML) is scratch: only evidence goes to --out.
        scratch = tempfile.TemporaryDirectory(prefix="smartcharge-compliance-")
        chosen = SimulatedTarget(
            Path(scratch.name), command=charger_command, hardware=target or "simulated"
        )

    async def go() -> Run:
        if csms is not None:
            await csms.start()
            console.print(f"Central system listening on {csms.url}/<identity>")
        try:
            return await _run(chosen, out, fast, csms, agreement, console, declaration)
        finally:
            if csms is not None:
                await csms.stop()

    run = asyncio.run(go())
    paths = render.write(run, out)
    table = Table("requirement", "outcome", "why / evidence")
    for req, res in run.results.items():
        table.add_row(req, f"[{STYLE[res.outcome]}]{res.outcome.value}", res.reason[:160])
    console.print(table)
    for p in paths:
        print(p)
    counts = {o: sum(1 for r in run.results.values() if r.outcome is o) for o in Outcome}
    console.print(", ".join(f"{n} {o.value}" for o, n in counts.items() if n))
    bad = counts[Outcome.FAIL] + counts[Outcome.NOT_RUN]
    return 1 if bad else 0
