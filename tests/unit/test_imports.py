"""The app's import graph: no circles, and the lower layers never import the web layer.

Every ``import`` and ``from ... import`` is read with ``ast``, at module level and inside
functions alike (a deferred import still ties the modules together), relative imports resolved,
and ``from package import module`` taken as an import of that module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_MODULES = ("app.py", "extensions.py", "models.py", "clock.py")
PACKAGES = ("billing", "integrations", "blueprints", "demo")
# The web layer, and the demo data built over the domain: nothing below them imports them.
UPPER = ("blueprints", "app", "demo")


def module_files() -> dict[str, Path]:
    """Each app module's dotted name and its file."""
    found = {}
    for name in TOP_MODULES:
        if (ROOT / name).exists():
            found[name.removesuffix(".py")] = ROOT / name
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(name: str, path: Path, modules: set[str]) -> set[str]:
    """The app modules that module ``name`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
    found = set()
    for target in targets:
        # "import a.b.c" of a name that is not a module: the nearest enclosing module.
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name and not name.startswith(target + "."):
            found.add(target)  # a module importing its own package's __init__ does not count
    return found


def import_graph() -> dict[str, set[str]]:
    """Each app module and the app modules it imports."""
    files = module_files()
    return {name: imported_names(name, path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]], among: set[str] | None = None) -> list[str] | None:
    """One import circle as a path back to its start, or None (depth-first; ``among``: only
    these modules)."""
    among = set(graph) if among is None else among
    done: set[str] = set()
    for start in sorted(among):
        if start in done:
            continue
        path = [start]
        pending = [iter(sorted(graph[start] & among))]
        while pending:
            step = next(pending[-1], None)
            if step is None:
                done.add(path.pop())
                pending.pop()
            elif step in path:
                return path[path.index(step) :] + [step]
            elif step not in done:
                path.append(step)
                pending.append(iter(sorted(graph[step] & among)))
    return None


def circles(graph: dict[str, set[str]]) -> list[str]:
    """Every group of modules that import each other round (strongly connected, Tarjan), each
    shown as its size and one circle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in sorted(graph[name]):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            group = {stack.pop()}
            while name not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return [
        f"{len(group)} modules, e.g. " + " -> ".join(find_cycle(graph, group) or [])
        for group in groups
    ]


def in_layer(name: str, layer: tuple[str, ...]) -> bool:
    """Whether module ``name`` is one of ``layer``'s modules or inside one of its packages."""
    return any(name == top or name.startswith(top + ".") for top in layer)


def layer_breaches(lower: tuple[str, ...], upper: tuple[str, ...]) -> list[str]:
    """Every import from a module of ``lower`` into one of ``upper``."""
    return sorted(
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if in_layer(name, lower)
        for target in targets
        if in_layer(target, upper)
    )


def test_the_graph_sees_the_app_modules_and_deferred_imports():
    graph = import_graph()
    assert {"app", "models", "billing.batches.save", "blueprints.main.routes"} <= set(graph)
    # create_app imports the blueprints inside the function: still an arrow.
    assert "blueprints" in graph["app"]
    # "from blueprints import security_headers" is the module, not the package.
    assert "blueprints.security_headers" in graph["app"]


def test_no_import_circles():
    found = circles(import_graph())
    assert found == [], "import circles:\n" + "\n".join(found)


def test_the_domain_ledgers_and_models_never_import_the_web_layer_or_the_demo():
    assert layer_breaches(("billing", "integrations", "models", "extensions", "clock"), UPPER) == []


def test_the_models_and_extensions_import_nothing_from_the_domain():
    assert layer_breaches(("models", "extensions", "clock"), ("billing",)) == []


def test_blueprints_do_not_import_one_another():
    # Shared view code sits in blueprints/*.py; the access decorators are the one exception.
    shared = {"blueprints.auth.access"}
    areas = {
        path.name for path in (ROOT / "blueprints").iterdir() if (path / "__init__.py").exists()
    }

    def area(name: str) -> str | None:
        parts = name.split(".")
        return (
            parts[1] if len(parts) > 1 and parts[0] == "blueprints" and parts[1] in areas else None
        )

    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if area(name)
        for target in targets
        if area(target) not in (None, area(name)) and target not in shared
    )
    assert wrong == []


def test_cycle_finder_reports_the_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert circles(graph) == ["3 modules, e.g. a -> b -> c -> a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_domain_is_grouped_by_area():
    # billing/ holds its areas as subpackages, each saying in its docstring what it holds;
    # what every area shares stays at the top (money, numbers, settings, errors ...).
    areas = {"work", "contracts", "batches", "invoices", "ledgers"}
    for area in areas:
        init = ROOT / "billing" / area / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), area
    top = {path.stem for path in (ROOT / "billing").glob("*.py")} - {"__init__"}
    assert len(top) <= 15, sorted(top)
    assert not (ROOT / "billing" / "demo.py").exists()
    graph = import_graph()
    assert "demo.build" in graph and "billing.batches.save" in graph
