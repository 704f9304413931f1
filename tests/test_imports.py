"""Every module under forum/ imports on its own, and no two modules of forum/ import each
other, directly or round a circle, at top level or inside a function.

An import cycle hidden inside a function only fails when that code path runs, as a 500 on a
page. Importing each module in a fresh interpreter, in more than one order, makes a cycle fail
the suite; the ast check below names any cycle, a function's imports included, before it bites.
"""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import forum

ROOT = Path(forum.__file__).parent
# forum.wsgi builds an application at import time (the production entry point).
NOT_IMPORTED = {"forum.wsgi"}


def _modules() -> list[str]:
    names = ["forum"] + [
        info.name for info in pkgutil.walk_packages([str(ROOT)], prefix="forum.")
    ]
    return sorted(name for name in names if name not in NOT_IMPORTED)


_SORTED = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] != "forum")))
"""

# Each module alone, in a forked child of an interpreter that has loaded the third-party
# libraries but nothing of forum: as good as a fresh interpreter for finding a cycle among
# forum's modules, at a fraction of the cost of starting Python once per module.
_ALONE = """
import importlib, json, os, sys, traceback
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:
        pass
assert not [m for m in sys.modules if m.split(".")[0] == "forum"], "preloaded forum"
failed = []
for name in sys.argv[2:]:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print(" ".join(failed))
sys.exit(1 if failed else 0)
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT.parent, timeout=300)


def test_modules_import_in_sorted_then_reverse_order_and_cycle_members_alone():
    modules = _modules()
    together = _run(_SORTED, *modules)
    assert together.returncode == 0, together.stderr[-4000:]
    backwards = _run(_SORTED, *modules[::-1])
    assert backwards.returncode == 0, backwards.stderr[-4000:]
    # Only a module on an import cycle can fail when it is the first one imported; each such
    # module alone, in reverse order, catches a cycle that breaks in one order only.
    on_cycles = sorted({name for cycle in _cycles(_import_graph()) for name in cycle}
                       - NOT_IMPORTED, reverse=True)
    alone = _run(_ALONE, together.stdout.strip().splitlines()[-1], *on_cycles)
    assert alone.returncode == 0, f"failed alone: {alone.stdout}\n{alone.stderr[-6000:]}"


def _module_files() -> dict[str, Path]:
    files = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _run_at_import(body: list[ast.stmt], *, functions: bool = False):
    """The statements that run when the module is imported (with functions=True, also those
    that run when its functions are called); never `if TYPE_CHECKING:` blocks."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if functions or isinstance(node, ast.ClassDef):
                yield from _run_at_import(node.body, functions=functions)
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _run_at_import(node.orelse, functions=functions)
            continue
        yield node
        for field in ("body", "orelse", "finalbody"):
            yield from _run_at_import(getattr(node, field, None) or [], functions=functions)
        for handler in getattr(node, "handlers", None) or []:
            yield from _run_at_import(handler.body, functions=functions)


def _imports(name: str, path: Path, known: set[str], *, functions: bool = False) -> set[str]:
    """The forum modules `name` imports when it is itself imported (with functions=True, also
    inside its functions); imports under `if TYPE_CHECKING:` never run."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _run_at_import(tree.body, functions=functions):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & known
            found.update(submodules)
            # `from pkg import name` needs pkg itself only when a name is not a submodule.
            if target in known and len(submodules) < len(node.names):
                found.add(target)
    found.discard(name)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                    components.append(sorted(component))
    return sorted(components)


def _import_graph(*, functions: bool = False) -> dict[str, set[str]]:
    files = _module_files()
    known = set(files)
    return {name: _imports(name, path, known, functions=functions)
            for name, path in files.items()}


def test_cycle_finder_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_imports_inside_functions_and_classes(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("from forum import a\n"
                    "def f():\n    from forum import b\n"
                    "class C:\n    from forum import c\n"
                    "    def g(self):\n        import forum.d\n"
                    "if TYPE_CHECKING:\n    from forum import e\n")
    known = {f"forum.{x}" for x in "abcde"}
    assert _imports("forum.mod", path, known) == {"forum.a", "forum.c"}
    assert _imports("forum.mod", path, known, functions=True) == {
        "forum.a", "forum.b", "forum.c", "forum.d"}


def test_no_import_cycle_among_forum_modules():
    # Every layer and feature: a cycle through a function's import is still a cycle, one
    # that only shows when that function first runs.
    assert _cycles(_import_graph(functions=True)) == []


def test_each_feature_package_names_its_modules_floor_by_floor():
    # A package's face (its __init__ docstring) lists its modules from the lowest floor up; a
    # module may import only from floors below its own, so the face stays a true map.
    graph = _import_graph(functions=True)
    services = ROOT / "services"
    packages = sorted(p.parent for p in services.glob("*/__init__.py"))
    assert packages
    for package in packages:
        face = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert face and len((package / "__init__.py").read_text().splitlines()) < 40, package
        listed = face.split("Floors, lowest first:", 1)[1].split("\n\n", 1)[0]
        floors = [re.findall(r"`([a-z_]+)`", part) for part in listed.split("→")]
        floor_of = {name: i for i, names in enumerate(floors) for name in names}
        prefix = f"forum.services.{package.name}."
        modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
        assert set(floor_of) >= modules, (package.name, modules - set(floor_of))
        for module in modules:
            for dep in graph[prefix + module]:
                if dep.startswith(prefix):
                    below = dep[len(prefix):]
                    assert floor_of[below] < floor_of[module], (package.name, module, below)
