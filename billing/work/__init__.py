"""The work an MSP records and bills (the Work menu).

- ``customers``: creating and changing customers, and what the customer pages read.
- ``tickets``: tickets, their status machine, and the lock once billed.
- ``items``: time entries and expenses on a ticket.
- ``durations``: durations as technicians type them, stored as whole minutes.
- ``totals``: hours and value of recorded work, for many tickets in one query.
"""
