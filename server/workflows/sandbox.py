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
"""

from __future__ import annotations

import ast
import copy
import functools
import operator
import re
import sys
import textwrap
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

FILENAME = "<bpmn>"  # lets the trace hook tell sandboxed frames from the helpers' frames
MAX_SOURCE_CHARS = 50_000
MAX_ITEMS = 1_000_000  # longest str/list/dict/range a single operation may produce
MAX_INT_BITS = 65_536
MAX_FORMAT_WIDTH = 1_000
RUN_BUDGET = 64_000_000  # approx. bytes all guarded results of one run may add up to
MAX_NEW_BLOCKS = 5_000_000  # growth of live Python objects during one run
_CACHE_SIZE = 512


class SandboxError(Exception):
    """BPMN code was refused or failed; ``code`` says why: sandbox, runtime, data, timeout, limit, compile."""

    def __init__(self, message: str, *, code: str = "sandbox") -> None:
        super().__init__(message)
        self.code = code


class SandboxTimeoutError(SandboxError):
    def __init__(self, message: str, *, code: str = "timeout") -> None:
        super().__init__(message, code=code)


class SandboxLimitError(SandboxError):
    def __init__(self, message: str, *, code: str = "limit") -> None:
        super().__init__(message, code=code)


class SandboxCompileError(SandboxError):
    def __init__(self, message: str, *, code: str = "compile") -> None:
        super().__init__(message, code=code)


# --------------------------------------------------------------------------------------------------
# Per-run state: deadline, allocation budget, read-only flag. Thread-local because guards are plain
# functions called from sandboxed code running on the caller's thread.


class _Run:
    __slots__ = ("limit", "deadline", "budget", "readonly", "events", "blocks")

    def __init__(self, time_limit: float, readonly: bool) -> None:
        self.limit = time_limit
        self.deadline = time.monotonic() + time_limit
        self.budget = RUN_BUDGET
        self.readonly = readonly
        self.events = 0
        self.blocks = -1  # baseline taken lazily: getallocatedblocks() walks the heap, too slow per call

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > self.deadline:
            raise SandboxTimeoutError(f"stopped after the time limit of {self.limit:g} s")
        self.events += 1
        if not self.events & 1023:
            blocks = sys.getallocatedblocks()
            if self.blocks < 0:
                self.blocks = blocks
            elif blocks - self.blocks > MAX_NEW_BLOCKS:
                raise SandboxLimitError("too many objects were created (memory limit)")
        if event == "call" and frame.f_code.co_filename != FILENAME:
            return None  # helper/library frame: the deadline is still checked on each call
        return self.trace


_local = threading.local()
_SIZED = (str, bytes, list, tuple, dict, set, frozenset, range)


def _current() -> _Run | None:
    return getattr(_local, "run", None)


def _check_size(n: int, what: str = "the result") -> None:
    if n > MAX_ITEMS:
        raise SandboxLimitError(f"{what} would have {n:,} items or characters; the limit is {MAX_ITEMS:,}")


def _charge(units: int) -> None:
    # Cumulative, so many medium-sized results ([[0] * 8000 for ...]) are stopped as well as big ones.
    # Reads _local directly instead of calling _current(): every extra frame costs a trace event.
    run = getattr(_local, "run", None)
    if run is not None:
        run.budget -= units
        if run.budget < 0:
            raise SandboxLimitError("too much data was created in one run (memory limit)")


def _charged(obj: Any) -> Any:
    """Check and account for a freshly built container or string (approx. bytes: 8 per item)."""
    size = len(obj)
    if size > MAX_ITEMS:
        _check_size(size)
    run = getattr(_local, "run", None)
    if run is not None:
        run.budget -= size if type(obj) is str else size * 8
        if run.budget < 0:
            raise SandboxLimitError("too much data was created in one run (memory limit)")
    return obj


# --------------------------------------------------------------------------------------------------
# Operator guards: sizes are computed from the operands, before anything is allocated.

_SEQUENCES = (str, bytes, list, tuple)
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}
_IOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul}
_PERCENT_SPEC = re.compile(r"%%|%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxLimitError(f"the number would have about {bits:,} bits; the limit is {MAX_INT_BITS:,}")


def _check_op(op: str, a: Any, b: Any) -> None:
    if op == "+":
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            _check_size(len(a) + len(b))
    elif op == "*":
        if isinstance(a, _SEQUENCES) and isinstance(b, int):
            _check_size(len(a) * max(b, 0))
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            _check_size(len(b) * max(a, 0))
        elif isinstance(a, int) and isinstance(b, int):
            _int_bits(a.bit_length() + b.bit_length())
    elif op == "**":
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            _int_bits(a.bit_length() * b)
    elif op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a and b > 0:
            _int_bits(a.bit_length() + b)
    elif op == "%" and isinstance(a, (str, bytes)):
        # '%999999999d' % 1 allocates a gigabyte from a ten-character string
        text = a if isinstance(a, str) else a.decode("latin-1")
        for match in _PERCENT_SPEC.finditer(text):
            for part in match.groups():
                if part == "*" or (part and (len(part) > 4 or int(part) > MAX_FORMAT_WIDTH)):
                    raise SandboxLimitError(f"% format widths must be numbers up to {MAX_FORMAT_WIDTH}")


def _binop(op: str, a: Any, b: Any) -> Any:
    _check_op(op, a, b)
    result = _OPS[op](a, b)
    return _charged(result) if isinstance(result, _SEQUENCES) else result


def _inplacevar(op: str, a: Any, b: Any) -> Any:
    func = _IOPS.get(op)
    if func is None:
        raise SandboxError(f"operator {op} is not supported")
    _check_op(op[:-1], a, b)
    before = len(a) if isinstance(a, list) else 0
    result = func(a, b)
    if isinstance(result, list) and result is a:
        _charge((len(result) - before) * 8)  # in place: only the growth is new memory
    elif isinstance(result, _SEQUENCES):
        _charged(result)
    return result


def _guarded_write(obj: Any) -> Any:
    if type(obj) not in (dict, list):
        raise SandboxError(f"a {type(obj).__name__} cannot be modified")
    run = _current()
    if run is not None and run.readonly:
        raise SandboxError("expressions cannot modify data")
    return obj


def _augitem(container: Any, key: Any, op: str, value: Any) -> None:
    target = _guarded_write(container)
    target[key] = _inplacevar(op, target[key], value)


def _guarded_getitem(obj: Any, key: Any) -> Any:
    result = obj[key]
    if isinstance(key, slice) and isinstance(result, _SEQUENCES):
        _charged(result)
    return result


def _items(value: Any) -> Any:
    """Guard for ``*x`` and ``**x`` in displays and calls: [*a, *a] doubles like a + a."""
    if isinstance(value, _SIZED):
        _check_size(len(value))
        _charge(len(value) * 8)
    return value


def _tick() -> None:
    """Start of every while body: a one-instruction loop (while True: pass) emits no line events."""


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


# --------------------------------------------------------------------------------------------------
# Attribute allowlist. Anything not listed (functions, types, modules, frames, str.format) is refused.

_STR_READ = frozenset(
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit islower isnumeric "
    "isspace istitle isupper lower lstrip partition removeprefix removesuffix rfind rindex rpartition "
    "rsplit rstrip split splitlines startswith strip swapcase title upper replace join center ljust rjust "
    "zfill".split())
_MUTATORS: dict[type, frozenset[str]] = {
    list: frozenset("append extend insert pop remove sort reverse clear".split()),
    dict: frozenset("pop popitem setdefault update clear".split()),
    set: frozenset("add discard remove pop clear update".split()),
}
_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STR_READ,
    list: _MUTATORS[list] | {"index", "count", "copy"},
    dict: _MUTATORS[dict] | {"get", "keys", "values", "items", "copy"},
    set: _MUTATORS[set] | frozenset("union intersection difference symmetric_difference issubset "
                                    "issuperset isdisjoint".split()),
    tuple: frozenset({"index", "count"}),
    datetime: frozenset("year month day hour minute second weekday isoweekday isoformat date".split()),
    date: frozenset("year month day weekday isoweekday isoformat".split()),
    timedelta: frozenset({"days", "seconds", "total_seconds"}),
}


def _str_replace(s: str, old: str, new: str, count: int = -1) -> str:
    if isinstance(old, str) and isinstance(new, str) and isinstance(count, int):
        hits = s.count(old) if old else len(s) + 1
        _check_size(len(s) + (hits if count < 0 else min(hits, count)) * (len(new) - len(old)))
    return _charged(s.replace(old, new, count))


def _str_join(sep: str, items: Any) -> str:
    parts = _list(items)
    _check_size(sum(len(p) for p in parts if isinstance(p, str)) + len(sep) * max(len(parts) - 1, 0))
    return _charged(sep.join(parts))


def _str_pad(method: str) -> Callable[..., str]:
    def pad(s: str, width: int, *args: Any) -> str:
        if isinstance(width, int):
            _check_size(width)
        return _charged(getattr(s, method)(width, *args))
    return pad


def _list_extend(target: list[Any], items: Any) -> None:
    extra = items if isinstance(items, _SIZED) else _list(items)
    _check_size(len(target) + len(extra))
    _charge(len(extra) * 8)
    target.extend(extra)


_WRAPPED: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "replace"): _str_replace, (str, "join"): _str_join,
    **{(str, m): _str_pad(m) for m in ("center", "ljust", "rjust", "zfill")},
    (list, "extend"): _list_extend, (list, "copy"): lambda o: _charged(o.copy()),
    (dict, "copy"): lambda o: _charged(o.copy()),
}


def _guarded_getattr(obj: Any, name: str) -> Any:
    kind = type(obj)
    if not isinstance(name, str) or name.startswith("_") or name not in _ATTRIBUTES.get(kind, ()):
        raise SandboxError(f"'{kind.__name__}.{name}' is not available in BPMN code")
    if name in _MUTATORS.get(kind, ()):
        run = _current()
        if run is not None and run.readonly:
            raise SandboxError(f"expressions cannot modify data ('{kind.__name__}.{name}')")
    wrapper = _WRAPPED.get((kind, name))
    if wrapper is not None:
        return functools.partial(wrapper, obj)
    if kind is str:
        # Every str method that builds a new string or list (upper, strip, split, ...) is charged
        # to the run's budget, so copies of a large string cannot pile up unseen.
        return functools.partial(_charged_call, getattr(obj, name))
    return getattr(obj, name)


def _charged_call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    result = method(*args, **kwargs)
    if isinstance(result, str | list | tuple):
        _charged(result)
    return result


# --------------------------------------------------------------------------------------------------
# Helpers: the only callables in scope. Container builders are bounded; dates are ISO strings.


def _range(*args: int) -> range:
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = MAX_ITEMS + 1
    _check_size(size, "range()")
    return result


def _bounded(build: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a container/str constructor: sized inputs are checked first, the result is accounted for."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if isinstance(arg, _SIZED):
                _check_size(len(arg), f"{build.__name__}()")
        return _charged(build(*args, **kwargs))
    wrapper.__name__ = build.__name__
    return wrapper


_list = _bounded(list)


def _sum(items: Any, start: int | float = 0) -> Any:
    # sum(lists, []) concatenates quadratically and unboundedly; numbers are all BPMN needs
    if type(start) not in (int, float):
        raise SandboxError("sum() adds numbers only")
    return sum(items, start)


def parse_date(value: Any) -> datetime:
    """Parse an ISO 8601 date or date-time (``Z`` allowed); a value without a zone is taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise SandboxError(f"not an ISO 8601 date: {value!r}", code="runtime") from None
    else:
        raise SandboxError(f"not an ISO 8601 date: {value!r:.80}", code="runtime")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _span(start: Any, end: Any) -> float:
    return (parse_date(end) - parse_date(start)).total_seconds()


def days_between(start: Any, end: Any) -> float:
    """Fractional days from ``start`` to ``end`` (ISO strings); negative if ``end`` is earlier."""
    return _span(start, end) / 86400


def hours_between(start: Any, end: Any) -> float:
    """Fractional hours from ``start`` to ``end`` (ISO strings); negative if ``end`` is earlier."""
    return _span(start, end) / 3600


def add_days(value: Any, days: float) -> str:
    """``value`` plus ``days`` days, as an ISO 8601 string with a UTC offset."""
    return (parse_date(value) + timedelta(days=days)).isoformat()


def add_hours(value: Any, hours: float) -> str:
    """``value`` plus ``hours`` hours, as an ISO 8601 string with a UTC offset."""
    return (parse_date(value) + timedelta(hours=hours)).isoformat()


def iso_duration_hours(hours: float) -> str:
    """An ISO 8601 duration of ``hours`` hours for timer events, e.g. ``PT72H``."""
    if type(hours) not in (int, float) or not 0 <= hours < 10**7:
        raise SandboxError(f"iso_duration_hours() needs a number of hours, got {hours!r:.40}", code="runtime")
    return f"PT{int(hours) if float(hours).is_integer() else hours}H"


HELPERS: dict[str, Callable[..., Any]] = {
    "len": len, "min": min, "max": max, "sum": _sum, "abs": abs, "round": round, "any": any, "all": all,
    "int": int, "float": float, "bool": bool, "enumerate": enumerate, "zip": zip, "range": _range,
    "list": _list, "sorted": _bounded(sorted), "str": _bounded(str), "dict": _bounded(dict),
    "tuple": _bounded(tuple), "set": _bounded(set),
    "parse_date": parse_date, "days_between": days_between, "hours_between": hours_between,
    "add_days": add_days, "add_hours": add_hours, "iso_duration_hours": iso_duration_hours,
}

_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr, "_getitem_": _guarded_getitem, "_getiter_": iter,
    "_write_": _guarded_write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar, "_apply_": _apply, "_binop_": _binop, "_augitem_": _augitem,
    "_items_": _items, "_tick_": _tick, "_charged_": _charged,
}

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
    names.update(_GUARDS)
    names["__builtins__"] = dict(HELPERS)  # a fresh copy per run; nothing shared is ever handed out
    return names


def _run(code: CodeType, names: dict[str, Any], time_limit: float, *, readonly: bool) -> Any:
    if not time_limit > 0:
        raise ValueError("time_limit must be positive")
    run = _Run(time_limit, readonly)
    previous_run, previous_trace = _current(), sys.gettrace()
    _local.run = run
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
        _local.run = previous_run
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
