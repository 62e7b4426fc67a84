"""The errors of the BPMN code sandbox (server/workflows/sandbox.py), raised by the compiler and the guards."""

from __future__ import annotations


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
