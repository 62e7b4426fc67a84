"""What a file really is, judged by its bytes (never by its name or the browser's claim).

Only a few types are accepted: PDF, JPEG, PNG, plain UTF-8 text, and Word (DOCX) or OpenDocument (ODT)
text documents without macros. Everything else, including HTML, SVG and any script, is refused.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from pathlib import Path

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"

#: content type -> accepted file name extensions (the first is used when the name has none that fits)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",), TEXT: (".txt",), DOCX: (".docx",), ODT: (".odt",),
}

_MAX_ZIP_ENTRIES = 5000
# Control characters (Unicode category Cc) other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Text that a browser could take for markup; plain text attachments never need to start like this.
_MARKUP_STARTS = ("<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe", "<object",
                  "<!--", "<meta", "<a ", "<img", "<div", "<style")


def sniff(path: Path) -> str | None:
    """The accepted content type of the file at ``path``, or None."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04"):
        return _office_document(path)
    return TEXT if _is_plain_text(path) else None


def _office_document(path: Path) -> str | None:
    """DOCX or ODT by their package structure; macro-carrying packages are refused. Nothing is extracted
    except ODT's tiny ``mimetype`` entry, so a zip bomb costs nothing."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_ENTRIES:
                return None
            names = {info.filename for info in infos}
            lowered = {name.lower() for name in names}
            if any(n.endswith("vbaproject.bin") or n.startswith(("basic/", "scripts/")) for n in lowered):
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            first = infos[0] if infos else None
            if first is not None and first.filename == "mimetype" and first.file_size <= 100 \
                    and "content.xml" in names:
                if archive.read(first).strip() == ODT.encode("ascii"):
                    return ODT
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None
    return None


def _is_plain_text(path: Path) -> bool:
    """UTF-8 throughout, no NUL or other control characters, and not markup."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    first = ""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(64 * 1024)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                return False
            if _CONTROL.search(text):
                return False
            if len(first) < 64:
                first += text[:64]
            if not chunk:
                break
    start = first.lstrip().lower()
    return bool(first.strip()) and not start.startswith(_MARKUP_STARTS)


def clean_filename(name: str, content_type: str) -> str:
    """A safe display and download name whose extension matches the detected type."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*;')
    name = " ".join(name.split()).strip(" .")[:150]
    stem, dot, ext = name.rpartition(".")
    allowed = EXTENSIONS[content_type]
    if dot and "." + ext.lower() in allowed and stem.strip(" ."):
        return name
    base = (stem if dot else name).strip(" .") or "lampiran"
    return base[:150] + allowed[0]
