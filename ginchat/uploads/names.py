"""Upload names and URL paths: what the chat side and icons may point at."""

import os
import re

from flask import current_app

from ginchat.errors import bad_request
from ginchat.uploads.kinds import TYPES

NAME_RE = re.compile(r"^[0-9a-f]{32}\.(?:" + "|".join(TYPES) + r")$")
URL_PREFIX = "/uploads/"
ALIAS_PREFIX = "/asset/upload/"  # the Go original's path, still served


def upload_folder():
    return current_app.config["UPLOAD_FOLDER"]


def upload_name(url, aliases=False):
    """The stored file name in an upload URL path, or None if it is not one."""
    if not isinstance(url, str):
        return None
    prefixes = (URL_PREFIX, ALIAS_PREFIX) if aliases else (URL_PREFIX,)
    for prefix in prefixes:
        if url.startswith(prefix):
            name = url[len(prefix) :]
            return name if NAME_RE.match(name) else None
    return None


def upload_exists(url, folder=None):
    """True only for ``/uploads/<name>`` naming a file this server stored."""
    name = upload_name(url)
    if name is None:
        return False
    return os.path.isfile(os.path.join(folder or upload_folder(), name))


def upload_kind(url):
    """ "image" or "voice" for an existing upload, else None."""
    name = upload_name(url, aliases=True)
    if name is None or not os.path.isfile(os.path.join(upload_folder(), name)):
        return None
    return TYPES[name.rsplit(".", 1)[1]][1]


def check_icon(url):
    """An icon or avatar must be an existing picture uploaded here; returns its
    canonical ``/uploads/<name>`` path."""
    name = upload_name(url, aliases=True)
    if name is None:
        raise bad_request("icon must be the URL path of an upload, like /uploads/<name>.png")
    kind = upload_kind(url)
    if kind is None:
        raise bad_request("icon names no stored upload: upload the picture with POST /attach/upload first")
    if kind != "image":
        raise bad_request("icon must be a picture (PNG, JPEG, GIF or WebP), not a voice clip")
    return URL_PREFIX + name
