"""Small HTML helpers shared by the form renderers (server/forms/render.py, server/forms/readonly.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from server.forms.messages import Translate

EMPTY = Markup("")


def html(template: str, *args: Any) -> Markup:
    """Format a literal HTML template; arguments are escaped unless already Markup."""
    return Markup(template).format(*args)  # noqa: S704 - the template is always a literal


def _attrs(attrs: Mapping[str, Any]) -> Markup:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(html(" {}", key))
        else:
            parts.append(html(' {}="{}"', key, value))
    return EMPTY.join(parts)


def tag(name: str, attrs: Mapping[str, Any], content: Any = None) -> Markup:
    if content is None:
        return html("<{}{}>", name, _attrs(attrs))
    return html("<{0}{1}>{2}</{0}>", name, _attrs(attrs), content)


def join(parts: Iterable[Markup]) -> Markup:
    return EMPTY.join(parts)


def translated(translate: Translate, text: Any) -> str | None:
    return translate(text) if isinstance(text, str) and text else None
