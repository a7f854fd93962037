"""EN 16931 e-invoices (issue #17): Peppol BIS Billing 3.0 and XRechnung UBL, Factur-X.

- ``identifiers``: VAT ids, IBAN and BIC, electronic addresses and Leitweg-IDs, each checked
  and written the one way the standard wants.
- ``seller``: the seller's data in Admin > Settings; ``buyer``: the customer's, and what each
  format (Peppol, XRechnung, Factur-X) needs of it; ``categories``: each tax rate's VAT
  category (BT-118) and exemption (BT-120/121).
"""
