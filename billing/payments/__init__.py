"""Payments: money received from customers, applied to their invoices (issue #15).

- ``allocation``: pure planning, which open invoices a payment pays and how much (oldest
  first), and what is left as the customer's unapplied credit.
- ``store``: recording a payment, applying unapplied credit later, deleting a payment (its
  applications reversed), each keeping ``Invoice.paid_minor`` in the same transaction, the
  invoice's trail (``billing.audit``) and its status (Paid by itself when nothing is owed).
- ``locks``: the customer's payments and invoices locked while they change, and the
  customer's unapplied credit.
- ``settling``: Paid by itself when nothing is owed (and the day it was settled), back to
  its status before when something is owed again; shared with credit notes.
- ``customer``: what the customer page shows of its payments, credit and activity.
"""
