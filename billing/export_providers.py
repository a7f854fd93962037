"""Which :class:`~billing.export_ledgers.Ledger` talks to which provider.

Apart from ``export_ledgers`` (the interface the two ledgers import), so that module does not
import them back.
"""

from billing.export_ledgers import Ledger
from billing.export_qbo import QuickBooksLedger
from billing.export_xero import XeroLedger
from models import Provider


def ledger_classes() -> dict[Provider, type[Ledger]]:
    """Each provider's :class:`~billing.export_ledgers.Ledger`."""
    return {Provider.QUICKBOOKS: QuickBooksLedger, Provider.XERO: XeroLedger}
