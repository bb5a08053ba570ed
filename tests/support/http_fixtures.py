"""A loopback HTTP server for firmware downloads and diagnostics / log uploads in tests."""

from __future__ import annotations

import ssl

from aiohttp import web


async def http_server(
    routes: list[web.RouteDef], tls: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    """Serve `routes` on 127.0.0.1 and a free port (HTTPS with `tls`); call `runner.cleanup()`
    when done."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    return runner, runner.addresses[0][1]


def upload_route(path: str, uploads: list[tuple[str, bytes]], status: int = 201) -> web.RouteDef:
    """POST `path`: keep the multipart field `file` (name, bytes) in `uploads`, as OCPP
    GetDiagnostics / GetLog uploads send it."""

    async def receive(request: web.Request) -> web.Response:
        form = await request.post()
        f = form["file"]
        assert isinstance(f, web.FileField)
        uploads.append((f.filename, f.file.read()))
        return web.Response(status=status)

    return web.post(path, receive)
