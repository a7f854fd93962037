"""A closed-loop HTTP load generator, run as its own process: ``python -m bench.load``.

Several threads, each with its own keep-alive connection (``http.client``), request one path
as fast as answers come, for a warm-up and then a fixed duration; prints one JSON line with
the requests completed during the measured window. A server that closes the connection after
each answer (gunicorn's sync worker) gets a new connection per request, as a browser would.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time


def _worker(args, start_at: float, stop_at: float, tally: dict, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection(args.host, args.port, timeout=30)
    headers = {"Cookie": args.cookie} if args.cookie else {}
    done = errors = 0
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            break
        try:
            conn.request("GET", args.path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
        if time.perf_counter() >= start_at:
            done += ok
            errors += not ok
    conn.close()
    with lock:
        tally["requests"] += done
        tally["errors"] += errors


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, load the server, print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args(argv)
    start_at = time.perf_counter() + args.warmup
    stop_at = start_at + args.duration
    tally, lock = {"requests": 0, "errors": 0}, threading.Lock()
    threads = [
        threading.Thread(target=_worker, args=(args, start_at, stop_at, tally, lock))
        for _ in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({**tally, "seconds": args.duration, "rps": tally["requests"] / args.duration}))


if __name__ == "__main__":
    main()
