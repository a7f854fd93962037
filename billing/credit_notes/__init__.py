"""Credit notes and refunds (issue #15): credit against an issued invoice, and money paid back.

- ``numbering``: credit note numbers, their own sequence (``Settings.credit_note_prefix``);
  ``sequence``: that sequence as Admin > Settings edits it.
- ``issue``: issuing a credit note, whole, by lines or for an amount at one of the invoice's
  tax rates, never more than the invoice's total less earlier credits; what the invoice had
  been paid beyond its new total is released as the customer's credit. ``lines``: what is
  left to credit on each invoice line, the credit lines, and their tax per rate.
- ``refunds``: paying that released credit back (a payment out), the Refunded status it
  leads to, and what deleting a refund puts back.
- ``page``, ``listing``, ``pdf``, ``mailer``: what the credit note pages show, the Billing
  page's "Credit notes" tab, the PDF and the email.
"""
