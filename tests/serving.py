"""A WSGI app served by werkzeug on a loopback port in a daemon thread.

The one way the suite (and ``bench/``) runs a server in process: the QuickBooks and Xero fakes
and the browser tests' live app all go through ``LoopbackServer``.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

LOOPBACK = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request access log line."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Stay quiet: the fakes keep their own request logs for tests to read."""


class LoopbackServer:
    """``app`` on ``host:port`` (port 0: any free one), threaded, until ``stop`` or the block ends.

    ``with LoopbackServer(app) as server: server.url``; or ``start()`` / ``stop()``. The fakes
    subclass it, so each is its own server.
    """

    def __init__(self, app: Any, host: str = LOOPBACK, port: int = 0, quiet: bool = True) -> None:
        self.wsgi_app = app
        self.host, self.port = host, port
        self.quiet = quiet
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LoopbackServer:
        """Listen and serve in a daemon thread; ``port`` becomes the one bound."""
        handler = _QuietHandler if self.quiet else WSGIRequestHandler
        self._server = make_server(
            self.host, self.port, self.wsgi_app, threaded=True, request_handler=handler
        )
        self.port = self._server.server_port
        # A short poll keeps stop() quick: shutdown() waits for the loop to look again.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (nothing if not started)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait(self) -> None:
        """Block until stopped, e.g. a fake run in the foreground; Ctrl-C stops it."""
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> LoopbackServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:54321`` (a wildcard host reads as loopback)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        host = LOOPBACK if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"
