"""The fakes' start and stop as pytest fixtures, the same in every conformance test module."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest


def fake_fixtures(start: Callable[[], AbstractContextManager[Any]]) -> tuple[Any, Any]:
    """``fake, fresh = fake_fixtures(lambda: FakeXero())`` at a test module's top level: ``fake``
    is one server for the module (started by ``start``, stopped after its last test), and the
    autouse ``fresh`` resets it before every test, so each sees the seeded state only."""

    @pytest.fixture(scope="module")
    def fake():
        with start() as server:
            yield server

    @pytest.fixture(autouse=True)
    def fresh(fake):
        fake.reset()

    return fake, fresh
