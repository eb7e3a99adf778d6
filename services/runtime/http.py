"""Serving an ASGI app with uvicorn inside the caller's event loop (every Vigie HTTP endpoint).

``serve`` never touches signal handlers: the runner owns SIGINT/SIGTERM and sets ``stopping``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class _EmbeddedServer(uvicorn.Server):
    # uvicorn 0.55 has no install_signal_handlers hook: Server.serve wraps itself in
    # capture_signals(), which replaces the process's handlers and re-raises captured signals.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen_socket(listen: str) -> socket.socket:
    """A listening socket for ``host:port`` (``[v6]:port`` too); bind errors surface here."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"listen address {listen!r} must be host:port")
    host = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, int(port)), family=family, backlog=2048)


async def serve(app: FastAPI, listen: str | socket.socket, *, stopping: asyncio.Event) -> None:
    """Serve ``app`` on ``listen`` (or a socket from ``listen_socket``, which it then owns)
    until ``stopping`` is set, then finish open requests."""
    sock = listen_socket(listen) if isinstance(listen, str) else listen
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait([task, stop], return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await task
        if not stopping.is_set():
            raise RuntimeError(f"the HTTP server on {listen} stopped on its own")
    finally:
        stop.cancel()
        task.cancel()
        sock.close()
