"""QuickBooks Online and Xero (Admin > Accounting, and every Export button).

- ``connections``: tokens (encrypted), refreshing and disconnecting; ``oauth_text``: why a
  connection failed, in words.
- ``mapping``, ``choices``, ``tax``: which ledger item or account and tax each line uses.
- ``export``: exporting invoices, over the ``ledger`` interface that ``quickbooks`` and ``xero``
  implement (``providers`` picks one); ``export_text``: the outcome in words.
- ``withdraw``: voiding or deleting ledger copies of deleted invoices.
- ``webhooks``: the ledgers' webhook signatures, and the connections a verified one marks for
  a sync.
- ``sync``: the two-way sync (Sync now, ``flask ledgers sync``): ``sync_pull`` (with
  ``sync_context`` and ``sync_invoices``) applies what changed there, ``sync_push`` sends what
  was recorded here, in the words of ``sync_types``; each ledger's half is in
  ``quickbooks_money`` / ``quickbooks_changes`` and ``xero_money`` / ``xero_changes``;
  ``records`` says where a payment or credit note stands in each ledger, for its pages.
"""
