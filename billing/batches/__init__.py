"""Invoice batches: billing a period's work in one go (the Batches pages).

- ``preview``: what a batch would bill; ``period_order``: which periods each contract charges;
  ``ticket_resolution``: which period bills a ticket.
- ``rules``: one billing rule per contract type, over the inputs in ``charges``.
- ``store``: saving and deleting a batch; ``save``: save-then-export, for the web and the CLI.
"""
