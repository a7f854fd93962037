"""docs/architecture.md names modules that exist: moving one means updating the text."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_and_module_the_architecture_names_exists():
    text = (ROOT / "docs" / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:billing|blueprints|integrations|tests)/[\w/]+\.py)`", text))
    modules = set(re.findall(r"`((?:billing|integrations|blueprints)\.\w+)[.`]", text))
    assert len(paths) > 15 and len(modules) > 15  # the patterns still find them
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    missing += sorted(
        m
        for m in modules
        if not (ROOT / (m.replace(".", "/") + ".py")).exists()
        and not (ROOT / m.replace(".", "/") / "__init__.py").exists()
    )
    assert missing == []
