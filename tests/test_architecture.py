"""The shape of the code: data flows one way through the stages, no import cycles, small modules.

See docs/architecture.md. These read the source with `ast`; they import nothing from cmpacket.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "cmpacket"
MAX_LINES = 400
# The stages in pipeline order; a module may import its own stage and earlier ones only.
STAGES = ["model", "intake", "validators", "plan", "render", "assemble", "verify", "pipeline"]
SHARED = {
    "errors",
    "findings",
    "_dates",
    "templates",
    "receivers",
    "convert",
    "cache",
    "interrupt",
    "cmpacket",
}
FACADES = {"api", "cli", "serve", "__main__"}  # the library facade, the CLI and the preview over it


def _modules() -> dict[str, Path]:
    mods = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the cmpacket modules it imports anywhere (functions included), except under
    `if TYPE_CHECKING:`, which never runs."""
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    pkg = name.split(".")[: -node.level or None]
                    if path.name == "__init__.py":
                        pkg = name.split(".")[: len(name.split(".")) - node.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                # `from pkg import name`: the submodule pkg.name if there is one, else pkg
                targets = [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                while target not in mods and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in mods and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_import_cycles() -> None:
    assert _cycles(_imports(_modules())) == []


def test_cycle_detection_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_no_module_over_the_line_limit() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_stages_import_only_earlier_stages_and_never_the_facade() -> None:
    graph = _imports(_modules())
    wrong = []
    for module, deps in graph.items():
        here = _top(module)
        for dep in deps:
            there = _top(dep)
            if there in SHARED or there == here or here in FACADES:
                continue
            if there in FACADES:
                wrong.append(f"{module} imports the facade {dep}")
            elif here in STAGES and there in STAGES and STAGES.index(there) > STAGES.index(here):
                wrong.append(f"{module} ({here}) imports a later stage: {dep}")
            elif here in SHARED and there in STAGES:
                wrong.append(f"shared module {module} imports the stage {dep}")
    assert wrong == []


def test_every_top_level_module_belongs_to_a_stage_or_is_shared() -> None:
    tops = {_top(m) for m in _modules()}
    assert tops <= set(STAGES) | SHARED | FACADES, tops - set(STAGES) - SHARED - FACADES
