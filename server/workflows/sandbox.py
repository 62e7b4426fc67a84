"""Sandbox for the Python carried by BPMN models: gateway conditions, timers, payloads and scripts.

Uploading BPMN is deploying code (shared/spiffworkflow.md 5.3), so even though only audited administrators
upload models, the code runs behind several layers:

* compile: RestrictedPython with a stricter policy (no import/try/with/class/yield, no ``_`` names) that
  also rewrites size-amplifying operations into calls of guard functions;
* names: only the plain functions in ``HELPERS`` (a fresh ``__builtins__`` per run), never a module;
* attributes: a per-type allowlist (str/list/dict/... methods), so functions, types, modules, frames and
  ``str.format`` are unreachable; expressions may not mutate data at all;
* size: results that could be large are sized before they are built; every guarded result also counts
  against a per-run budget, and the number of live objects is watched;
* time: a per-thread ``sys.settrace`` hook checks a monotonic deadline on every line and call.

``try`` is refused because raising from a trace hook switches tracing off: a handler could catch the
timeout and loop on untraced. Single C calls (sorting a million items) can overrun the deadline by their
own duration. A hard memory cap needs a separate process (rlimit); these checks stop the known bombs.

This module holds the compiler policy and runs the code; the guards, the per-run state and the helpers
are in sandbox_guards.py, the errors in sandbox_errors.py.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
import textwrap
import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from server.workflows.sandbox_errors import (
    SandboxCompileError,
    SandboxError,
    SandboxLimitError,
    SandboxTimeoutError,
)
from server.workflows.sandbox_guards import (
    FILENAME,
    GUARDS,
    HELPERS,
    MAX_FORMAT_WIDTH,
    Run,
    current_run,
    parse_date,
    set_run,
)

__all__ = ["HELPERS", "SandboxCompileError", "SandboxError", "SandboxLimitError", "SandboxTimeoutError", "check",
           "evaluate", "execute", "parse_date"]

MAX_SOURCE_CHARS = 50_000
_CACHE_SIZE = 512

# --------------------------------------------------------------------------------------------------
# Compiler policy

_BINOPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_AUGOPS = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.FloorDiv: "//=", ast.Mod: "%=",
           ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=", ast.BitAnd: "&=", ast.BitOr: "|=",
           ast.BitXor: "^=", ast.MatMult: "@="}
# try would let code catch the timeout after the trace hook has been switched off by raising it
_REFUSED = {ast.Import: "import is", ast.ImportFrom: "import is", ast.Try: "try/except is",
            ast.With: "with is", ast.ClassDef: "class is", ast.Yield: "yield is", ast.YieldFrom: "yield is"}
_FORBIDDEN_CALLS = frozenset(
    "getattr setattr delattr hasattr open compile type vars dir globals locals input breakpoint help id "
    "object super memoryview iter next format".split())


def _call(name: str, *args: ast.expr, at: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    copy_locations(node, at)
    return node


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, minus constructs that defeat the limits, plus size-guard rewrites."""

    def visit(self, node: ast.AST) -> Any:
        refused = _REFUSED.get(type(node))
        if refused is None:
            return super().visit(node)
        self.error(node, f"{refused} not allowed in BPMN code")
        return node

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        tick = ast.Expr(_call("_tick_", at=node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ("print", "printed"):
            self.error(node, f'"{node.id}" is not available in BPMN code')
        return super().visit_Name(node)

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f"{node.func.id}() is not available in BPMN code")
        return super().visit_Call(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        symbol = _BINOPS.get(type(node.op))
        if symbol is None:
            return node
        return _call("_binop_", ast.Constant(symbol), node.left, node.right, at=node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        if not isinstance(target, ast.Subscript):
            return super().visit_AugAssign(node)
        if isinstance(target.slice, ast.Slice):
            self.error(node, "augmented assignment to a slice is not allowed")
            return node
        container, key, value = self.visit(target.value), self.visit(target.slice), self.visit(node.value)
        call = _call("_augitem_", container, key, ast.Constant(_AUGOPS[type(node.op)]), value, at=node)
        statement = ast.Expr(call)
        copy_locations(statement, node)
        return statement

    def visit_Starred(self, node: ast.Starred) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.value = _call("_items_", node.value, at=node.value)
        return node

    def visit_Dict(self, node: ast.Dict) -> Any:
        node = self.node_contents_visit(node)
        node.values = [_call("_items_", v, at=v) if k is None else v
                       for k, v in zip(node.keys, node.values, strict=True)]
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Any:
        # f'{i:>1000}' builds its string in bytecode, out of reach of the operator guards
        return _call("_charged_", self.node_contents_visit(node), at=node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node.value = self.visit(node.value)  # not the spec: it must stay a bare JoinedStr
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                self.error(node, "f-string format specs must be literal")
            elif any(len(d) > 4 or int(d) > MAX_FORMAT_WIDTH
                     for d in re.findall(r"\d+", "".join(str(p.value) for p in parts))):  # type: ignore
                self.error(node, f"f-string widths above {MAX_FORMAT_WIDTH} are not allowed")
        return node


_cache: OrderedDict[tuple[str, str], tuple[CodeType | None, tuple[str, ...]]] = OrderedDict()
_cache_lock = threading.Lock()


def _compile_source(source: str, mode: str) -> tuple[CodeType | None, tuple[str, ...]]:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, filename=FILENAME, policy=_Policy)
    except (RecursionError, MemoryError):
        return None, ("code is nested too deeply",)
    except (SyntaxError, ValueError) as exc:
        return None, (f"invalid code: {exc}",)
    return result.code, tuple(result.errors)


def _compile(text: str, mode: str) -> tuple[CodeType | None, tuple[str, ...]]:
    """Compile (cached) with the sandbox policy; the single compiler for check() and runtime."""
    key = (mode, text)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    code: CodeType | None = None
    if not isinstance(text, str):
        errors: tuple[str, ...] = ("code must be text",)
    elif len(text) > MAX_SOURCE_CHARS:
        errors = (f"code is longer than {MAX_SOURCE_CHARS:,} characters",)
    else:
        # Blanks are stripped like eval() does in Spiff's engine; a script indented as a block in the XML
        # runs as if it were not, also when its first line lost its indent (upload lint strips the text).
        code, errors = _compile_source(text.strip() if mode == "eval" else textwrap.dedent(text), mode)
        head, _, tail = text.strip().partition("\n")
        if errors and mode == "exec" and tail:
            retry = _compile_source(head + "\n" + textwrap.dedent(tail), mode)
            code, errors = retry if not retry[1] else (code, errors)
    entry = (code, errors)
    with _cache_lock:
        _cache[key] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


# --------------------------------------------------------------------------------------------------
# Running

_RESULT_TYPES = (type(None), bool, int, float, str, list, tuple, dict, set, frozenset, range,
                 datetime, date, timedelta)


def _compiled(text: str, mode: str) -> CodeType:
    code, errors = _compile(text, mode)
    if errors or code is None:
        raise SandboxCompileError("; ".join(errors) or "code could not be compiled")
    return code


def _globals(scope: dict[str, Any]) -> dict[str, Any]:
    # Underscore names are never taken from data: they would replace the guards.
    names = {k: v for k, v in scope.items() if isinstance(k, str) and not k.startswith("_")}
    names.update(GUARDS)
    names["__builtins__"] = dict(HELPERS)  # a fresh copy per run; nothing shared is ever handed out
    return names


def _run(code: CodeType, names: dict[str, Any], time_limit: float, *, readonly: bool) -> Any:
    if not time_limit > 0:
        raise ValueError("time_limit must be positive")
    run = Run(time_limit, readonly)
    previous_run, previous_trace = current_run(), sys.gettrace()
    set_run(run)
    failure: SandboxError
    sys.settrace(run.trace)
    try:
        return eval(code, names)  # noqa: S307 - restricted code object, guarded globals
    except SandboxError as exc:
        failure = type(exc)(str(exc), code=exc.code)
    except RecursionError:
        failure = SandboxLimitError("recursion is too deep")
    except MemoryError:
        failure = SandboxLimitError("out of memory")
    except Exception as exc:
        failure = SandboxError(f"{type(exc).__name__}: {exc}"[:500], code="runtime")
    finally:
        sys.settrace(previous_trace)
        set_run(previous_run)
    # Raised outside the handler, so no context chain leads back to the sandboxed frames.
    raise failure


def evaluate(expression: str, scope: dict[str, Any], *, time_limit: float = 1.0) -> Any:
    """Evaluate a BPMN expression (condition, timer, payload, loop) with ``scope`` as read-only variables."""
    result = _run(_compiled(expression, "eval"), _globals(scope), time_limit, readonly=True)
    if type(result) not in _RESULT_TYPES:
        raise SandboxError(f"the expression produced a {type(result).__name__}, not data", code="runtime")
    return result


_SCALARS = frozenset({type(None), bool, int, float, str})


def _to_data(value: Any, path: str, depth: int = 0) -> Any:
    if type(value) in _SCALARS:
        return value
    if depth > 64:
        raise SandboxError(f"'{path}' is nested too deeply to be stored", code="data")
    if type(value) is dict:
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise SandboxError(f"'{path}' has the non-text key {key!r:.40}; task data must be JSON-like",
                                   code="data")
            out[key] = item if type(item) in _SCALARS else _to_data(item, f"{path}.{key}", depth + 1)
        return out
    if type(value) in (list, tuple, set, frozenset):
        return [item if type(item) in _SCALARS else _to_data(item, f"{path}[{i}]", depth + 1)
                for i, item in enumerate(value)]
    hint = " (store .isoformat() instead)" if isinstance(value, date) else ""
    raise SandboxError(f"'{path}' holds a {type(value).__name__}, which cannot be stored in task data{hint}",
                       code="data")


def _unchanged(new: Any, old: Any) -> bool:
    try:
        return type(new) is type(old) and bool(new == old)
    except RecursionError:
        return False


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # not data (a function, a module): shared, but it is neither stored nor reachable
        return value


def execute(script: str, context: dict[str, Any], *, time_limit: float = 1.0) -> None:
    """Run a script task against ``context`` (task data) and write its results back.

    Names bound to functions and names starting with ``_`` are not stored; every other new or changed
    top-level name must hold JSON-like data (tuples and sets become lists) or the run fails with code
    ``data``. Deleted names are removed. The script works on a copy, so a failing script changes nothing.
    """
    code = _compiled(script, "exec")
    visible = {k: v for k, v in context.items() if isinstance(k, str) and not k.startswith("_")}
    names = _globals({k: _copy(v) for k, v in visible.items()})
    _run(code, names, time_limit, readonly=False)
    updates: dict[str, Any] = {}
    for name, value in names.items():
        if name.startswith("_") or callable(value) or (name in HELPERS and name not in visible):
            continue
        if name in visible and _unchanged(value, visible[name]):
            continue
        updates[name] = _to_data(value, name)
    removed = [name for name in visible if name not in names]
    context.update(updates)
    for name in removed:
        del context[name]


_EXPRESSION_KINDS = frozenset({"condition", "timer", "payload", "loop"})
_SCRIPT_KINDS = frozenset({"script", "prescript", "postscript"})


def check(text: str, kind: str) -> list[str]:
    """Lint BPMN code at upload with the runtime compiler; returns readable problems (empty = OK)."""
    if kind in _EXPRESSION_KINDS:
        if not (text or "").strip():
            return [f"the {kind} expression is empty"]
        return list(_compile(text, "eval")[1])
    if kind in _SCRIPT_KINDS:
        return list(_compile(text or "", "exec")[1])
    raise ValueError(f"unknown kind of BPMN code: {kind!r}")
