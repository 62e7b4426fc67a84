"""Content-addressed file store outside the static folder: ``<root>/<ab>/<cd>/<sha256>``.

Files are written to a temporary name next to their final place and renamed into it, so a reader never
sees half a file. Identical content is stored once. A file written for a transaction that later rolls
back stays behind as an unreferenced blob (harmless; it can only be reached through an attachment row).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 64 * 1024


class TooLargeError(Exception):
    """The upload is larger than the limit; nothing was kept."""


@dataclass
class Staged:
    """An upload written to a temporary file, hashed and measured, not yet in the store."""

    path: Path
    sha256: str
    size: int


def blob_path(root: Path, sha256: str) -> Path:
    if not _HEX64.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root / sha256[:2] / sha256[2:4] / sha256


def stage(root: Path, stream: BinaryIO, *, max_bytes: int) -> Staged:
    """Copy ``stream`` to a private temporary file under ``root`` while hashing it; stop past ``max_bytes``."""
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError()
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Staged(Path(name), digest.hexdigest(), size)


def commit(root: Path, staged: Staged) -> Path:
    """Move a staged file to its content address (or drop it if that content is already stored)."""
    final = blob_path(root, staged.sha256)
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if final.exists():
        staged.path.unlink(missing_ok=True)
    else:
        os.chmod(staged.path, 0o600)
        os.replace(staged.path, final)
    return final


def discard(staged: Staged) -> None:
    staged.path.unlink(missing_ok=True)


def verified_path(root: Path, sha256: str) -> Path | None:
    """The stored file for ``sha256`` if it exists and its content still has that hash, else None."""
    path = blob_path(root, sha256)
    try:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return path if digest.hexdigest() == sha256 else None
