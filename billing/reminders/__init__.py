"""Overdue reminders: emails to customers whose invoices are past due (issue #15).

- ``schedule``: the steps set in Admin > Reminders (so many days past due, a subject and body
  with placeholders), checked when saved, and the usual 7, 14 and 30 days.
- ``send``: which invoices are due a reminder and at which step (only the highest step reached,
  never one lower than a step already sent), sending one with the PDF attached, and the
  outcome recorded on the invoice's trail. ``ReminderSent``'s unique key (invoice, step) is
  what keeps a step from going twice, even from two runs at once.
- ``card``: what the invoice page shows: the reminders sent, and the step "Send reminder now"
  would send or why it cannot.
"""
