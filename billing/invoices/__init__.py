"""Invoices (the Billing page and the invoice page).

- ``listing``, ``list_totals``: the Billing page's filters, sorts, pages and totals;
  ``page``: what the invoice page shows.
- ``snapshot``: issuer and bill-to taken at creation; ``lines``: lines and their totals;
  ``numbering``: invoice numbers.
- ``edit`` and ``parts``: flexible invoices and editing a Draft; ``status``: the status machine.
- ``pdf``, ``pdf_footer``, ``mailer``, ``delivery``, ``bulk_jobs``: PDFs, email, and work on many
  invoices at once.
"""
