"""The Billing page's throughput under gunicorn, beside a trivial route and the floor page.

gunicorn serves ``bench.wsgi`` with 2 workers on a loopback port; ``bench.load`` drives it from
another process. The Billing page's client logs in through the real login form first (CSRF
token included). Rounds alternate the three paths so that they share the machine's conditions;
each figure is the median over the rounds.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.harness import BENCH_EMAIL, BENCH_PASSWORD, ROOT, SECRET_KEY

PATHS = {
    "Trivial route": "/_bench/trivial",
    "Floor page (1 SQL query, cached template)": "/_bench/floor",
    "Billing page, first page": "/billing",
}
ROUNDS = 5
WORKERS = 2


@dataclass(frozen=True)
class Throughput:
    """Requests per second of each path (medians), and the runs behind them."""

    rps: dict[str, float]
    runs: dict[str, list[float]]
    worker_class: str
    client_threads: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/_bench/trivial")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def _cookie(response: http.client.HTTPResponse) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return ""


def log_in(port: int) -> str:
    """Log in through the form (GET for the CSRF token, then POST); the session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/auth/login")
    page = conn.getresponse()
    html, cookie = page.read().decode(), _cookie(page)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": token}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn.request("POST", "/auth/login", body=body, headers=headers)
    answer = conn.getresponse()
    answer.read()
    if answer.status != 302 or not _cookie(answer):
        raise RuntimeError(f"Logging in failed: {answer.status}")
    return _cookie(answer)


def _drive(port: int, path: str, cookie: str, threads: int, duration: float) -> float:
    command = [sys.executable, "-m", "bench.load", "--port", str(port), "--path", path]
    command += ["--cookie", cookie, "--threads", str(threads), "--duration", str(duration)]
    result = json.loads(subprocess.check_output(command, cwd=ROOT, text=True))
    if result["errors"] > 0.01 * max(1, result["requests"]):
        raise RuntimeError(f"{path}: {result['errors']} failed requests")
    return result["rps"]


@contextmanager
def serving(
    url: str, worker_class: str = "sync", threads: int = 1, env: dict | None = None
) -> Iterator[int]:
    """gunicorn serving ``bench.wsgi`` over the database at ``url`` (``WORKERS`` workers of
    ``threads`` threads); yields its port once it answers, stops it afterwards."""
    port = _free_port()
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    environment.update({"PYTHONPATH": str(ROOT), **(env or {})})
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS)]
    command += ["--worker-class", worker_class, "--threads", str(threads)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.wsgi:application"]
    server = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
    try:
        _wait_for(port, server)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def throughput(
    url: str,
    worker_class: str = "sync",
    threads: int = 4,
    duration: float = 5.0,
    rounds: int = ROUNDS,
) -> Throughput:
    """Serve the database at ``url`` with gunicorn and load each path in turn."""
    with serving(url, worker_class) as port:
        cookie = log_in(port)
        runs: dict[str, list[float]] = {label: [] for label in PATHS}
        for path in PATHS.values():  # warm-up: imports, compiled templates, caches, pools
            _drive(port, path, "" if path.startswith("/_bench/") else cookie, threads, 1.0)
        for _ in range(rounds):
            for label, path in PATHS.items():
                needs_login = not path.startswith("/_bench/")
                runs[label].append(
                    _drive(port, path, cookie if needs_login else "", threads, duration)
                )
    rps = {label: statistics.median(values) for label, values in runs.items()}
    return Throughput(rps, runs, worker_class, threads)
