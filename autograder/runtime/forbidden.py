"""PyTorch APIs a submission may not use, found two ways.

The exercises ask students to write attention and layer normalisation themselves, so a submission
may not call ``F.scaled_dot_product_attention``, ``nn.MultiheadAttention``,
``F.multi_head_attention_forward``, any ``nn.Transformer*`` class, ``nn.LayerNorm`` or
``F.layer_norm`` (nor the private ``torch`` ops behind them).

- **Statically** (:func:`scan_root`, in the trusted process, both grading modes): the AST of every
  file of the submission's packages is read, never executed. It flags forbidden attributes of a
  ``torch`` module (through any import alias), ``from torch.nn import LayerNorm``, star imports
  from ``torch``, ``getattr`` on a ``torch`` module with a forbidden or computed name (string
  concatenations are folded first), string constants naming a ``torch``-only forbidden API, and
  the ways around a check (``exec``/``eval``/``compile``, ``ctypes``, ``gc``, ``sys.modules``,
  frame and code objects). An exercise whose module (or a student module it imports) has a
  finding fails every test with the finding's file, line and API.
- **At run time** (:func:`install`, in the worker only, before any student module is imported): the
  forbidden operators are refused where PyTorch dispatches them (one door for ``F.*``, ``torch.*``,
  ``torch._C.*``, ``torch.ops.aten.*`` and ``_jit_get_operation``), and the Python functions that compute
  them out of allowed operators get a body that refuses. Nothing in the worker needs them (the stand-ins
  of earlier exercises use allowed operators only), so there is no switch to turn the guard off and no
  frame to trust. Each use is also recorded, so a student who catches the error still fails the call.

This module imports nothing outside the standard library and the runtime: it is copied into the worker's runtime.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.runtime.curriculum import PACKAGES

FORBIDDEN_CLASSES = (
    "MultiheadAttention",
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "LayerNorm",
)
# Parts of the names of the functions and private ops behind them (F.layer_norm, torch.native_layer_norm,
# torch._scaled_dot_product_flash_attention_for_cpu, torch._native_multi_head_attention ...).
FORBIDDEN_FRAGMENTS = (
    "scaled_dot_product",
    "multi_head_attention",
    "layer_norm",
    "flash_attention",
    "scaled_dot_attention",
    "transformer_encoder_layer",
)
# Names the curriculum gives the student's own code: as strings they are not evidence of anything.
STUDENT_NAMES = frozenset({"LayerNorm", "Transformer", "scaled_dot_product_attention"})
# Ways around both checks: dynamic code, raw memory, digging objects out of the interpreter.
DYNAMIC_CALLS = frozenset({"exec", "eval", "compile", "__import__"})
DYNAMIC_MODULES = frozenset({"ctypes", "cffi", "gc", "builtins", "_ctypes"})
DYNAMIC_ATTRS = frozenset(
    {
        "__code__",
        "__globals__",
        "__builtins__",
        "__closure__",
        "cell_contents",
        "__subclasses__",
        "_getframe",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "gi_frame",
        "tb_frame",
        "__wrapped__",
        # code made at run time under a name of the kit's choosing (a guard trusts frames by file name)
        "CodeType",
        "FunctionType",
        "source_to_code",
        "co_filename",
    }
)
# The grader's runtime (the guard's own state) and the course's kit are not for submissions to import.
GRADER_MODULES = frozenset({"autograder"})
ADVICE = "the exercise asks you to write it yourself"
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\s*(?:\.|::)\s*[A-Za-z_]\w*)+")
_API_ROOTS = frozenset({"torch", "nn", "F", "functional", "aten", "ops"})


def is_forbidden_name(name: str) -> bool:
    """True for the name of a forbidden torch API (``LayerNorm``, ``layer_norm``, ``_native_multi_head_attention``)."""
    return name in FORBIDDEN_CLASSES or any(f in name for f in FORBIDDEN_FRAGMENTS)


# -- static check ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    file: str  # relative to the submission root
    line: int
    api: str  # what was used, e.g. "torch.nn.LayerNorm"
    reason: str = ADVICE

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.api} is not allowed ({self.reason})"


def _fold(node: ast.AST) -> str | None:
    """The value of a string expression built from constants ("a" + "b", f"{'a'}b", "".join([...])), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left), _fold(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and len(node.args) == 1
        and isinstance(node.args[0], (ast.List, ast.Tuple))
    ):
        sep, items = _fold(node.func.value), [_fold(e) for e in node.args[0].elts]
        return None if sep is None or any(i is None for i in items) else sep.join(items)  # type: ignore[arg-type]
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.aliases: dict[str, str] = {}  # local name -> torch module path ("F" -> "torch.nn.functional")
        self.found: dict[tuple[int, str], Violation] = {}
        self.docstrings: set[int] = set()

    def flag(self, node: ast.AST, api: str, reason: str = ADVICE) -> None:
        line = getattr(node, "lineno", 0)
        self.found.setdefault((line, api), Violation(self.file, line, api, reason))

    # pass 1: which names are torch modules
    def collect(self, nodes: list[ast.AST]) -> None:
        bindings = [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign))]
        for _ in range(3):  # aliases of aliases
            for node in bindings:
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.name.split(".")[0] == "torch":
                            self.aliases[a.asname or "torch"] = a.name if a.asname else "torch"
                elif isinstance(node, ast.ImportFrom):
                    if node.module and node.module.split(".")[0] == "torch":
                        for a in node.names:
                            self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                elif node.value is not None:
                    path = self.rooted(node.value)
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if path and isinstance(t, ast.Name):
                            self.aliases[t.id] = path
        for owner in nodes:
            if isinstance(owner, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and owner.body:
                first = owner.body[0]
                if (
                    isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)
                ):
                    self.docstrings.add(id(first.value))

    def rooted(self, node: ast.AST) -> str | None:
        """The torch path an expression denotes (``nn.functional`` -> ``torch.nn.functional``), or None."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.rooted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and node.args:
            name = _fold(node.args[0])
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if callee in ("import_module", "__import__") and name and name.split(".")[0] == "torch":
                return name
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "modules":
            name = _fold(node.slice)
            return name if name and name.split(".")[0] == "torch" else None
        return None

    # pass 2: uses
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            top = a.name.split(".")[0]
            if top in GRADER_MODULES:
                self.flag(node, f"import {a.name}", "a submission may not import the grader")
            elif top in DYNAMIC_MODULES:
                self.flag(node, f"import {a.name}", "the grader cannot check code that uses it")
            elif top == "torch" and any(is_forbidden_name(part) for part in a.name.split(".")[1:]):
                self.flag(node, a.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        top = module.split(".")[0]
        if top in GRADER_MODULES and not node.level:
            self.flag(node, f"from {module} import ...", "a submission may not import the grader")
        elif top in DYNAMIC_MODULES:
            self.flag(node, f"from {module} import ...", "the grader cannot check code that uses it")
        elif top == "torch":
            for a in node.names:
                if a.name == "*":
                    self.flag(
                        node,
                        f"from {module} import *",
                        "import the names you use, so that none of the forbidden APIs comes with them",
                    )
                elif is_forbidden_name(a.name):
                    self.flag(node, f"{module}.{a.name}")
        elif top == "sys" and any(a.name == "modules" for a in node.names):
            self.flag(node, "sys.modules", "the grader cannot check code that uses it")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base = self.rooted(node.value)
        if base and is_forbidden_name(node.attr):
            self.flag(node, f"{base}.{node.attr}")
        elif base == "torch" and node.attr == "ops":
            self.flag(node, "torch.ops", "a submission uses torch's public API, not its low-level ops")
        elif base and node.attr in ("__dict__", "__getattribute__"):
            self.flag(node, f"{base}.{node.attr}", "look attributes of torch up by name, without __dict__")
        elif node.attr in DYNAMIC_ATTRS:
            self.flag(node, node.attr, "the grader cannot check code that uses it")
        elif node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
            self.flag(node, "sys.modules", "the grader cannot check code that uses it")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name in DYNAMIC_CALLS:
            self.flag(node, f"{name}()", "the grader cannot check dynamically executed code")
        elif name in ("getattr", "hasattr", "setattr", "delattr", "vars") and node.args:
            obj = self.rooted(node.args[0])
            attr = _fold(node.args[1]) if len(node.args) > 1 else None
            if name == "vars" and obj:
                self.flag(node, f"vars({obj})", "look attributes of torch up by name")
            elif attr is not None and is_forbidden_name(attr) and (obj or attr not in STUDENT_NAMES):
                self.flag(node, f"{obj}.{attr}" if obj else f"{name}(..., {attr!r})")
            elif attr is not None and attr in DYNAMIC_ATTRS:
                self.flag(node, f"{name}(..., {attr!r})", "the grader cannot check code that uses it")
            elif attr is None and len(node.args) > 1 and obj:
                self.flag(
                    node,
                    f"{name}({obj}, <computed name>)",
                    "the grader cannot check a torch attribute looked up by a computed name",
                )
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in ("import_module", "__import__")
            and node.args
            and (_fold(node.args[0]) or "").split(".")[0] in GRADER_MODULES
        ):
            self.flag(node, f"{func.attr}({_fold(node.args[0])!r})", "a submission may not import the grader")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in ("import_module", "__import__")
            and node.args
            and _fold(node.args[0]) is None
        ):
            self.flag(
                node, f"{func.attr}(<computed name>)", "the grader cannot check a module imported by a computed name"
            )
        self.generic_visit(node)

    def _string(self, node: ast.AST, value: str) -> None:
        """A string that names a forbidden torch API: exactly (``"layer_norm"``) or as a path "
        "(``"aten::layer_norm"``)."""
        name = value.strip().lstrip(".")
        exact = name if name.isidentifier() and is_forbidden_name(name) and name not in STUDENT_NAMES else None
        path = None
        for dotted in _DOTTED.findall(value):
            parts = re.split(r"\s*(?:\.|::)\s*", dotted)
            if parts[0] in _API_ROOTS and any(is_forbidden_name(p) for p in parts[1:]):
                path = dotted
                break
        if exact or path:
            self.flag(node, repr((exact or path or "")[:80]), "a string naming a forbidden torch API")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            self._string(node, node.value)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        value = _fold(node)
        if value is not None:
            self._string(node, value)
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        value = _fold(node)
        if value is not None:
            self._string(node, value)
        self.generic_visit(node)


def _parse(source: str, file: str) -> ast.AST | None:
    try:
        return ast.parse(source, filename=file)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _scan(tree: ast.AST, nodes: list[ast.AST], file: str) -> list[Violation]:
    scanner = _Scanner(file)
    try:
        scanner.collect(nodes)
        scanner.visit(tree)
    except RecursionError:
        scanner.flag(tree, "deeply nested code", "the grader cannot check it")
    return sorted(scanner.found.values(), key=lambda v: (v.line, v.api))


def scan_source(source: str, file: str = "<submission>") -> list[Violation]:
    """Violations in one file's source (a file that does not parse has none: its import reports it)."""
    tree = _parse(source, file)
    return [] if tree is None else _scan(tree, list(ast.walk(tree)), file)


def _imports(nodes: list[ast.AST], module: str, is_package: bool) -> set[str]:
    """The student modules ``module`` imports (absolute and relative), parent packages included."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in nodes:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1] if node.level > 1 else parts
                base = ".".join([*parts, base] if base else parts)
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        for name in names:
            if name.split(".")[0] in PACKAGES:
                parts = name.split(".")
                found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return found


@dataclass
class Findings:
    """The static check of one submission: violations and the import graph, per student module."""

    violations: dict[str, list[Violation]] = field(default_factory=dict)
    imports: dict[str, set[str]] = field(default_factory=dict)

    def for_module(self, module: str, skip: frozenset[str] = frozenset()) -> list[Violation]:
        """Violations in ``module``, its packages and every student module it imports, directly or not.

        ``skip``: modules replaced by stand-ins for this run (their imports do not count either).
        """
        seen: set[str] = set(skip)
        parts = module.split(".")
        todo = [".".join(parts[: i + 1]) for i in range(len(parts))]
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            todo.extend(self.imports.get(m, ()))
        return sorted((v for m in seen - skip for v in self.violations.get(m, ())), key=lambda v: (v.file, v.line))

    def message_for(self, kwargs: dict[str, Any]) -> str | None:
        """The refusal for a probe whose target module uses a forbidden API, or None."""
        found: list[Violation] = []
        skip = frozenset(upstream_of(kwargs))
        for module in targets_of(kwargs):
            found += [v for v in self.for_module(module, skip) if v not in found]
        if not found:
            return None
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        return "forbidden API: " + "; ".join(map(str, found[:3])) + more


def upstream_of(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The earlier modules a probe replaces by stand-ins (``upstream=`` or a decoding probe's ``model["upstream"]``)."""
    model = kwargs.get("model")
    given = kwargs.get("upstream") or (model.get("upstream") if isinstance(model, dict) else None) or ()
    return tuple(str(m) for m in given)


def targets_of(kwargs: dict[str, Any]) -> list[str]:
    """The student modules a probe's arguments name (``target="attention.masks:causal_mask"`` -> ``attention.masks``).

    Modules named in ``upstream`` are replaced by stand-ins for that probe (:mod:`autograder.runtime.standins`): they
    are not the student's, so they are not targets.
    """
    out = []
    for key, value in kwargs.items():
        if key == "upstream":
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, str) and ":" in v and v.split(".")[0] in PACKAGES:
                out.append(v.partition(":")[0])
    return out


def scan_root(root: str | Path) -> Findings:
    """Read every ``.py`` file of the submission's packages (as text; nothing is imported)."""
    root = Path(root)
    findings = Findings()
    for package in PACKAGES:
        base = root / package
        if not base.is_dir() or base.is_symlink():
            continue
        for path in sorted(base.rglob("*.py")):
            if path.is_symlink() or not path.is_file() or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(root)
            is_package = path.name == "__init__.py"
            module = ".".join(rel.parent.parts if is_package else (*rel.parent.parts, path.stem))
            try:
                source = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            tree = _parse(source, rel.as_posix())
            if tree is None:
                continue  # its import reports the syntax error
            nodes = list(ast.walk(tree))
            found = _scan(tree, nodes, rel.as_posix())
            if found:
                findings.violations[module] = found
            findings.imports[module] = _imports(nodes, module, is_package)
    return findings


# -- run-time guard (worker only) --------------------------------------------------------------------


class ForbiddenAPIError(RuntimeError):
    """Student code called a torch API that the course asks them to write themselves."""


USED: list[str] = []  # every forbidden API student code reached (the worker fails the call even if it was caught)
# Python functions of torch that compute a forbidden operation out of allowed ones (F.multi_head_attention_forward,
# the decompositions in torch._refs / torch._decomp): their names match a fragment but not these prefixes, which are
# predicates and registries (is_flash_attention_available ...) and meta kernels (no values).
_NOT_COMPUTING = re.compile(r"^_*(is_|can_use|register|activate|list_|current_|restore_|meta_)")
_DUMP_KEY = re.compile(r"^(\w+)(?:\[alias\])?: registered", re.M)
_KEPT: list[Any] = []  # the dispatcher registrations, kept alive (see block_operators)


def _refuse(api: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        USED.append(api)
        raise ForbiddenAPIError(f"{api} is not allowed ({ADVICE})")

    return refused


def forbidden_operators(torch: Any) -> list[str]:
    """Every aten operator whose name is forbidden (``aten::native_layer_norm``, ``aten::_scaled_dot_product_...``)."""
    return sorted(
        n for n in torch._C._dispatch_get_all_op_names() if n.startswith("aten::") and is_forbidden_name(n[6:])
    )


def block_operators(torch: Any) -> list[str]:
    """Replace, at PyTorch's dispatcher, every kernel of every forbidden aten operator by one that refuses.

    This is the one door: ``F.layer_norm``, ``torch.layer_norm``, ``torch._C._VariableFunctions*``,
    ``torch.ops.aten.*`` and ``torch._C._jit_get_operation`` are all names for the same operator, and every one of
    them ends in the dispatcher's table, whatever Python name reached it and whatever the tensor's kind (autograd,
    inference mode, mkldnn, nested, meta). The registration is a C++ object that the garbage collector does not
    track: once this function returns, no Python reference leads to it, so student code cannot deregister it.
    """
    import ctypes
    import warnings

    module = torch._C._dispatch_library("IMPL", "aten", "", __file__, 0)
    blocked = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding a previously registered kernel": on purpose
        for full in forbidden_operators(torch):
            kernel = _refuse(f"torch.ops.{full.replace('::', '.')}")
            for key in _DUMP_KEY.findall(torch._C._dispatch_dump(full)):
                if key == "debug":
                    continue
                module.impl(full[6:], key, kernel, False)
            blocked.append(full)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(module))  # never freed: the registrations last as long as the worker
    del module
    return blocked


def _refusing_code(api: str, freevars: tuple[str, ...]) -> Any:
    """A code object that refuses, with the same free variables as the code it replaces (``__code__`` demands it)."""
    lines = ["def _outer():"]
    if freevars:
        lines.append("    " + " = ".join(freevars) + " = None")
    lines.append("    def refused(*args, **kwargs):")
    if freevars:
        lines.append("        (" + ", ".join(freevars) + ",)")
    lines.append(f"        return __autograder_refuse__({api!r})")
    lines.append("    return refused")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<forbidden>", "exec"), namespace)
    return namespace["_outer"]().__code__


def _disable(function: Any, api: str) -> bool:
    """Give ``function`` a body that refuses (False when it already has one)."""
    if function.__code__.co_filename == "<forbidden>":
        return False
    function.__code__ = _refusing_code(api, function.__code__.co_freevars)
    return True


def disable_functions(module: Any) -> list[str]:
    """Give every forbidden Python function of ``module`` (and what it wraps) a body that refuses.

    The function objects stay where they are (torch's tables use them as keys); their code changes, so every name
    and every container that holds them (an alias, a dict, ``__wrapped__``) reaches the refusal. The forbidden
    classes (``nn.LayerNorm`` ...) refuse to be built or run the same way.
    """
    done = []
    for name, value in list(vars(module).items()):
        if not (callable(value) and is_forbidden_name(name) and not _NOT_COMPUTING.match(name)):
            continue
        if isinstance(value, type):
            methods = [(m, f"torch.nn.{name}" + ("" if m == "__init__" else f".{m}")) for m in ("__init__", "forward")]
            done += [api for method, api in methods if method in vars(value) and _disable(vars(value)[method], api)]
            continue
        function, seen = value, set()
        while hasattr(function, "__code__") and id(function) not in seen:
            seen.add(id(function))
            if _disable(function, f"{module.__name__}.{name}"):
                done.append(f"{module.__name__}.{name}")
            function = getattr(function, "__wrapped__", None)
    return done


def _disable_on_import(torch_modules: Iterable[str]) -> Any:
    """A finder that runs :func:`disable_functions` on each torch module imported later, before the import returns."""
    import importlib.abc

    seen = set(torch_modules)

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname.partition(".")[0] != "torch" or fullname in seen:
                return None
            seen.add(fullname)
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                run = spec.loader.exec_module

                def exec_module(module: Any) -> None:
                    run(module)
                    disable_functions(module)

                spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    return Hook()


def install() -> list[str]:
    """Block the forbidden torch operations in this process, for everybody: the worker itself needs none of them.

    Two layers, no switch: the operators at the dispatcher (:func:`block_operators`) and the Python functions that
    compute them out of allowed operators (:func:`disable_functions`, now and on every later torch import). The
    stand-ins of earlier exercises are written with allowed operators only (:mod:`autograder.runtime.standins`), so
    nothing trusted needs a way around. Returns what was blocked (for the worker's log).
    """
    import builtins

    import torch

    # the refusing bodies look their refusal up here: a copy of a disabled function with globals of its own finds it
    builtins.__autograder_refuse__ = lambda api: _refuse(api)()  # type: ignore[attr-defined]
    blocked = block_operators(torch)
    loaded = [name for name in list(sys.modules) if name.partition(".")[0] == "torch"]
    for name in loaded:
        module = sys.modules.get(name)
        if module is not None:
            blocked += disable_functions(module)
    sys.meta_path.insert(0, _disable_on_import(loaded))
    return blocked
