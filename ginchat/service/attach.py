"""Uploads (the Go project's service/attach.go)."""

import re

from ginchat.errors import bad_request

UPLOAD_PATH_RE = re.compile(r"^/uploads/[A-Za-z0-9_\-]{1,64}\.[a-z0-9]{1,5}$")


def check_icon(url):
    """An icon or avatar must be one of this server's uploads."""
    if not UPLOAD_PATH_RE.match(url or ""):
        raise bad_request("icon must be the URL path of an upload, like /uploads/<name>.png")
    return url


def upload():
    """Placeholder until the uploads issue lands."""
    from ginchat.utils import resp

    return resp.fail(501, "uploads are not available yet")


def serve_upload(name):
    from ginchat.utils import resp

    return resp.fail(404, "no such file")
