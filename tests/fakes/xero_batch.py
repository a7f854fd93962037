"""Many elements per write request, and what ``summarizeErrors`` does with their errors (§3.4).

Each element is checked against the stored data plus the elements before it in the same request
(so two new contacts with one name clash). Nothing is stored until the whole request is decided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.xero_format import validation_exception
from tests.fakes.xero_seed import Tenant
from tests.fakes.xero_state import FakeXeroConfig


class Staging:
    """Writes of one request, applied to the tenant only by ``commit``."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.contacts: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.credit_notes: dict[str, dict] = {}
        self.invoice_seq = tenant.invoice_seq
        self.credit_note_seq = tenant.credit_note_seq

    def all_contacts(self) -> dict[str, dict]:
        """Stored contacts with this request's changes on top."""
        return {**self.tenant.contacts, **self.contacts}

    def all_invoices(self) -> dict[str, dict]:
        """Stored invoices with this request's changes on top."""
        return {**self.tenant.invoices, **self.invoices}

    def all_items(self) -> dict[str, dict]:
        """Stored items with this request's changes on top."""
        return {**self.tenant.items, **self.items}

    def all_credit_notes(self) -> dict[str, dict]:
        """Stored credit notes with this request's changes on top."""
        return {**self.tenant.credit_notes, **self.credit_notes}

    def commit(self) -> None:
        """Store every staged change."""
        self.tenant.contacts.update(self.contacts)
        self.tenant.invoices.update(self.invoices)
        self.tenant.items.update(self.items)
        self.tenant.payments.update(self.payments)
        self.tenant.credit_notes.update(self.credit_notes)
        self.tenant.invoice_seq = self.invoice_seq
        self.tenant.credit_note_seq = self.credit_note_seq


@dataclass
class Outcome:
    """One element's result: its rendered form, its errors, and how to stage it if valid."""

    element: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    stage: Callable[[], None] | None = None


def run_batch(
    tenant: Tenant,
    elements: list[Any],
    handle: Callable[[Staging, dict], Outcome],
    summarize: bool,
    config: FakeXeroConfig,
) -> tuple[int, list[dict] | dict]:
    """Apply ``handle`` to every element; (200, elements) or (400, ValidationException body)."""
    staging = Staging(tenant)
    outcomes = []
    for data in elements:
        outcome = handle(staging, data if isinstance(data, dict) else {})
        if not outcome.errors and outcome.stage:
            outcome.stage()
        outcomes.append(outcome)
    failed = [o for o in outcomes if o.errors]
    if summarize and failed:
        if config.summarize_saves_valid:
            staging.commit()
        shown = outcomes if config.summarize_elements == "all" else failed
        return 400, validation_exception([o.element for o in shown])
    staging.commit()
    return 200, [o.element for o in outcomes]


def elements_of(body: Any, key: str) -> list[Any] | None:
    """The list under ``key`` (``{"Invoices": [...]}``), or a bare single object as one element."""
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return body[key]
    if isinstance(body, dict) and key not in body:
        return [body]
    return None
