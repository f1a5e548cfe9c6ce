"""Template registry: an ordered, inspectable search path and a sandboxed Jinja environment."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateRuntimeError,
    Undefined,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cmpacket.templates._filters import FILTERS, GLOBALS, counties, long_date, ref_text

__all__ = [
    "BUILTIN_ROOT",
    "FILTERS",
    "TemplateRegistry",
    "printable",
    "Winner",
    "counties",
    "long_date",
    "ref_text",
]

BUILTIN_ROOT = Path(str(resources.files("cmpacket.templates").joinpath("builtin")))
TEMPLATE_SUFFIXES = (".html.j2", ".txt.j2", ".css", ".docx")


class _Compiled(BytecodeCache):
    """Templates compiled once per process (a preview, a test session: many builds): Jinja keys
    each by its name and file and checks its source's digest before reuse, so an edited template
    is compiled again. One entry per template file; nothing is written to disk: compiled code
    read back from a cache folder would run whatever someone able to write there put in it (a
    shared --cache-dir, a restored CI cache), outside the sandbox."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _Compiled()  # every registry's environment is configured alike (TemplateRegistry.env)


@dataclass(frozen=True)
class Winner:
    """The file that wins for a template name, and the root it came from."""

    name: str
    path: Path
    root: Path
    builtin: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def origin(self) -> str:
        return "built-in" if self.builtin else str(self.root)


class _RootLoader(FileSystemLoader):
    """A FileSystemLoader that refuses any file whose real path leaves its root (symlinks)."""

    def __init__(self, searchpath: list[str], used: dict[str, Path]) -> None:
        super().__init__(searchpath)
        self.used = used

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(r).resolve()) for r in self.searchpath):
            raise TemplateNotFound(template)
        self.used[template] = real
        return source, filename, uptodate


def printable(value: Any) -> Any:
    """What `{{ ... }}` may print: a value, never a function or method. A mapping's key that is
    also a method name (`r.items`, `r.keys`) reads as the method: printing it would put
    `<built-in method ...at 0x...>` in a packet, different on every run."""
    if callable(value) and not isinstance(value, Undefined):
        raise TemplateRuntimeError(
            f"a template prints {getattr(value, '__name__', 'a function')!r}, a function, not "
            'a value; for a key of that name write x["name"] instead of x.name'
        )
    return value


class TemplateRegistry:
    """Template roots in search order: each --template-dir, DIR/templates, the built-ins."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [r.resolve() for r in roots]
        self._env: ImmutableSandboxedEnvironment | None = None
        self.used: dict[str, Path] = {}  # every template file read, for the manifest

    @classmethod
    def for_agency(
        cls, folder: Path | None, template_dirs: tuple[Path, ...] = ()
    ) -> TemplateRegistry:
        roots = [Path(d) for d in template_dirs]
        if folder is not None and (folder / "templates").is_dir():
            roots.append(folder / "templates")
        return cls([*roots, BUILTIN_ROOT])

    def find(self, name: str) -> Winner:
        """The winning file for `name`; raises TemplateNotFound."""
        for root in self.roots:
            path = (root / name).resolve()
            if path.is_file() and path.is_relative_to(root) and ".." not in Path(name).parts:
                self.used[name] = path
                return Winner(name, path, root, root == BUILTIN_ROOT.resolve())
        raise TemplateNotFound(name)

    def exists(self, name: str) -> bool:
        return any((root / name).is_file() for root in self.roots)

    def winners_used(self) -> list[Winner]:
        """The winning file of every template read so far, sorted by name."""
        out = []
        for name, path in sorted(self.used.items()):
            root = next(r for r in self.roots if path.is_relative_to(r))
            out.append(Winner(name, path, root, root == BUILTIN_ROOT.resolve()))
        return out

    def names(self, suffixes: tuple[str, ...] | None = TEMPLATE_SUFFIXES) -> dict[str, list[Path]]:
        """Every template name (or, with suffixes=None, every file) and, in search order, each
        root that has a file of that name."""
        found: dict[str, list[Path]] = {}
        for root in self.roots:
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(root).as_posix()
                if path.is_file() and (suffixes is None or rel.endswith(suffixes)):
                    found.setdefault(rel, []).append(root)
        return dict(sorted(found.items()))

    @property
    def env(self) -> ImmutableSandboxedEnvironment:
        if self._env is None:
            env = ImmutableSandboxedEnvironment(
                loader=_RootLoader([str(r) for r in self.roots], self.used),
                undefined=StrictUndefined,
                autoescape=select_autoescape(["html.j2", "html"], default=False),
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                finalize=printable,
                bytecode_cache=_COMPILED,
            )
            env.filters.update(FILTERS)
            env.globals.update(GLOBALS)
            self._env = env
        return self._env
