"""The BPMN code sandbox: escapes and resource bombs fail safely, ordinary BPMN code keeps working."""

from __future__ import annotations

import copy
import os
import sys
import threading
import time
import types
from typing import Any

import pytest
from RestrictedPython.Guards import safe_builtins

from server.workflows import sandbox, sandbox_guards
from server.workflows.sandbox import (
    HELPERS,
    SandboxCompileError,
    SandboxError,
    SandboxLimitError,
    SandboxTimeoutError,
    check,
    evaluate,
    execute,
)


def _scope() -> dict[str, Any]:
    return {"f": lambda: 1, "d": {"a": 1}, "items": [1, 2, 3], "m": os, "s": "text"}


def _run(mode: str, code: str, time_limit: float = 1.0) -> Any:
    if mode == "eval":
        return evaluate(code, _scope(), time_limit=time_limit)
    return execute(code, _scope(), time_limit=time_limit)


# --------------------------------------------------------------------------------------------------
# Escapes: every one must raise a SandboxError (at compile time or at run time).

ESCAPES = [
    ("import", "exec", "import os"),
    ("import_from", "exec", "from os import path"),
    ("dunder_import", "eval", "__import__('os')"),
    ("open", "eval", "open('/etc/passwd')"),
    ("subclasses", "eval", "().__class__.__base__.__subclasses__()"),
    ("function_globals", "eval", "f.__globals__"),
    ("function_code", "eval", "f.__code__"),
    ("str_format_attribute", "eval", "'{0.__class__}'.format(1)"),
    ("str_format_map", "eval", "'{a.__class__}'.format_map({'a': 1})"),
    ("getattr", "eval", "getattr(1, '__class__')"),
    ("vars", "eval", "vars()"),
    ("globals", "eval", "globals()"),
    ("eval", "eval", "eval('1')"),
    ("exec", "exec", "exec('x=1')"),
    ("type", "eval", "type(1)"),
    ("lambda_closure", "eval", "(lambda: 1).__closure__"),
    ("builtin_self", "eval", "len.__self__"),
    ("generator_frame", "eval", "(x for x in []).gi_frame"),
    ("builtins_name", "eval", "__builtins__"),
    ("module_in_scope", "eval", "m.path"),
    ("function_attribute", "eval", "parse_date.func_globals"),
    ("type_attribute", "eval", "int.from_bytes(b'1', 'big')"),
    ("format_via_str_helper", "eval", "str.format('{0.__class__}', 1)"),
    ("dict_view_mapping", "eval", "d.keys().mapping"),
    ("mutating_expression", "eval", "items.append(4)"),
    ("print", "exec", "print('x')"),
    ("class", "exec", "class A:\n    pass"),
    ("try_could_swallow_timeout", "exec", "try:\n    x = 1\nexcept:\n    pass"),
    ("try_finally", "exec", "try:\n    x = 1\nfinally:\n    x = 2"),
    ("with", "exec", "with d:\n    pass"),
    ("generator_function", "exec", "def g():\n    yield 1"),
    ("returns_function", "eval", "lambda: 1"),
    ("returns_generator", "eval", "(x for x in items)"),
    ("underscore_assignment", "exec", "_getattr_ = 1"),
    ("write_to_str", "exec", "s[0] = 'x'"),
    ("attribute_assignment", "exec", "d.a = 1"),
    ("dynamic_fstring_spec", "eval", "f'{1:{s}}'"),
    ("fstring_width", "eval", "f'{1:>999999999}'"),
]


@pytest.mark.parametrize(("mode", "code"), [c[1:] for c in ESCAPES], ids=[c[0] for c in ESCAPES])
def test_escape_fails_safely(mode: str, code: str) -> None:
    with pytest.raises(SandboxError) as info:
        _run(mode, code)
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize(("mode", "code"), [c[1:] for c in ESCAPES], ids=[c[0] for c in ESCAPES])
def test_check_agrees_with_runtime(mode: str, code: str) -> None:
    problems = check(code, "condition" if mode == "eval" else "script")
    with pytest.raises(SandboxError) as info:
        _run(mode, code)
    assert bool(problems) == isinstance(info.value, SandboxCompileError)


# --------------------------------------------------------------------------------------------------
# Size limits: refused before allocating, hence fast.

LIMITS = [
    ("str_times_huge", "eval", "'x' * 10**10"),
    ("list_times_huge", "eval", "[0] * 10**9"),
    ("power_tower", "eval", "10**10**10"),
    ("big_power", "eval", "2 ** 100000000"),
    ("big_shift", "eval", "1 << 10**10"),
    ("huge_range", "eval", "list(range(10**12))"),
    ("str_of_huge_range", "eval", "str(list(range(10**9)))"),
    ("percent_width", "eval", "'%999999999d' % 1"),
    ("percent_star_width", "eval", "'%*d' % (10**9, 1)"),
    ("str_center", "eval", "'a'.center(10**9)"),
    ("str_replace", "eval", "('a' * 100000).replace('a', 'b' * 1000)"),
    ("str_join", "eval", "('x' * 1000).join(['y'] * 10000)"),
    ("doubling_concat", "exec", "s = 'ab'\nwhile True:\n    s = s + s"),
    ("doubling_augassign", "exec", "s = 'ab'\nfor i in range(100):\n    s += s"),
    ("doubling_list_augassign", "exec", "l = [1]\nfor i in range(100):\n    l += l"),
    ("doubling_item_augassign", "exec", "d = {'s': 'ab'}\nfor i in range(100):\n    d['s'] += d['s']"),
    ("list_extend_self", "exec", "l = [1]\nfor i in range(100):\n    l.extend(l)"),
    ("starred_doubling", "exec", "l = [1]\nfor i in range(100):\n    l = [*l, *l]"),
    ("many_big_strings", "exec", "x = 'a' * 900000\nl = [x + str(i) for i in range(1000)]"),
    ("many_big_lists", "exec", "l = [[0] * 1000000 for i in range(1000)]"),
    ("many_list_copies", "exec", "a = [0] * 1000000\nl = [a.copy() for i in range(1000)]"),
    ("many_medium_lists", "exec", "l = [[0] * 8000 for i in range(100000)]"),
    ("many_fstrings", "exec", "x = 'a' * 400000\nl = [f'{x}{i}' for i in range(1000)]"),
]


@pytest.mark.parametrize(("mode", "code"), [c[1:] for c in LIMITS], ids=[c[0] for c in LIMITS])
def test_size_limit(mode: str, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxLimitError) as info:
        _run(mode, code, time_limit=5.0)
    assert info.value.code == "limit"
    assert time.monotonic() - started < 2.0


def test_object_count_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_guards, "MAX_NEW_BLOCKS", 20_000)
    with pytest.raises(SandboxLimitError, match="objects"):
        execute("l = []\nfor i in range(1000000):\n    l.append([i])", {}, time_limit=10.0)


def test_sum_only_adds_numbers() -> None:
    with pytest.raises(SandboxError, match="numbers"):
        evaluate("sum([[1] * 1000] * 1000, [])", {})


@pytest.mark.parametrize(("mode", "code"), [
    ("eval", "(lambda f: f(f))(lambda f: f(f))"),
    ("exec", "f = lambda n: f(n + 1)\nf(0)"),
    ("exec", "def f():\n    return f()\nf()"),
])
def test_recursion_stops_cleanly(mode: str, code: str) -> None:
    with pytest.raises((SandboxLimitError, SandboxTimeoutError)):
        _run(mode, code)


# --------------------------------------------------------------------------------------------------
# Time limits

RUNAWAYS = [
    ("while_pass", "exec", "while True: pass"),
    ("while_pass_block", "exec", "while True:\n    pass"),
    ("while_counting", "exec", "x = 0\nwhile True:\n    x = x + 1"),
    ("while_in_function", "exec", "def f():\n    while 1: pass\nf()"),
    ("nested_comprehension", "exec", "x = [0 for i in range(10**6) for j in range(10**6)]"),
    ("generator_sum", "eval", "sum(1 for i in range(10**6) for j in range(10**6))"),
    ("sort_key_lambda", "eval", "sorted(range(10**6), key=lambda x: [y for y in range(100)])"),
]


@pytest.mark.parametrize(("mode", "code"), [c[1:] for c in RUNAWAYS], ids=[c[0] for c in RUNAWAYS])
def test_runaway_code_times_out(mode: str, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxTimeoutError) as info:
        _run(mode, code, time_limit=0.3)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 1.0


def test_default_time_limit_is_about_one_second() -> None:
    started = time.monotonic()
    with pytest.raises(SandboxTimeoutError):
        execute("while True: pass", {})
    assert 0.9 < time.monotonic() - started < 2.0


def test_timeout_does_not_break_the_next_run() -> None:
    before = sys.gettrace()
    with pytest.raises(SandboxTimeoutError):
        execute("while True: pass", {}, time_limit=0.2)
    assert sys.gettrace() is before
    assert evaluate("1 + 1", {}) == 2
    context = {"n": 1}
    execute("n += 1", context)
    assert context == {"n": 2}


def test_works_in_a_non_main_thread_and_restores_its_tracer() -> None:
    results: dict[str, Any] = {}

    def tracer(frame: Any, event: str, arg: Any) -> None:
        return None

    def worker() -> None:
        sys.settrace(tracer)
        try:
            execute("while True: pass", {}, time_limit=0.3)
        except SandboxTimeoutError as exc:
            results["error"] = exc
        results["trace"] = sys.gettrace()
        results["value"] = evaluate("risk == 'tinggi'", {"risk": "tinggi"})
        sys.settrace(None)

    thread = threading.Thread(target=worker)
    started = time.monotonic()
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2.0
    assert isinstance(results["error"], SandboxTimeoutError)
    assert results["trace"] is tracer
    assert results["value"] is True


def test_a_runaway_thread_does_not_disturb_another() -> None:
    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: _capture(errors))
    thread.start()
    for n in range(200):
        assert evaluate("n * 2", {"n": n}) == n * 2
    thread.join(timeout=5)
    assert len(errors) == 1 and isinstance(errors[0], SandboxTimeoutError)


def _capture(errors: list[BaseException]) -> None:
    try:
        execute("while True: pass", {}, time_limit=0.5)
    except SandboxError as exc:
        errors.append(exc)


# --------------------------------------------------------------------------------------------------
# Ordinary BPMN code

SERVICES_DONE = [{"name": "medis", "done": True}, {"name": "hukum", "done": True}]
SERVICES_OPEN = [{"name": "medis", "done": True}, {"name": "hukum", "done": False}]
ALL_DONE = "len(services) > 0 and all(s['done'] for s in services)"
SEXUAL = "jenis_kekerasan is not None and 'seksual' in jenis_kekerasan"

CONDITIONS = [
    ("risk_level == 'tinggi'", {"risk_level": "tinggi"}, True),
    ("risk_level == 'tinggi'", {"risk_level": "rendah"}, False),
    (SEXUAL, {"jenis_kekerasan": ["fisik", "seksual"]}, True),
    (SEXUAL, {"jenis_kekerasan": None}, False),
    ("not approved", {"approved": False}, True),
    ("not approved", {"approved": True}, False),
    (ALL_DONE, {"services": SERVICES_DONE}, True),
    (ALL_DONE, {"services": SERVICES_OPEN}, False),
    (ALL_DONE, {"services": []}, False),
    ("korban.get('usia', 99) < 18", {"korban": {"usia": 12}}, True),
    ("status in ('baru', 'proses') and age >= 18", {"status": "baru", "age": 30}, True),
    ("\n    risk_level == 'tinggi'\n  ", {"risk_level": "tinggi"}, True),
    ("max(scores) - min(scores) > 2", {"scores": [1, 5]}, True),
    ("f'{name}-{n:03d}' == 'A-007'", {"name": "A", "n": 7}, True),
    ("days_between(reported_at, today) > 3", {"reported_at": "2024-01-01", "today": "2024-01-05"}, True),
]


@pytest.mark.parametrize(("expression", "scope", "expected"), CONDITIONS)
def test_gateway_conditions(expression: str, scope: dict[str, Any], expected: bool) -> None:
    before = copy.deepcopy(scope)
    assert evaluate(expression, scope) is expected
    assert scope == before


TIMERS = [
    ('"PT72H"', {}, "PT72H"),
    ("deadline", {"deadline": "P7D"}, "P7D"),
    ("iso_duration_hours(hours)", {"hours": 48}, "PT48H"),
    ("add_days(reported_at, 3)", {"reported_at": "2024-05-01T08:00:00+07:00"}, "2024-05-04T08:00:00+07:00"),
]


@pytest.mark.parametrize(("expression", "scope", "expected"), TIMERS)
def test_timer_expressions(expression: str, scope: dict[str, Any], expected: str) -> None:
    assert evaluate(expression, scope) == expected


def test_payload_expression_builds_data() -> None:
    payload = evaluate("{'case': case_id, 'tags': [t.upper() for t in tags]}", {"case_id": 7, "tags": ["a"]})
    assert payload == {"case": 7, "tags": ["A"]}


SCRIPTS = [
    ("counter = counter + 1", {"counter": 1}, {"counter": 2}),
    ("counter += 1", {"counter": 1}, {"counter": 2}),
    ("summary = {'n': len(items)}", {"items": [1, 2]}, {"items": [1, 2], "summary": {"n": 2}}),
    ("names = [s['name'] for s in services if s['done']]", {"services": SERVICES_OPEN},
     {"services": SERVICES_OPEN, "names": ["medis"]}),
    ("total = 0\nfor x in items:\n    total += x", {"items": [1, 2, 3]}, {"items": [1, 2, 3], "total": 6, "x": 3}),
    ("case['status'] = 'closed'", {"case": {"status": "open"}}, {"case": {"status": "closed"}}),
    ("counts['a'] += 1\ncounts['b'] = counts.get('b', 0) + 1", {"counts": {"a": 1}}, {"counts": {"a": 2, "b": 1}}),
    ("items.append(4)", {"items": [1]}, {"items": [1, 4]}),
    ("del temp", {"temp": 1, "keep": 2}, {"keep": 2}),
    ("pair = (1, 2)\ntags = {'b'}", {}, {"pair": [1, 2], "tags": ["b"]}),
    ("def double(n):\n    return n * 2\nresult = double(21)", {}, {"result": 42}),
    ("a, b = pair", {"pair": [1, 2]}, {"pair": [1, 2], "a": 1, "b": 2}),
    ("due = add_hours(created, 72)", {"created": "2024-01-01T00:00:00Z"},
     {"created": "2024-01-01T00:00:00Z", "due": "2024-01-04T00:00:00+00:00"}),
    ("if risk == 'tinggi':\n    sla = 'PT24H'\nelse:\n    sla = 'PT72H'", {"risk": "tinggi"},
     {"risk": "tinggi", "sla": "PT24H"}),
    ("    x = 1\n    y = x + 1\n", {}, {"x": 1, "y": 2}),
    ("x = 1\n        y = x + 1\n        if y:\n            z = y", {}, {"x": 1, "y": 2, "z": 2}),
    ("_ = 1\nlen = 3\nvisible = 1", {}, {"visible": 1}),
    ("n = 0\nwhile n < 5:\n    n += 1", {}, {"n": 5}),
    ("msg = f'{nama} ({umur} th)'", {"nama": "Sari", "umur": 9}, {"nama": "Sari", "umur": 9, "msg": "Sari (9 th)"}),
    ("words = ', '.join(sorted(tags)).upper()", {"tags": ["b", "a"]}, {"tags": ["b", "a"], "words": "A, B"}),
]


@pytest.mark.parametrize(("script", "before", "after"), SCRIPTS)
def test_scripts_write_back_data(script: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    context = copy.deepcopy(before)
    execute(script, context)
    assert context == after


@pytest.mark.parametrize("script", [
    "when = parse_date('2024-01-01')",
    "d = {1: 'a'}",
    "z = zip(items, items)",
    "l = []\nl.append(l)",
])
def test_non_json_data_is_refused(script: str) -> None:
    context = {"items": [1]}
    with pytest.raises(SandboxError) as info:
        execute(script, context)
    assert info.value.code == "data"
    assert context == {"items": [1]}


def test_failing_script_leaves_data_unchanged() -> None:
    context = {"items": [1], "n": 1}
    with pytest.raises(SandboxError) as info:
        execute("items.append(9)\nn = 2\nx = 1 / 0", context)
    assert info.value.code == "runtime" and "ZeroDivisionError" in str(info.value)
    assert context == {"items": [1], "n": 1}


def test_underscore_data_cannot_replace_guards() -> None:
    context = {"_getattr_": getattr, "_write_": lambda obj: obj, "s": "x"}
    with pytest.raises(SandboxError):
        evaluate("'{0.__class__}'.format(1)", context)
    with pytest.raises(SandboxError):
        execute("s[0] = 'y'", context)
    execute("t = 1", context)
    assert context["_getattr_"] is getattr and context["t"] == 1


def test_undefined_name_is_a_runtime_error() -> None:
    with pytest.raises(SandboxError) as info:
        evaluate("missing == 1", {})
    assert info.value.code == "runtime" and "missing" in str(info.value)
    with pytest.raises(SandboxError):
        evaluate("PT72H", {})  # an unquoted duration is a name; validation flags it at upload


# --------------------------------------------------------------------------------------------------
# Helpers

HELPER_CASES = [
    ("days_between('2024-01-01', '2024-01-04T12:00:00')", 3.5),
    ("days_between('2024-01-05', '2024-01-01')", -4.0),
    ("hours_between('2024-01-01T00:00:00Z', '2024-01-01T06:30:00+00:00')", 6.5),
    ("hours_between('2024-01-01T07:00:00+07:00', '2024-01-01T01:00:00Z')", 1.0),
    ("add_days('2024-01-31', 1)", "2024-02-01T00:00:00+00:00"),
    ("add_hours('2024-01-01T23:00:00Z', 2)", "2024-01-02T01:00:00+00:00"),
    ("iso_duration_hours(72)", "PT72H"),
    ("iso_duration_hours(1.5)", "PT1.5H"),
    ("parse_date('2024-03-01').isoformat()", "2024-03-01T00:00:00+00:00"),
    ("parse_date('2024-03-01T10:00:00+07:00').hour", 10),
    ("list(range(3))", [0, 1, 2]),
    ("sum(x for x in [1, 2.5])", 3.5),
    ("dict(zip(['a'], [1]))", {"a": 1}),
    ("set([1, 1])", {1}),
    ("tuple([1])", (1,)),
    ("str(5) + 'x'", "5x"),
    ("int('7') + float('0.5')", 7.5),
    ("round(2.675, 1) + abs(-2)", 4.7),
    ("any([False, True]) and not all([True, False])", True),
    ("[i for i, _ in enumerate('ab')]", [0, 1]),
    ("sorted({'b': 1, 'a': 2})", ["a", "b"]),
    ("bool('') or min(3, 2)", 2),
]


@pytest.mark.parametrize(("expression", "expected"), HELPER_CASES)
def test_helpers(expression: str, expected: Any) -> None:
    assert evaluate(expression, {}) == expected


@pytest.mark.parametrize("expression", [
    "parse_date('not a date')",
    "parse_date(5)",
    "iso_duration_hours(-1)",
    "iso_duration_hours('72')",
    "add_days('2024-01-01', 10**12)",
])
def test_helper_errors(expression: str) -> None:
    with pytest.raises(SandboxError):
        evaluate(expression, {})


def test_helper_allowlist() -> None:
    assert set(HELPERS) == {
        "len", "min", "max", "sum", "abs", "round", "sorted", "any", "all", "str", "int", "float", "bool",
        "list", "dict", "tuple", "set", "range", "enumerate", "zip", "parse_date", "days_between",
        "hours_between", "add_days", "add_hours", "iso_duration_hours",
    }
    assert not any(isinstance(v, types.ModuleType) for v in HELPERS.values())
    assert sandbox.parse_date("2024-01-01T00:00:00").tzinfo is not None


def test_restrictedpython_builtins_are_not_mutated() -> None:
    snapshot = dict(safe_builtins)
    evaluate("len([1])", {})
    execute("x = 1", {})
    assert safe_builtins == snapshot
    assert sandbox._globals({})["__builtins__"] is not HELPERS


# --------------------------------------------------------------------------------------------------
# check(): the upload-time lint

CHECK_OK = [
    ("condition", "risk_level == 'tinggi'"),
    ("timer", '"PT72H"'),
    ("timer", "deadline"),
    ("payload", "{'case': case_id}"),
    ("loop", "counter < 3"),
    ("script", "counter = counter + 1"),
    ("script", "counts['a'] += 1"),
    ("script", "\n        counter = counter + 1\n        if counter > 2:\n            done = True\n      "),
    ("script", "counter = counter + 1\n        if counter > 2:\n            done = True"),
    ("prescript", "x = 1"),
    ("postscript", "del x"),
    ("script", ""),
]


@pytest.mark.parametrize(("kind", "text"), CHECK_OK)
def test_check_accepts_legitimate_code(kind: str, text: str) -> None:
    assert check(text, kind) == []


CHECK_BAD = [
    ("condition", "risk_level =="),
    ("condition", "x = 1"),
    ("condition", ""),
    ("script", "while True pass"),
    ("script", "import os"),
    ("condition", "__import__('os')"),
    ("timer", "open('/etc/passwd')"),
    ("payload", "getattr(x, 'y')"),
    ("loop", "type(x)"),
    ("script", "try:\n    pass\nexcept:\n    pass"),
    ("script", "x.y += 1"),
    ("script", "d[1:2] += [1]"),
    ("condition", "f'{x:>99999999}'"),
    ("condition", "x" * 60000),
    ("condition", "(" * 1000 + ")" * 1000),
    ("condition", "+".join(["1"] * 20000)),
]


@pytest.mark.parametrize(("kind", "text"), CHECK_BAD, ids=[f"{k}-{t[:20]}" for k, t in CHECK_BAD])
def test_check_reports_problems(kind: str, text: str) -> None:
    problems = check(text, kind)
    assert problems and all(isinstance(p, str) and p for p in problems)


def test_check_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        check("x", "gateway")


def test_compiled_code_is_cached_and_bounded() -> None:
    assert sandbox._compile("1 + 1", "eval") is sandbox._compile("1 + 1", "eval")
    for n in range(sandbox._CACHE_SIZE + 10):
        sandbox._compile(f"x == {n}", "eval")
    assert len(sandbox._cache) <= sandbox._CACHE_SIZE


def test_error_codes() -> None:
    assert SandboxError("m").code == "sandbox"
    assert SandboxTimeoutError("m").code == "timeout"
    assert SandboxLimitError("m").code == "limit"
    assert SandboxCompileError("m").code == "compile"
    assert SandboxError("m", code="x").code == "x"
