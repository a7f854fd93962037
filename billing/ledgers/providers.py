"""Which :class:`~billing.ledgers.ledger.Ledger` talks to which provider.

Apart from ``export_ledgers`` (the interface the two ledgers import), so that module does not
import them back.
"""

from billing.ledgers.ledger import Ledger
from billing.ledgers.quickbooks import QuickBooksLedger
from billing.ledgers.xero import XeroLedger
from models import Provider


def ledger_classes() -> dict[Provider, type[Ledger]]:
    """Each provider's :class:`~billing.ledgers.ledger.Ledger`."""
    return {Provider.QUICKBOOKS: QuickBooksLedger, Provider.XERO: XeroLedger}
