"""The shape of the code, as docs/architecture.md draws it: packages import only what the picture's
arrows allow (and the shared modules), never another package's private module, never in a cycle;
cmpacket is imported at the top of a module, not inside functions (but the listed few); no module
is over the line limit.

These read the source with `ast` and import nothing from cmpacket. Each check is also run on a
copy of the source with one violation planted, to show it catches what it is for.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "cmpacket"
PICTURE = ROOT / "docs" / "architecture.md"
MAX_LINES = 400
# cmpacket imported inside a function, on purpose: the command line imports the library (and the
# preview, an optional extra) only when a command runs, so `cmpacket --help` is instant
LAZY = {("cli", "api"), ("cli", "review"), ("cli", "serve"), ("serve", "serve._server")}


def picture(path: Path = PICTURE) -> tuple[dict[str, set[str]], set[str]]:
    """The allowed imports (box -> boxes) and the shared modules, read from the Mermaid picture."""
    text = path.read_text(encoding="utf-8")
    block = text.split("```mermaid", 1)[1].split("```", 1)[0]
    names = dict(re.findall(r"(\w+)\[(\w+)\]", block))  # id[label], e.g. main[__main__]
    allowed: dict[str, set[str]] = {}
    shared: set[str] = set()
    in_shared = False
    for raw in block.splitlines():
        line = re.sub(r"(\w+)\[\w+\]", r"\1", raw.strip())
        if line.startswith("subgraph shared"):
            in_shared = True
        elif line == "end":
            in_shared = False
        elif in_shared:
            shared |= {names.get(n.strip(), n.strip()) for n in line.split(";") if n.strip()}
        elif "-->" in line:
            left, right = (side.strip() for side in line.split("-->"))
            targets = {names.get(t.strip(), t.strip()) for t in right.split("&")}
            allowed.setdefault(names.get(left, left), set()).update(targets)
    return allowed, shared


def modules(src: Path = SRC) -> dict[str, Path]:
    mods = {}
    for path in src.rglob("*.py"):
        parts = list(path.relative_to(src.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def imports(mods: dict[str, Path]) -> dict[str, list[tuple[str, int, bool]]]:
    """Module -> (cmpacket module imported, line, inside a function) for every import except
    under `if TYPE_CHECKING:`, which never runs."""
    out: dict[str, list[tuple[str, int, bool]]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        top = {id(node) for node in tree.body}
        found: list[tuple[str, int, bool]] = []
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
                    found.append((target, node.lineno, id(node) not in top))
        out[name] = found
    return out


def box(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def forbidden_imports(src: Path = SRC, drawn: Path = PICTURE) -> list[str]:
    """Imports between packages that the picture does not allow."""
    allowed, shared = picture(drawn)
    wrong = []
    for module, found in imports(modules(src)).items():
        here = box(module)
        for target, line, _ in found:
            there = box(target)
            if there == here or there in shared or there in allowed.get(here, set()):
                continue
            wrong.append(f"{module}:{line} imports {target} ({here} -> {there} is not drawn)")
    return sorted(wrong)


def private_reach_ins(src: Path = SRC) -> list[str]:
    """Imports of another package's private module (`cmpacket.x._y` from outside `x`)."""
    wrong = []
    for module, found in imports(modules(src)).items():
        for target, line, _ in found:
            parts = target.split(".")
            private = next((i for i, p in enumerate(parts) if p.startswith("_")), None)
            if private is None or private < 2:
                continue  # cmpacket._dates and the like are shared modules, not a package's
            owner = ".".join(parts[:private])
            if not (module == owner or module.startswith(owner + ".")):
                wrong.append(f"{module}:{line} imports {target}, private to {owner}")
    return sorted(wrong)


def imports_in_functions(src: Path = SRC) -> list[str]:
    """cmpacket imported inside a function (what a module's top says it depends on should be
    what it does), except the LAZY pairs."""
    wrong = []
    for module, found in imports(modules(src)).items():
        for target, line, inner in found:
            rest = target.split(".", 1)[1] if "." in target else target
            if inner and (box(module), rest) not in LAZY and (box(module), box(target)) not in LAZY:
                wrong.append(f"{module}:{line} imports {target} inside a function")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
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

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def import_cycles(src: Path = SRC) -> list[list[str]]:
    return cycles({m: {t for t, _, _ in found} for m, found in imports(modules(src)).items()})


def test_every_import_between_packages_is_drawn_in_the_picture() -> None:
    assert forbidden_imports() == []


def test_no_package_imports_another_package_s_private_module() -> None:
    assert private_reach_ins() == []


def test_cmpacket_is_imported_at_the_top_of_modules() -> None:
    assert imports_in_functions() == []


def test_no_import_cycles() -> None:
    assert import_cycles() == []


def test_no_module_over_the_line_limit() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_is_a_box_of_the_picture() -> None:
    allowed, shared = picture()
    drawn = set(allowed) | {t for ts in allowed.values() for t in ts} | shared
    assert {box(m) for m in modules()} <= drawn


def test_render_never_imports_the_rules() -> None:
    """Documents receive the rules' results as data (`Report.staff`, `Report.evidence`)."""
    allowed, _ = picture()
    assert "validators" not in allowed["render"]
    wrong = [
        f"{m} imports {t}"
        for m, found in imports(modules()).items()
        if box(m) == "render"
        for t, _, _ in found
        if box(t) == "validators"
    ]
    assert wrong == []


# --- each check catches what it is for: a violation planted in a copy of the source ---


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "cmpacket"
    shutil.copytree(SRC, dest, ignore=shutil.ignore_patterns("__pycache__", "*.ttf"))
    return dest


def plant(path: Path, line: str) -> None:
    """Add an import after the module's `from __future__` line (inside a function if indented)."""
    text = path.read_text(encoding="utf-8")
    if line.startswith("    "):
        text += f"\n\ndef _planted() -> None:\n{line}\n"
    else:
        text = text.replace(
            "from __future__ import annotations\n", f"from __future__ import annotations\n{line}\n"
        )
    path.write_text(text, encoding="utf-8")


def test_a_forbidden_import_is_caught(copy: Path) -> None:
    plant(copy / "render" / "_context.py", "from cmpacket.validators import check")
    assert any(
        "render._context" in w and "render -> validators" in w for w in forbidden_imports(copy)
    )


def test_a_later_stage_imported_by_an_earlier_one_is_caught(copy: Path) -> None:
    plant(copy / "model" / "_load.py", "from cmpacket.plan import plan")
    assert any("model -> plan" in w for w in forbidden_imports(copy))


def test_a_private_reach_in_is_caught(copy: Path) -> None:
    plant(copy / "validators" / "_check.py", "from cmpacket.intake._ocr import engine")
    found = [w for w in private_reach_ins(copy) if w.startswith("cmpacket.validators._check:")]
    assert [w.split(" ", 1)[1] for w in found] == [
        "imports cmpacket.intake._ocr, private to cmpacket.intake"
    ]


def test_a_cycle_is_caught(copy: Path) -> None:
    plant(copy / "plan" / "_plan.py", "from cmpacket.plan._planned import Planned")
    assert any(
        {"cmpacket.plan._plan", "cmpacket.plan._planned"} <= set(c) for c in import_cycles(copy)
    )


def test_an_import_inside_a_function_is_caught(copy: Path) -> None:
    plant(copy / "plan" / "_index.py", "    from cmpacket.model import load_folder")
    assert [w for w in imports_in_functions(copy) if "plan._index" in w] != []


def test_an_arrow_removed_from_the_picture_forbids_its_imports(tmp_path: Path) -> None:
    drawn = tmp_path / "architecture.md"
    drawn.write_text(
        PICTURE.read_text(encoding="utf-8").replace("  plan --> model\n", ""), encoding="utf-8"
    )
    assert any("plan -> model" in w for w in forbidden_imports(drawn=drawn))
