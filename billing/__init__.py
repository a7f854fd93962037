"""The domain rules of MSP Billing, as plain functions over models.

Nothing here reads ``flask.request`` or renders HTML; functions raise :mod:`billing.errors`
and leave committing to the caller.
"""
