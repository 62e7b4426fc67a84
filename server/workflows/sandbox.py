"""Temporary minimal sandbox; replaced by the full RestrictedPython sandbox."""

from __future__ import annotations

from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import full_write_guard


class SandboxError(Exception):
    def __init__(self, message: str, *, code: str = "sandbox"):
        super().__init__(message)
        self.code = code


class SandboxTimeoutError(SandboxError):
    pass


def _globals(scope: dict[str, Any]) -> dict[str, Any]:
    g: dict[str, Any] = {"__builtins__": dict(safe_builtins), "_getattr_": getattr,
                         "_getitem_": lambda o, k: o[k], "_write_": full_write_guard}
    g.update(scope)
    return g


def evaluate(expression: str, scope: dict[str, Any], *, time_limit: float = 1.0) -> Any:
    code = compile_restricted_eval(expression)
    if code.errors:
        raise SandboxError("; ".join(code.errors))
    return eval(code.code, _globals(scope))  # noqa: S307


def execute(script: str, context: dict[str, Any], *, time_limit: float = 1.0) -> None:
    code = compile_restricted_exec(script)
    if code.errors:
        raise SandboxError("; ".join(code.errors))
    g = _globals(context)
    exec(code.code, g)  # noqa: S102
    for key, value in g.items():
        if not key.startswith("_") and not callable(value):
            context[key] = value


def check(text: str, kind: str) -> list[str]:
    code = compile_restricted_eval(text) if kind != "script" else compile_restricted_exec(text)
    return list(code.errors)
