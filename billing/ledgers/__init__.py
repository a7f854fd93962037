"""QuickBooks Online and Xero (Admin > Accounting, and every Export button).

- ``connections``: tokens (encrypted), refreshing and disconnecting; ``oauth_text``: why a
  connection failed, in words.
- ``mapping``, ``choices``, ``tax``: which ledger item or account and tax each line uses.
- ``export``: exporting invoices, over the ``ledger`` interface that ``quickbooks`` and ``xero``
  implement (``providers`` picks one); ``export_text``: the outcome in words.
- ``withdraw``: voiding or deleting ledger copies of deleted invoices.
- ``webhooks``: the ledgers' webhook signatures, and the connections a verified one marks for
  a sync.
"""
