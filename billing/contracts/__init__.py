"""Contracts: what a customer is billed for, and how (the Contracts pages).

- ``terms``: the terms of each contract type, pure rules.
- ``store``: saving contracts, with the rules that need the database.
- ``parts``: a contract's rates, recurring service lines and per-unit counts.
- ``periods``: billing periods (months, quarters, years) and proration by days.
- ``blocks``: the running balance of a block of hours or money.
"""
