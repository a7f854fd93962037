"""EN 16931 e-invoices (issue #17): Peppol BIS Billing 3.0 and XRechnung UBL, Factur-X.

- ``identifiers``: VAT ids, IBAN and BIC, electronic addresses and Leitweg-IDs, each checked
  and written the one way the standard wants.
- ``seller``: the seller's data in Admin > Settings; ``buyer``: the customer's, and what each
  format (Peppol, XRechnung, Factur-X) needs of it; ``categories``: each tax rate's VAT
  category (BT-118) and exemption (BT-120/121); ``address``: a typed address read into its
  parts (street, city, post code).
- ``document``: an invoice or credit note in EN 16931's terms; ``build`` makes it from the
  database and ``lines`` its lines (quantity x price - allowance = net), VAT categories and
  breakdown.
- ``ubl`` (Peppol BIS Billing 3.0, XRechnung 3.0) and ``cii`` (EN 16931, XRechnung) write it;
  ``facturx`` embeds the CII in the PDF; ``outputs`` names the files of each format, and what a
  customer's emails and the bulk zips carry.
- ``girocode``: the EPC QR code ("GiroCode") a banking app scans to pay a euro invoice.
"""
