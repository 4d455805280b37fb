"""Real moving parts for tests of work done after a commit: an HTTP receiver on 127.0.0.1,
a Celery worker in this process, and the app's broker pointed elsewhere (a closed port)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """An HTTP server that records every request (method, path, headers, body, time) and
    answers with `respond(number_of_the_call)` -> (status, headers); 200 by default."""

    def __init__(self, respond=None, host: str = "127.0.0.1"):
        self.respond = respond or (lambda n: (200, {}))
        self.calls: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.calls.append(
                    {
                        "at": time.monotonic(),
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                code, headers = receiver.respond(len(receiver.calls))
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://{host}:{self.port}/hooks/sanbufu"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def broker(url: str, **transport_options):
    """Point this process's Celery app at `url` (its connection pools rebuilt), and back."""
    from sanbufu.celery import app

    keys = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {k: app.conf[k] for k in keys}

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(
        broker_url=url, broker_transport_options=transport_options, task_always_eager=False
    )
    reset_pools()
    try:
        yield app
    finally:
        app.conf.update(saved)
        reset_pools()


@contextlib.contextmanager
def in_process_worker():
    """A real Celery worker in this process on an in-memory broker (sharing the test's
    settings, database and mail outbox)."""
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
    from celery.contrib.testing.worker import start_worker

    with (
        broker("memory://") as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        yield app
