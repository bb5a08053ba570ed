"""The browser tests' stack: the platform (REST API + web app, embedded SQLite) and three of our
simulated charge points on loopback, in a thread of their own, sharing one simulated clock
(speed 1) that starts on a Monday at 21:40 UK time, inside the evening peak; and Debian's
Chromium headless shell driven by Playwright (never a browser download: CHROMIUM below).

Screenshots go to test-artifacts/web/ (ignored by git; CI keeps the folder as an artifact).
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import parse_config
from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.manufacturer.keys import create_keys, load_private_key
from smartcharge.manufacturer.signing import sign
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import add_charger, hash_password
from smartcharge.sim.clock import SimulatedClock

sys.path.insert(0, str(Path(__file__).parent))  # a11y.py, imported by name

T = TypeVar("T")
START = datetime(2026, 11, 23, 21, 40, tzinfo=UTC)  # a Monday; GMT, so UK time too
ISSUED = datetime(2026, 5, 1, tzinfo=UTC)  # the manufacturer's PKI, valid before START
MODEL = "AC-7"
# Debian's chromium-headless-shell: Chromium's own headless browser (the same Blink engine and
# DevTools protocol, without the full browser's UI and GPU process). Against Debian's full
# chromium, whose wrapper turns on GPU rasterisation (SwiftShader, on the CPU), the web tests
# took 98 s of CPU instead of 164 s, and 80 s instead of 114 s on two workers (docs/web-app.md).
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

CHARGERS = {
    # identity: (owner e-mail or None, site or None, workplace, random delay max, seed)
    "HOME-1": ("alice@example.com", None, False, 600, 1),
    "HOME-2": ("alice@example.com", None, False, 1800, 3),
    "WORK-1": (None, "Acme", True, 600, 5),
    # Carol's: "delete my data" restarts and wipes them, so no other flow uses them.
    "CAROL-1": ("carol@example.com", None, False, 0, 7),
    "CAROL-2": ("carol@example.com", None, False, 0, 9),
}
DEVICE_INFO = {  # R38 as the manufacturer set it; HOME-2 says nothing: the platform's are shown
    "HOME-1": {
        "support_until": "2032-06-30",
        "vulnerability_contact": "https://acme.example/psirt",
    },
    "WORK-1": {"support_until": "2032-06-30", "vulnerability_contact": "psirt@acme.example"},
}
USERS = {
    "alice@example.com": ("owner", None),
    "bob@example.com": ("owner", None),
    "carol@example.com": ("owner", None),
    "admin@acme.example": ("workplace_admin", "Acme"),
    "worker@acme.example": ("workplace_user", "Acme"),
    "ops@example.com": ("operator", None),
    "grid@aggregator.example": ("aggregator", None),
}


_PASSWORDS: dict[str, tuple[str, str]] = {}


def _password_of(email: str) -> tuple[str, str]:
    """A person's password and its argon2 hash, made once per test process: argon2 is slow on
    purpose, and every module's stack has the same people (a test that changes a password
    changes it in its own stack only)."""
    if email not in _PASSWORDS:
        password = secrets.token_urlsafe(12)
        _PASSWORDS[email] = (password, hash_password(password))
    return _PASSWORDS[email]


class Stack:
    """Runs the platform and the charge points on an event loop in a background thread."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.clock = SimulatedClock(START, 1.0)
        self.passwords: dict[str, str] = {}
        self.chargers: dict[str, ChargePointApp] = {}
        self.platform: PlatformApp | None = None
        self.maker = create_keys(
            tmp / "maker", organization="Acme Chargers", model=MODEL, now=ISSUED
        )
        self.served: dict[str, bytes] = {}  # firmware images on a loopback HTTP server
        self.files_port = 0
        self._files: web.AppRunner | None = None
        self._loop = asyncio.new_event_loop()
        self._tasks: list[asyncio.Task[None]] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def app(self) -> PlatformApp:
        assert self.platform is not None
        return self.platform

    @property
    def url(self) -> str:
        return self.app.http.url

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> None:
        self._thread.start()
        self.call(self._start(), timeout=120)

    async def _start(self) -> None:
        settings = PlatformSettings(
            data_dir=self.tmp / "platform",
            host="127.0.0.1",
            port=0,
            security_profile=1,
            node_id="web-test",
            api_host="127.0.0.1",
            api_port=0,
            meter_batch_ms=20,
            support_until=date(2031, 12, 31),  # the about page's fallbacks (R38)
            vulnerability_contact="security@example.com",
        )
        self.served["latest.json"] = b'{"version": "2.0.0"}'
        await self._serve_files()
        self.platform = PlatformApp(settings, clock=self.clock, rng=random.Random(7))
        await self.platform.start()
        store = self.platform.store
        for email, (role, site) in USERS.items():
            password, password_hash = await asyncio.to_thread(_password_of, email)
            self.passwords[email] = password
            site_id = await store.people.site(site, at=self.clock.now()) if site else None
            await store.accounts.create(
                email,
                role=role,
                password_hash=password_hash,
                at=self.clock.now(),
                site_id=site_id,
            )
        for identity, (owner, site, workplace, delay, seed) in CHARGERS.items():
            new = await add_charger(store, identity, owner=owner, site=site)
            config = parse_config(
                {
                    "identity": identity,
                    "csms_url": f"ws://127.0.0.1:{self.platform.ocpp.port}/ocpp",
                    "data_dir": str(self.tmp / identity),
                    "model": MODEL,
                    **DEVICE_INFO.get(identity, {}),
                    "security": {
                        "profile": 1,
                        "password": new.password,
                        "manufacturer_root": str(self.maker.root_cert),
                    },
                    "firmware": {
                        "model_key_file": str(self.maker.model_key),
                        # The charger's own update check finds 2.0.0 (R30; the firmware test).
                        "update_url": f"http://127.0.0.1:{self.files_port}/latest.json",
                    },
                    "charging": {"workplace": workplace, "random_delay_max_s": delay},
                    # The default call timeout (30 s): a shorter one let a loaded machine time out a
                    # StatusNotification, which the charger then sent again only a minute later.
                    "ocpp": {"reconnect_min_s": 0.5, "reconnect_max_s": 2},
                },
                base_dir=self.tmp,
            )
            app = ChargePointApp(config, clock=self.clock, rng=random.Random(seed))
            self.chargers[identity] = app
            self._tasks.append(asyncio.ensure_future(app.run()))
        for identity in CHARGERS:
            await self.platform.ocpp.wait_connected(identity, timeout=30)
            # One sample a second, so the power curve has the resolution the law asks for.
            await self.platform.ocpp.send(
                identity,
                "ChangeConfiguration",
                {"key": "MeterValueSampleInterval", "value": "1"},
                10,
            )

    async def _serve_files(self) -> None:
        async def get(request: web.Request) -> web.Response:
            body = self.served.get(request.match_info["name"])
            return web.Response(status=404) if body is None else web.Response(body=body)

        app = web.Application()
        app.add_routes([web.get("/{name}", get)])
        self._files = web.AppRunner(app)
        await self._files.setup()
        await web.TCPSite(self._files, "127.0.0.1", 0).start()
        self.files_port = self._files.addresses[0][1]

    def release(self, version: str) -> dict[str, str]:
        """A signed image of `version`, served; what an operator publishes for it."""
        image = make_image(version, MODEL)
        key = load_private_key(self.maker.signing_key.read_bytes())
        signed = sign(image, key, self.maker.signing_cert.read_bytes())
        self.served[f"fw-{version}.bin"] = image
        return {
            "location": f"http://127.0.0.1:{self.files_port}/fw-{version}.bin",
            "signing_certificate": signed.signing_certificate,
            "signature": signed.signature,
        }

    def stop(self) -> None:
        async def _stop() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.platform is not None:
                await self.platform.stop()
            if self._files is not None:
                await self._files.cleanup()

        try:
            self.call(_stop(), timeout=60)
        except TimeoutError:  # say what was still running (the loop thread, every task)
            raise AssertionError(
                f"the stack did not stop in 60 s:\n{self._still_running()}"
            ) from None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _still_running(self) -> str:
        """Where the loop's thread is, and each task's stack: read from this thread, without the
        loop (which may be the thing that is stuck)."""
        frame = sys._current_frames().get(self._thread.ident or 0)
        out = ["loop thread:", *traceback.format_stack(frame)] if frame else []
        for task in list(asyncio.all_tasks(self._loop)):
            out.append(f"task {task.get_name()}: {task.get_coro()!r}")
            out.extend(traceback.format_stack(f)[-1] for f in task.get_stack(limit=8))
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)

    def hw(self, identity: str) -> Any:
        return self.chargers[identity].hardware

    def do(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the stack's loop (the simulated hardware is not thread-safe)."""

        async def run() -> T:
            return fn()

        return self.call(run())

    def until(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        async def wait() -> None:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await asyncio.sleep(0.1)

        self.call(wait(), timeout=timeout + 5)


def _running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("web-stack"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _running(tmp_path_factory)


WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="module", params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> int:
    """Each owner flow on a 1366 px screen, then on a 390 px phone (issue 13)."""
    return WIDTHS[request.param][0]


@pytest.fixture(scope="module")
def stack_per_width(width: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A fresh stack for each width, so that the phone's flow starts from first use too (a flow
    module takes it as its `stack`)."""
    yield from _running(tmp_path_factory)


@pytest.fixture(scope="module")
def open_context(browser: NoInternet, width: int) -> Callable[..., Any]:
    """A new browser context at this module's width (a phone's is mobile)."""
    height = dict(WIDTHS.values())[width]

    def new(**kwargs: Any) -> Any:
        return browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=width < 500, **kwargs
        )

    return new


@pytest.fixture(scope="module")
def context(open_context: Callable[..., Any], stack: Stack) -> Iterator[Any]:
    """Alice's browser (an owner of HOME-1 and HOME-2), logged in."""
    from owner_app import log_in

    ctx = open_context()
    log_in(ctx, stack, "alice@example.com").close()
    yield ctx
    ctx.close()


class NoInternet:
    """The browser, whose every context refuses and records any request that is not to the
    stack on loopback: the app must work with no internet (no CDN, no font, nothing fetched
    from outside). Tests read `outside` (it must stay empty)."""

    LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")  # anything else goes to _refuse

    def __init__(self, chromium: Any) -> None:
        self._chromium = chromium
        self.outside: list[str] = []

    def new_context(self, **kwargs: Any) -> Any:
        ctx = self._chromium.new_context(**kwargs)
        ctx.route(self.LOOPBACK, self._refuse)
        return ctx

    def _refuse(self, route: Any) -> None:
        self.outside.append(route.request.url)
        route.abort()


@pytest.fixture(scope="module")
def browser() -> Iterator[NoInternet]:
    from playwright.sync_api import expect, sync_playwright

    # What a test expects of a page may take a while on a busy machine (the default is 5 s).
    expect.set_options(timeout=30_000)

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "chromium-headless-shell is missing: `apt-get install -y chromium-headless-shell` "
            "(./run test does it)"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        checked = NoInternet(chromium)
        try:
            yield checked
        finally:
            chromium.close()
        # Every page this module's flows opened worked with everything but loopback refused.
        assert checked.outside == [], f"fetched from outside: {checked.outside}"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """page, name -> a full-page screenshot in test-artifacts/web/<test>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take
