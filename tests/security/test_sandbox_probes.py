"""Independent probes of the BPMN sandbox (server/workflows/sandbox.py is tested by its author in
tests/unit/workflows/test_sandbox.py; these are a second pair of eyes, with attack paths not in that table)."""

from __future__ import annotations

import pytest

from server.workflows import sandbox

ESCAPES = [
    "(x for x in []).gi_frame",
    "(x for x in []).gi_frame.f_back.f_globals",
    "parse_date.__globals__",
    "add_days.func_globals",
    "min.__self__",
    "zip.mro()",
    "enumerate.__new__",
    "''.join.func",
    "[].copy.args",
    "{}.get.__self__",
    "'{0.__class__}'.format(1)",
    "'{0.__init__.__globals__}'.format_map({'0': parse_date})",
    "'%s' % vars()",
    "type(1)",
    "eval('1')",
    "exec('x = 1')",
    "__import__('os')",
    "sorted.__module__",
    "str.maketrans",
    "int.from_bytes(b'1', 'big')",
    "parse_date('2026-01-01').tzinfo.utcoffset",
    "parse_date('2026-01-01').replace(year=1).astimezone",
    "(lambda: 0).__code__",
    "[c for c in ().__class__.__bases__]",
    "dict(a=1).items().mapping",
    "range(3).start.__class__",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_escape_attempts_fail(expression):
    with pytest.raises(sandbox.SandboxError):
        sandbox.evaluate(expression, {})


SCRIPT_ESCAPES = [
    "def f():\n    return f.__globals__\nx = f()",
    "g = (i for i in range(1))\nframe = g.gi_frame",
    "x = []\nx.append(x)\ny = str(x) * 10",  # repr of a cycle is short; just must not crash the host
    "class A:\n    pass",
    "try:\n    1/0\nexcept Exception as e:\n    t = e.__traceback__",
    "global __builtins__\n__builtins__ = {}",
    "import os",
    "from os import system",
    "async def f():\n    pass",
]


@pytest.mark.parametrize("script", SCRIPT_ESCAPES)
def test_script_escape_attempts_fail_or_stay_harmless(script):
    context: dict[str, object] = {}
    try:
        sandbox.execute(script, context)
    except sandbox.SandboxError:
        return
    assert all(isinstance(v, (str, int, float, bool, list, dict, type(None))) for v in context.values()), context


def test_copies_made_by_string_methods_count_against_the_run_budget():
    script = "s = 'ab ' * 330000\ncopies = [s.upper() for i in range(80)]"  # ~80 MB > RUN_BUDGET (64 MB)
    with pytest.raises(sandbox.SandboxLimitError):
        sandbox.execute(script, {}, time_limit=10)
