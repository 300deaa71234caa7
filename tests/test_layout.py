"""The layout's rules (README, "Where things live"), read from the source itself.

Dependencies run one way: `kanban` builds on `production`; inside `production` the
concerns build on the core and never the reverse (the webhook outbox is the one concern
the core calls); no app imports `config`; the pure cores import no Django; no import
cycle at module level. Every import counts, the ones inside functions too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONCERNS = ("webhooks", "planning", "comparisons", "dashboards", "ops", "masterdata")
# Concerns the core may call: the outbox it writes inside its own transactions.
CALLED_BY_CORE = ("webhooks",)
PURE = (
    "production.planning.core",
    "production.planning.forecasting",
    "production.comparisons.twin",
)
# A concern's command must sit in the app's own management folder for Django to find it.
REGISTRY = ("production.management.commands",)


def _modules() -> Iterator[tuple[str, Path]]:
    for app in ("production", "kanban", "config"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imports(path: Path, module: str, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = dict(_modules())


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _concern_of(name: str) -> str | None:
    for concern in CONCERNS:
        if _within(name, f"production.{concern}"):
            return concern
    return None


def test_no_app_imports_config() -> None:
    offenders = [
        (name, target)
        for name, path in MODULES.items()
        if not _within(name, "config")
        for target in _imports(path, name)
        if _within(target, "config")
    ]
    assert offenders == []


def test_production_never_imports_kanban() -> None:
    offenders = [
        (name, target)
        for name, path in MODULES.items()
        if _within(name, "production")
        for target in _imports(path, name)
        if _within(target, "kanban")
    ]
    assert offenders == []


def test_the_core_calls_no_concern_but_the_webhook_outbox() -> None:
    offenders = []
    for name, path in MODULES.items():
        if not _within(name, "production") or _concern_of(name) or name == "production.apps":
            continue
        if any(_within(name, r) for r in REGISTRY):
            continue
        for target in _imports(path, name):
            concern = _concern_of(target)
            if concern and concern not in CALLED_BY_CORE:
                offenders.append((name, target))
    assert offenders == []


@pytest.mark.parametrize("pure", PURE)
def test_pure_cores_import_no_django_and_no_django_side(pure: str) -> None:
    offenders = []
    for name, path in MODULES.items():
        if not _within(name, pure):
            continue
        for target in _imports(path, name):
            django_side = _within(target, "production") and not any(
                _within(target, p) for p in PURE
            )
            if _within(target, "django") or _within(target, "rest_framework") or django_side:
                offenders.append((name, target))
    assert offenders == []


def test_no_import_cycle_at_module_level() -> None:
    graph = {
        name: {
            target
            for target in _imports(path, name, top_level_only=True)
            if target in MODULES and not _within(name, target)  # its own package: already importing
        }
        for name, path in MODULES.items()
    }
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_no_module_named_by_a_concern_prefix_outside_its_folder() -> None:
    prefixes = ("planning_", "dashboard_", "selectors_dashboard", "twin_", "comparison_")
    offenders = [
        str(path.relative_to(ROOT))
        for name, path in MODULES.items()
        if path.stem.startswith(prefixes) and not _concern_of(name)
    ]
    assert offenders == []


MAX_MODULE_LINES = 450  # "about 400": past it a module is split along a line of meaning


def test_no_module_is_past_about_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in MODULES.values()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
