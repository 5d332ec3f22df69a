"""Storing an upload: the disk reserve, the size limit while copying, the
type check and the server-made name."""

import errno
import logging
import os
import shutil
import uuid

import gevent

from ginchat.errors import AppError, bad_request
from ginchat.settings import settings
from ginchat.uploads import backend
from ginchat.uploads.files import file_type, safe_file_name
from ginchat.uploads.images import check_and_clean_image
from ginchat.uploads.kinds import PIL_FORMATS, TYPES, too_large, unsupported
from ginchat.uploads.sniff import HEAD, detect

log = logging.getLogger("ginchat.attach")

CHUNK = 64 * 1024


def store(stream, folder, limit, max_pixels, owner_id=None):
    """Copy the upload to a hidden part file (at most ``limit`` bytes), decide
    its type, check and clean it, and keep it under its final name (in SQL or
    the folder: backend.keep). Returns the name."""
    os.makedirs(folder, exist_ok=True)
    part = os.path.join(folder, f".part-{uuid.uuid4().hex}")
    try:
        size = copy_limited(stream, part, limit)
        if size == 0:
            raise bad_request("the file is empty")
        with open(part, "rb") as fh:
            ext = detect(fh, size)
        if ext is None:
            raise unsupported()
        name = f"{uuid.uuid4().hex}.{ext}"
        if ext in PIL_FORMATS:
            # Decoding is CPU work that releases the GIL: a thread keeps the
            # gevent loop (every other user's chat) running meanwhile.
            in_thread(check_and_clean_image, part, ext, max_pixels)
        mime, kind = TYPES[ext]
        backend.keep(part, name, kind, mime, owner_id, digest=in_thread(backend.digest_of, part))
        return name
    finally:
        if os.path.exists(part):
            os.unlink(part)


def store_file(stream, folder, limit, file_name, owner_id=None):
    """Store a file of any type (Media 5) as ``<uuid>.bin``: the size limit
    and the disk reserve as for pictures, no type check. Returns its row."""
    os.makedirs(folder, exist_ok=True)
    part = os.path.join(folder, f".part-{uuid.uuid4().hex}")
    try:
        size = copy_limited(stream, part, limit)
        if size == 0:
            raise bad_request("the file is empty")
        name = safe_file_name(file_name)
        with open(part, "rb") as fh:
            mime = file_type(fh.read(HEAD), name)
        digest = in_thread(backend.digest_of, part)
        return backend.keep(part, f"{uuid.uuid4().hex}.bin", "file", mime, owner_id, name, digest)
    finally:
        if os.path.exists(part):
            os.unlink(part)


def in_thread(func, *args):
    """``func(*args)`` in gevent's thread pool; what it raises is raised here
    (the pool would print a traceback of its own for every refused picture)."""

    def call():
        try:
            return func(*args), None
        except Exception as exc:  # noqa: BLE001 -- handed back to the greenlet that waits
            return None, exc

    result, exc = gevent.get_hub().threadpool.apply(call)
    if exc is not None:
        raise exc
    return result


def check_room(folder, size):
    """507 unless ``size`` more bytes still leave UPLOAD_MIN_FREE_MB free on
    the folder's disk (checked before a byte of the upload is written there)."""
    reserve = int(settings().upload_min_free_mb * 1024 * 1024)
    os.makedirs(folder, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free - size < reserve:
        log.warning("upload refused: %d MiB free on the upload disk, keeping %d MiB", free >> 20, reserve >> 20)
        raise AppError(507, "the server has no room left for uploads; try again later")


def copy_limited(stream, path, limit):
    size = 0
    try:
        with open(path, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    return size
                size += len(chunk)
                if size > limit:
                    raise too_large(f"the file is larger than the {settings().max_upload_mb:g} MiB limit")
                out.write(chunk)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise AppError(507, "the server has no room left for uploads; try again later") from None
        raise
