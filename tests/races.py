"""Two writers at once: each attempt in its own thread, app context and database session,
released together, to show the locks keep the figures right on both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from billing.errors import Conflict, ValidationFailed
from models import db


def race(app: Flask, attempt: Callable[[Any, Callable[[], Any]], Any], args: Iterable) -> list:
    """Run ``attempt(arg, ready)`` for each of ``args`` at once, one thread each; ``attempt``
    loads its rows, calls ``ready()`` (every thread waits there for the others), then writes.
    Each outcome is ``"landed"`` (committed) or the refusal's class name (``Conflict``,
    ``ValidationFailed``: rolled back), in the order they finished."""
    args = list(args)
    barrier = threading.Barrier(len(args))
    outcomes: list = []

    def run(arg) -> None:
        with app.app_context():
            try:
                attempt(arg, barrier.wait)
                db.session.commit()
                outcomes.append("landed")
            except (Conflict, ValidationFailed) as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(arg,)) for arg in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def assert_fair(outcomes: list, amounts: Iterable[int], room: int) -> None:
    """The outcomes of writing ``amounts`` at once against ``room`` left: when both fit, each
    lands or is told to retry (Conflict), and one at least lands; when they cannot both fit,
    exactly one lands, the other is refused with its reason."""
    if sum(amounts) <= room:
        assert outcomes.count("landed") + outcomes.count("Conflict") == 2, outcomes
        assert "landed" in outcomes
    else:
        assert outcomes.count("landed") == 1, outcomes
