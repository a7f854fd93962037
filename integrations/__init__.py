"""Integrations with the outside world: OAuth, the accounting ledgers, secrets at rest."""
