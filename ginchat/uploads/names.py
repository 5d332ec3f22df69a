"""Upload names and URL paths: what the chat side and icons may point at."""

import re

from ginchat.errors import bad_request
from ginchat.settings import settings
from ginchat.uploads import backend
from ginchat.uploads.kinds import TYPES

NAME_RE = re.compile(r"^[0-9a-f]{32}\.(?:" + "|".join(TYPES) + r")$")
URL_PREFIX = "/uploads/"
ALIAS_PREFIX = "/asset/upload/"  # the Go original's path, still served


def upload_folder():
    return settings().upload_folder


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


def upload_exists(url):
    """True only for ``/uploads/<name>`` naming an upload this server stored
    (in SQL or in the folder)."""
    name = upload_name(url)
    return name is not None and backend.find(name) is not None


def upload_info(url):
    """The stored upload's row (backend.find) for an upload URL, else None."""
    name = upload_name(url, aliases=True)
    return None if name is None else backend.find(name)


def upload_kind(url):
    """ "image", "voice" or "file" for an existing upload, else None."""
    info = upload_info(url)
    return None if info is None else info["kind"]


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
        raise bad_request(f"icon must be a picture (PNG, JPEG, GIF or WebP), not a {kind} upload")
    return URL_PREFIX + name
