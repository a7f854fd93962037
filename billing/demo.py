"""Demo data: a believable MSP's last three months."""


def seed_demo() -> str:
    """Fill the database with demo data; returns a one-line summary."""
    return "Demo data: none yet."
