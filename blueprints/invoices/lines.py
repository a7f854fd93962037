"""Adding, editing and removing the lines of a Draft invoice (htmx fragments)."""
