"""Where an upload's bytes live: UPLOAD_STORAGE.

- ``db``: in SQL (ginchat.models.upload, table upload_chunk), so every node
  sharing the database serves every upload with no shared folder. The
  default when the database is a server (MariaDB/MySQL, PostgreSQL).
- ``folder``: in UPLOAD_FOLDER, as files named like the URL. The default for
  SQLite (one node, or nodes on one host sharing the file and the folder).

Either way each upload made since migration 0007 has a row in ``upload``
(kind, type, the sender's file name, size, sha256). Files found in the
folder without a row (uploads made before, or copied in by an admin) are
still served from it, in both modes, as their name's type.
"""

import hashlib
import logging
import os
import time

from ginchat.extensions import db
from ginchat.models import upload as upload_rows
from ginchat.settings import settings
from ginchat.uploads.kinds import TYPES

log = logging.getLogger("ginchat.attach")


def mode():
    return settings().upload_storage


def folder():
    return settings().upload_folder


def digest_of(path):
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            sha.update(block)
    return sha.hexdigest()


def keep(part, name, kind, mime, owner_id, file_name="", digest=None):
    """Give the checked part file its final place under ``name``: its row,
    and its bytes in SQL or in the folder. The part file is gone afterwards."""
    size = os.path.getsize(part)
    row = {
        "name": name,
        "kind": kind,
        "mime": mime,
        "file_name": file_name,
        "size": size,
        "digest": digest or digest_of(part),
        "owner_id": owner_id,
        "create_time": int(time.time() * 1000),
    }
    if mode() == "db":
        try:
            upload_rows.record(row, part)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            os.unlink(part)
        return row
    final = os.path.join(folder(), name)
    os.replace(part, final)
    try:
        upload_rows.record(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        os.unlink(final)
        raise
    return row


def find(name):
    """What upload ``name`` is: its row (a dict with kind, mime, file_name,
    size, digest, in_db), or for a file of the folder without a row, the same
    made from its name and the file; None if there is no such upload.
    Read on a connection of its own: the socket's long-lived context holds
    no transaction (nor a stale snapshot) because of it."""
    with db.engine.connect() as conn:
        row = conn.execute(upload_rows.select_by_name(name)).mappings().first()
    if row is not None:
        return dict(row)
    path = os.path.join(folder(), name)
    if not os.path.isfile(path):
        return None
    mime, kind = TYPES[name.rsplit(".", 1)[1]]
    stat = os.stat(path)
    return {
        "name": name,
        "kind": kind,
        "mime": mime,
        "file_name": "",
        "size": stat.st_size,
        "digest": None,
        "in_db": 0,
    }


def forget(name):
    """Delete an upload everywhere it may be (row, chunks, folder file)."""
    try:
        upload_rows.forget(name)
        db.session.commit()
    except Exception:  # noqa: BLE001 -- a failed delete leaves a file nobody points at; say so and go on
        db.session.rollback()
        log.warning("could not delete upload %s from the database", name, exc_info=True)
    try:
        os.remove(os.path.join(folder(), name))
    except OSError:
        pass
