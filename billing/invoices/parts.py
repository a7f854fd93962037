"""An invoice made for several contracts of one customer: a part per contract, each with its
own period and lines (``Customer.invoice_grouping`` = "customer")."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from billing.contracts.periods import Period
from models import Contract, ContractCharge, Invoice, InvoiceLine, db


@dataclass
class ContractPart:
    """One contract's share of an invoice."""

    contract: Contract | None  # None: lines added by hand, of no contract
    period: Period | None
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def title(self) -> str:
        """``Managed IT - Gold · 01 Nov 2026 – 30 Nov 2026``."""
        if self.contract is None:
            return "Other lines"
        if self.period is None:
            return self.contract.name
        return f"{self.contract.name} · {self.period.label()}"


def contract_parts(invoice: Invoice) -> list[ContractPart]:
    """The invoice's parts when its lines belong to several contracts (else none), in the
    order of their first line; lines of no contract (added by hand) form the last part."""
    ids = list(dict.fromkeys(line.contract_id for line in invoice.lines))
    if len([i for i in ids if i is not None]) < 2:
        return []
    known = [i for i in ids if i is not None]
    contracts = {
        c.id: c for c in db.session.scalars(sa.select(Contract).where(Contract.id.in_(known)))
    }
    spans = dict(
        ((cid, Period(start, end)) for cid, start, end in db.session.execute(
            sa.select(ContractCharge.contract_id, sa.func.min(ContractCharge.period_start),
                      sa.func.max(ContractCharge.period_end))
            .where(ContractCharge.invoice_id == invoice.id)
            .group_by(ContractCharge.contract_id)
        ))
    )  # fmt: skip
    parts = {cid: ContractPart(contracts[cid], spans.get(cid)) for cid in known}
    other: list[InvoiceLine] = []
    for line in invoice.lines:
        (parts[line.contract_id].lines if line.contract_id in parts else other).append(line)
    result = list(parts.values())
    if other:
        result.append(ContractPart(None, None, other))
    return result
