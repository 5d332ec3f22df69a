"""Files of any type (Media 5): the sender's file name made safe, a type to
show, and the headers that make a browser download the file, never open it.

A file is stored as ``<uuid4 hex>.bin`` whatever it holds; its name and type
live in its row (ginchat.models.upload) and in the message (File).
"""

import mimetypes
import re
import unicodedata
from urllib.parse import quote

import filetype

NAME_MAX = 120  # characters, the extension included
EXT_MAX = 16
# Windows refuses these as a file's name, with or without an extension.
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in list("123456789") + ["¹", "²", "³"]
}
# Characters no common file system takes in a name (Windows' list, which holds the others').
FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
SPACES = re.compile(r"\s+")
# The only type a file is served as: a browser downloads it and opens nothing.
SERVED_TYPE = "application/octet-stream"


def safe_file_name(raw):
    """The sender's file name as it may be shown and offered for saving: no
    folder part, no control, format (bidi overrides, zero widths) or
    unassigned characters, none a file system refuses, no leading dots, no
    reserved Windows device name, at most NAME_MAX characters with the
    extension kept; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C",) and ch not in "\u2028\u2029")
    name = FORBIDDEN.sub("_", name)
    name = SPACES.sub(" ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > EXT_MAX or " " in ext:
        stem, ext = name, ""
    stem = stem.strip(" .")
    if stem.split(".", 1)[0].strip().upper() in WINDOWS_RESERVED:
        stem = "_" + stem
    room = NAME_MAX - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .")
    if not stem:
        stem = "file"
    return f"{stem}.{ext}" if ext else stem


def file_type(head, name):
    """The type to show for a file: from its content when it has a known
    signature, else from its name's extension, else application/octet-stream.
    (Shown only: files are always served as SERVED_TYPE.)"""
    kind = filetype.guess(head) if head else None
    if kind is not None and kind.mime:
        return kind.mime[:127]
    guessed = mimetypes.guess_type(name, strict=False)[0]
    return (guessed or SERVED_TYPE)[:127]


def content_disposition(name):
    """``attachment`` with an ASCII fallback name and the exact name in
    RFC 6266 / RFC 5987 form (filename*=UTF-8''...)."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'[^\x20-\x7e]|["\\%;]', "_", fallback).strip()
    if not fallback or fallback.startswith("."):
        fallback = "download" + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
