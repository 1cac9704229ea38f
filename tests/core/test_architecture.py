"""The house rules the code keeps (issue 13, "Must show"), read from the source with ``ast``:
modules of at most 600 lines, no import cycle between xuala's modules, and no app importing
from the two faces (the client area in xuala/portal, the agents' console in xuala/console).

The import graph counts every ``import`` and ``from ... import`` that runs, at module level
and inside functions alike: an import moved into a function still makes one module need the
other, it only postpones the cycle until the call. Imports under ``if TYPE_CHECKING:`` are
left out (they never run). An edge goes to the module named; importing
``xuala.desk.services`` does not count as importing the package ``xuala.desk`` too, since a
package's ``__init__`` holds no code that imports back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import xuala

ROOT = Path(xuala.__file__).resolve().parent
MAX_LINES = 600
FACES = ("xuala.portal", "xuala.console")


def _sources() -> dict[str, Path]:
    """Module name -> file, for every module of xuala/ outside migrations."""
    modules = {}
    for file in sorted(ROOT.rglob("*.py")):
        relative = file.relative_to(ROOT.parent)
        if "migrations" in relative.parts:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = file
    return modules


MODULES = _sources()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every import statement that runs, wherever it stands (not under TYPE_CHECKING)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _target(name: str) -> str | None:
    """The xuala module ``name`` stands for: itself, or the nearest enclosing module (a name
    imported from a module, not a submodule)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> set[str]:
    file = MODULES[module]
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(file.read_text(), filename=str(file))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            names = [name if name in MODULES else base for name in names]
        for name in names:
            target = _target(name) if name.startswith("xuala") else None
            if target is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_sees_the_imports_it_should():
    """The reader is right about the kinds of import it must follow (else the checks below
    would pass on an empty graph)."""
    assert "xuala.web.access" in GRAPH["xuala.quotes.views_portal"]  # from x.y import name
    assert "xuala.desk.models" in GRAPH["xuala.desk.opening"]
    assert "xuala.customers.delivery" in GRAPH["xuala.portal.views"]  # inside a function
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_over_600_lines():
    long = {module: count for module, file in MODULES.items()
            if (count := len(file.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle_between_modules():
    assert _cycles(GRAPH) == []


def test_no_app_imports_from_the_portal_or_the_console():
    outside = {module: sorted(target for target in targets if target.startswith(FACES))
               for module, targets in GRAPH.items() if not module.startswith(FACES)}
    assert {module: targets for module, targets in outside.items() if targets} == {}


def _settings_reads(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The XUALA_* names a module reads as ``settings.NAME``, and those it reads through
    ``getattr(settings, NAME, ...)`` (a second default beside the declaration's)."""
    plain, with_default = set(), set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "settings" and node.attr.startswith("XUALA_")):
            plain.add(node.attr)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings"
              and isinstance(node.args[1], ast.Constant)):
            with_default.add(node.args[1].value)
    return plain, with_default


def test_every_setting_is_declared_once_and_read_without_a_second_default():
    declared = {target.id for node in ast.parse((ROOT / "settings.py").read_text()).body
                if isinstance(node, ast.Assign) for target in node.targets
                if isinstance(target, ast.Name)}
    undeclared, defaulted = {}, {}
    for module, file in MODULES.items():
        plain, with_default = _settings_reads(ast.parse(file.read_text()))
        if missing := sorted(plain - declared):
            undeclared[module] = missing
        if with_default:
            defaulted[module] = sorted(with_default)
    assert undeclared == {}, f"read but not declared in xuala/settings.py: {undeclared}"
    assert defaulted == {}, f"read with getattr and a default of their own: {defaulted}"
    # The reader sees what it should, else the checks above would pass on nothing.
    assert _settings_reads(ast.parse("settings.XUALA_A\ngetattr(settings, 'B', 1)")) == (
        {"XUALA_A"}, {"B"})
