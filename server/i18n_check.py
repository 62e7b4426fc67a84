"""``python -m server.i18n_check``: are the ``id`` and ``en`` catalogs complete?

Fails (exit status 1, one line per problem) when a string of the code, the templates or a shipped
form or workflow has no translation, or a fuzzy one, in either catalog, or when a translation drops or
renames a ``%(name)s`` placeholder. The strings are extracted afresh with the mapping in ``babel.cfg``,
so a string added since the last ``make i18n-update`` counts as missing.

``--fill-source`` (run by ``make i18n-update``) copies each message into the catalog of its own source
language: code and templates are written in English, forms and workflows in Indonesian. What is left
empty afterwards needs a translator.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("id", "en")
#: Where content (written in Indonesian) lives; everything else is code (written in English).
CONTENT_DIRS = ("forms", "workflows")
CONTENT_LOCALE, CODE_LOCALE = "id", "en"
#: Keep in step with BABEL_KEYWORDS in the Makefile (a test compares them).
EXTRA_KEYWORDS = ("_l", "notice_text", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2", "pgettext:1c,2", "lazy_pgettext:1c,2",
                  "pgettext_lazy:1c,2")
#: Directories never scanned (same as BABEL_IGNORE in the Makefile).
IGNORED_DIRS = (".*", "._", "__pycache__", "node_modules", "instance", "tests", "bench", "migrations", "static")

_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcou]|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcou]")
#: ``{n}``-style placeholders, used by strings handed to JavaScript.
_BRACE = re.compile(r"\{(\w+)\}")


@dataclass
class Source:
    """One extracted message and where it was found."""

    msgid: str | tuple[str, ...]
    context: str | None
    locations: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.msgid[0] if isinstance(self.msgid, tuple) else self.msgid

    @property
    def is_content(self) -> bool:
        return bool(self.locations) and all(_is_content(path) for path in self.locations)

    @property
    def source_locale(self) -> str | None:
        """The language the message is written in; None when code and content share it."""
        kinds = {_is_content(path) for path in self.locations}
        if kinds == {True}:
            return CONTENT_LOCALE
        return CODE_LOCALE if kinds == {False} else None


def po_path(root: Path, locale: str) -> Path:
    return root / "translations" / locale / "LC_MESSAGES" / "messages.po"


def load(root: Path, locale: str) -> Catalog:
    """Read one catalog."""
    with po_path(root, locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def save(root: Path, locale: str, catalog: Catalog) -> None:
    """Write one catalog the way ``pybabel update`` does."""
    with po_path(root, locale).open("wb") as fh:
        write_po(fh, catalog, ignore_obsolete=True, width=76)


def extract(root: Path) -> dict[tuple[str, str | None], Source]:
    """Every translatable string under `root`, by (msgid, context), with the mapping in babel.cfg."""
    with (root / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(root / "babel.cfg"))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(EXTRA_KEYWORDS))}
    found: dict[tuple[str, str | None], Source] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=keywords, directory_filter=_keep_dir):
        msgid = message if isinstance(message, str) else tuple(message)
        key = (msgid[0] if isinstance(msgid, tuple) else msgid, context)
        entry = found.setdefault(key, Source(msgid, context))
        entry.locations.append(f"{Path(filename).as_posix()}:{lineno}")
    return found


def problems(root: Path = ROOT, sources: dict[tuple[str, str | None], Source] | None = None) -> list[str]:
    """One line per missing, fuzzy or broken translation; empty when the catalogs are complete."""
    sources = extract(root) if sources is None else sources
    out: list[str] = []
    for source in sources.values():
        if any(location.split(":")[0].endswith(".html") for location in source.locations) and _bare_percent(source):
            out.append(f"{_label(source.key, source.context)} ({source.locations[0]}): a template string is always "
                       "%-formatted, so a lone % breaks the page; write %%")
    for locale in LOCALES:
        path = po_path(root, locale)
        if not path.exists():
            out.append(f"{_rel(root, path)}: missing catalog (run `make i18n-update`)")
            continue
        catalog = load(root, locale)
        if catalog.fuzzy:
            out.append(f"{_rel(root, path)}: the header is marked fuzzy, so pybabel would not compile it")
        for source in sources.values():
            message = catalog.get(source.key, source.context)
            where = source.locations[0] if source.locations else "?"
            label = _label(source.key, source.context)
            if message is None:
                kind = "a shipped definition's string" if source.is_content else "a new string"
                out.append(f"{locale}: {label} ({where}) is {kind} not in the catalog (run `make i18n-update`)")
                continue
            out.extend(f"{locale}: {label} ({where}) {issue}" for issue in _issues(message, source.is_content))
        for message in catalog:
            if not message.id:
                continue
            if (message.id if isinstance(message.id, str) else message.id[0], message.context) in sources:
                continue
            out.extend(f"{locale}: {_label(message.id, message.context)} (no longer in the source) {issue}"
                       for issue in _issues(message, False) if "placeholder" in issue or "fuzzy" in issue)
    return out


def fill_source(root: Path = ROOT, sources: dict[tuple[str, str | None], Source] | None = None) -> int:
    """Copy each untranslated message into its own source language's catalog; return how many."""
    sources = extract(root) if sources is None else sources
    filled = 0
    for locale in LOCALES:
        if not po_path(root, locale).exists():
            continue
        catalog = load(root, locale)
        changed = False
        for source in sources.values():
            if source.source_locale != locale:
                continue
            message = catalog.get(source.key, source.context)
            if message is None or message.fuzzy or _translated(message):
                continue
            if isinstance(message.id, tuple):
                count = catalog.num_plurals
                forms = list(message.id) + [message.id[-1]] * max(0, count - len(message.id))
                message.string = tuple(forms[:count])
            else:
                message.string = message.id
            filled += 1
            changed = True
        if changed:
            save(root, locale, catalog)
    return filled


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    sources = extract(ROOT)
    if "--fill-source" in args:
        print(f"filled {fill_source(ROOT, sources)} message(s) in their source language")
        return 0
    found = problems(ROOT, sources)
    for line in found:
        print(line)
    if found:
        print(f"\n{len(found)} translation problem(s). Run `make i18n-update`, translate the entries above in "
              "translations/<locale>/LC_MESSAGES/messages.po (remove any `#, fuzzy` line once checked), "
              "then run `make i18n-check` again.", file=sys.stderr)
        return 1
    print(f"translations complete: {len(sources)} messages in {', '.join(LOCALES)}")
    return 0


def _issues(message: Message, content: bool) -> list[str]:
    issues = []
    if message.fuzzy:
        issues.append("is marked fuzzy: check the translation and remove the `#, fuzzy` line")
    if not _translated(message):
        issues.append("has no translation of a shipped definition's string" if content else "has no translation")
        return issues
    sources = list(message.id) if isinstance(message.id, tuple) else [message.id]
    strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
    wanted = {name for text in sources for name in _placeholders(text)}
    for text in strings:
        got = set(_placeholders(text))
        if got - wanted:
            issues.append(f"uses placeholder(s) the source does not have: {', '.join(sorted(got - wanted))}")
        if not isinstance(message.id, tuple) and wanted - got:
            issues.append(f"drops placeholder(s): {', '.join(sorted(wanted - got))}")
    return issues


def _bare_percent(source: Source) -> bool:
    texts = source.msgid if isinstance(source.msgid, tuple) else (source.msgid,)
    return any("%" in _PLACEHOLDER.sub("", text.replace("%%", "")) for text in texts)


def _placeholders(text: str) -> list[str]:
    found = [match.group(1) or match.group(0) for match in _PLACEHOLDER.finditer(text.replace("%%", ""))]
    return found + ["{" + match.group(1) + "}" for match in _BRACE.finditer(text)]


def _translated(message: Message) -> bool:
    if isinstance(message.string, tuple | list):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def _is_content(location: str) -> bool:
    return location.replace("\\", "/").split("/", 1)[0] in CONTENT_DIRS


def _keep_dir(dirname: str) -> bool:
    import fnmatch

    base = Path(dirname).name
    return not any(fnmatch.fnmatch(base, pattern) for pattern in IGNORED_DIRS)


def _label(msgid: str | tuple[str, ...], context: str | None) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    shown = text if len(text) <= 70 else text[:67] + "..."
    return repr(shown) + (f" [context {context!r}]" if context else "")


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
