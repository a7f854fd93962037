"""The invoice page, new flexible invoices, header edits and status changes."""
