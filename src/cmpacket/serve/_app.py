"""The preview's web app: one page, its JSON, server-sent events, page images and the packet.

Nothing here maps a URL to a file path: documents and pages are looked up by opaque ids (content
hashes) among the server's own build outputs, and static assets come from a fixed table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from importlib import resources
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cmpacket.serve._builder import Builder, View

HEX16 = re.compile(r"[0-9a-f]{16}")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}  # fmt: skip
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; "
     b"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
     b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]  # fmt: skip
KEEPALIVE = 15.0  # seconds between comments on an idle event stream


class Hub:
    """Wakes every open event stream when the builder publishes (called from its thread)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event = asyncio.Event()
        self.stopping = False

    def publish(self) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        event, self.event = self.event, asyncio.Event()
        event.set()

    def stop(self) -> None:
        self.stopping = True
        self.publish()

    async def wait(self, timeout: float) -> None:
        event = self.event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


def _static() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("cmpacket.serve").joinpath("static")
    table = {}
    for item in folder.iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if item.is_file() and suffix in STATIC_TYPES:
            table[item.name] = (item.read_bytes(), STATIC_TYPES[suffix])
    return table


def _ui() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cmpacket.serve", "ui"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pages"] = _page_range
    return env


def _page_range(doc: Any) -> str:
    if doc.first_page == doc.last_page:
        return f"p. {doc.first_page}"
    return f"pp. {doc.first_page}\u2013{doc.last_page}"


def status(view: View, request: Request) -> dict[str, Any]:
    """The JSON of GET /api/status (the interface other programs read)."""
    error = view.error
    return {
        "build": view.build,
        "state": view.state,
        "ready": view.ready,
        "error": None
        if error is None or view.state != "error"
        else {"file": error.get("file"), "line": error.get("line"), "message": error["message"]},
        "findings": list(view.findings),
        "documents": [
            {"title": d.title, "kind": d.kind, "first_page": d.first_page, "last_page": d.last_page}
            for d in view.docs
        ],
        "packet": packet_url(view, request),
    }


def packet_url(view: View, request: Request | None = None) -> str | None:
    if not view.packet_id:
        return None
    path = f"/packet/{view.packet_id}/{view.packet_name}"
    return str(request.base_url).rstrip("/") + path if request is not None else path


def create_app(builder: Builder, hub: Hub, allowed_hosts: list[str] | None = None) -> ASGIApp:
    ui = _ui()
    static = _static()
    page_template = ui.get_template("page.html.j2")

    def context(view: View) -> dict[str, Any]:
        return {"v": view, "packet": packet_url(view), "folder": builder.options.folder.name}

    async def index(request: Request) -> Response:
        html = page_template.render(context(builder.view))
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    async def api_status(request: Request) -> Response:
        return JSONResponse(status(builder.view, request), headers={"cache-control": "no-store"})

    async def api_view(request: Request) -> Response:
        """The page's parts as HTML fragments, for the browser to patch in after a build."""
        view = builder.view
        parts: Any = page_template.make_module(context(view))
        items = []
        for s in view.sections:
            items.append({"id": f"sec-{s.letter}", "content": s.title,
                          "html": str(parts.section_head(s))})  # fmt: skip
            items += [
                {"id": f"doc-{d.id}", "content": d.content, "html": str(parts.document(d, view))}
                for d in s.docs
            ]
        body = {
            "build": view.build,
            "state": view.state,
            "shown_build": view.shown_build,
            "changed": list(view.changed),
            "status": str(parts.status_bar()),
            "sidebar": str(parts.sidebar()),
            "error": str(parts.error_panel()),
            "findings": str(parts.findings_panel()),
            "items": items,
        }
        return JSONResponse(body, headers={"cache-control": "no-store"})

    async def events(request: Request) -> Response:
        async def stream() -> Any:
            last = None
            yield "retry: 1000\n\n"
            while not hub.stopping:
                view = builder.view
                key = (view.build, view.state)
                if key != last:
                    last = key
                    yield f"event: status\ndata: {json.dumps(status(view, request))}\n\n"
                else:
                    yield ": keepalive\n\n"
                await hub.wait(KEEPALIVE)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def static_file(request: Request) -> Response:
        entry = static.get(request.path_params["name"])
        if entry is None:
            return PlainTextResponse("Not found", status_code=404)
        return Response(entry[0], media_type=entry[1], headers={"cache-control": "no-cache"})

    async def page_png(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        page = request.path_params["page"]
        if not HEX16.fullmatch(page):
            return PlainTextResponse("Not found", status_code=404)
        path = await run_in_threadpool(builder.store.png, page)
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        # the id is the page's content hash: the same URL always shows the same image
        return FileResponse(
            path, media_type="image/png", headers={"cache-control": "max-age=31536000, immutable"}
        )

    async def page_text(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        page = request.path_params["page"]
        if not HEX16.fullmatch(page):
            return PlainTextResponse("Not found", status_code=404)
        text = await run_in_threadpool(builder.store.text, page)
        if text is None:
            return PlainTextResponse("Not found", status_code=404)
        return PlainTextResponse(text, headers={"cache-control": "max-age=31536000, immutable"})

    async def packet(request: Request) -> Response:
        pid, name = request.path_params["pid"], request.path_params["name"]
        found = builder.store.packet(pid) if HEX16.fullmatch(pid) else None
        if found is None or name != found.name:
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(
            found.path,
            media_type="application/pdf",
            filename=found.name,
            content_disposition_type="inline",
            headers={"cache-control": "no-cache"},
        )

    async def favicon(request: Request) -> Response:
        entry = static["icon.svg"]
        return Response(entry[0], media_type=entry[1])

    routes = [
        Route("/", index),
        Route("/api/status", api_status),
        Route("/api/view", api_view),
        Route("/api/events", events),
        Route("/static/{name}", static_file),
        Route("/pages/{page}.png", page_png),
        Route("/text/{page}", page_text),
        Route("/packet/{pid}/{name}", packet),
        Route("/favicon.ico", favicon),
    ]
    app: ASGIApp = Starlette(routes=routes)
    app = SecurityHeaders(app)
    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts)
    return app


class SecurityHeaders:
    """A strict Content-Security-Policy (only this server's own scripts, styles and images)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


__all__ = ["Hub", "create_app", "status"]
