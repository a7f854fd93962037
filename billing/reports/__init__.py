"""Reports over the receivables: what customers owe and since when, and what happened on a
customer's account over a period.

- ``aging``: the receivables as of a day, per customer and currency, by days past due (the
  Receivables page, its drill-down and ``flask reports aging``); reads only the invoices open on
  that day, whatever the length of the settled history.
- ``statement``: a customer's statement for a period (opening balance, invoices, payments,
  refunds, credit notes, closing balance); ``statement_pdf`` its PDF and email.
- ``dates``: the days a report is asked for, read from text; ``csv_text``: the CSV downloads.
"""
