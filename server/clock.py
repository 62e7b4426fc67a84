"""The only reader of the wall clock. Everything else takes ``now`` as an argument."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_override: Callable[[], datetime] | None = None


def utcnow() -> datetime:
    """Current time in UTC (timezone-aware); tests may install a fixed or offset clock."""
    if _override is not None:
        return _override()
    return datetime.now(UTC)


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Install a clock function (tests, the demo's time travel); ``None`` restores the wall clock."""
    global _override
    _override = fn


def monotonic() -> float:
    """Monotonic seconds, for time limits and benchmarks."""
    import time

    return time.monotonic()
