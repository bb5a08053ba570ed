"""The suite's HTTP file server: what a charger downloads (firmware images, a release
description) and what it uploads (GetLog), each request recorded with its time.

It listens where the charger can reach it: loopback for the simulated target, the suite's own
address as the charger reached it for a charger under test over --listen.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import ssl
import zipfile
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web


@dataclass
class FileServer:
    files: dict[str, bytes] = field(default_factory=dict)
    fetched: list[tuple[str, float]] = field(default_factory=list)  # (name, loop time)
    uploads: list[tuple[str, bytes]] = field(default_factory=list)  # (name, the file's bytes)
    base: str = ""
    _runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> FileServer:
        """Listen on `host` (any free port); with `tls`, over HTTPS with that certificate."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/{name}", self._get)
        app.router.add_post("/{name}", self._put)
        app.router.add_put("/{name}", self._put)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, 0, ssl_context=tls).start()
        port = self._runner.addresses[0][1]
        scheme = "https" if tls is not None else "http"
        self.base = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    async def _get(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.fetched.append((name, asyncio.get_running_loop().time()))
        data = self.files.get(name)
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _put(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader) and part.filename is not None:
                    self.uploads.append((part.filename, bytes(await part.read())))
        else:
            self.uploads.append((name, await request.read()))
        return web.Response(status=200)


def readable(data: bytes) -> str | None:
    """An uploaded log as text (plain, gzip or zip), or None when its format is unknown."""
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        elif data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                data = b"\n".join(z.read(n) for n in z.namelist())
        return data.decode("utf-8")
    except (OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
