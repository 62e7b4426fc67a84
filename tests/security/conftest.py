"""Fixtures for the security tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def attachment_dir(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Attachments go to a per-test folder, never the instance folder of the checkout (tests without the
    app, such as the sandbox probes, do not start it for this)."""
    root = tmp_path / "attachments"
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(root))
    yield root
