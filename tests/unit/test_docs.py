"""docs/architecture.md names modules that exist: moving one means updating the text."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_file(dotted: str) -> Path | None:
    """The file of module ``dotted`` (a module or a package), or None."""
    base = ROOT / dotted.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def named_thing_exists(dotted: str) -> bool:
    """``dotted`` is a module, or a module and a name it defines (``billing.x.save_batch``)."""
    if module_file(dotted):
        return True
    module, _, name = dotted.rpartition(".")
    path = module_file(module)
    pattern = rf"^(?:def|class) {name}\b|^{name}\b.*="
    return path is not None and re.search(pattern, path.read_text(), re.M) is not None


def test_every_file_and_module_the_architecture_names_exists():
    text = (ROOT / "docs" / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:billing|blueprints|integrations|tests|demo)/[\w/]+\.py)`", text))
    modules = set(re.findall(r"`((?:billing|integrations|blueprints|demo)(?:\.\w+)+)`", text))
    assert len(paths) > 15 and len(modules) > 15  # the patterns still find them
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    missing += sorted(m for m in modules if not named_thing_exists(m))
    assert missing == []
