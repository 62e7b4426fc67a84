"""The runtime side of the BPMN code sandbox (server/workflows/sandbox.py).

The per-run state (deadline, allocation budget, read-only flag), the guard functions the compiled code
calls instead of plain operators, attribute access and item access, and the helpers that are its only
builtins.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from server.workflows.sandbox_errors import SandboxError, SandboxLimitError, SandboxTimeoutError

FILENAME = "<bpmn>"  # lets the trace hook tell sandboxed frames from the helpers' frames
MAX_ITEMS = 1_000_000  # longest str/list/dict/range a single operation may produce
MAX_INT_BITS = 65_536
MAX_FORMAT_WIDTH = 1_000
RUN_BUDGET = 64_000_000  # approx. bytes all guarded results of one run may add up to
MAX_NEW_BLOCKS = 5_000_000  # growth of live Python objects during one run


# --------------------------------------------------------------------------------------------------
# Per-run state: deadline, allocation budget, read-only flag. Thread-local because guards are plain
# functions called from sandboxed code running on the caller's thread.


class Run:
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


def current_run() -> Run | None:
    return getattr(_local, "run", None)


def set_run(run: Run | None) -> None:
    _local.run = run


def _check_size(n: int, what: str = "the result") -> None:
    if n > MAX_ITEMS:
        raise SandboxLimitError(f"{what} would have {n:,} items or characters; the limit is {MAX_ITEMS:,}")


def _charge(units: int) -> None:
    # Cumulative, so many medium-sized results ([[0] * 8000 for ...]) are stopped as well as big ones.
    # Reads _local directly instead of calling current_run(): every extra frame costs a trace event.
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
    run = current_run()
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
        run = current_run()
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

GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr, "_getitem_": _guarded_getitem, "_getiter_": iter,
    "_write_": _guarded_write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar, "_apply_": _apply, "_binop_": _binop, "_augitem_": _augitem,
    "_items_": _items, "_tick_": _tick, "_charged_": _charged,
}
