"""The upload routes: POST /attach/upload and GET /uploads/<name>."""

import logging
import os

from flask import current_app, request, send_file
from flask_login import current_user

from ginchat.errors import AppError, bad_request, not_found
from ginchat.uploads.images import DEFAULT_MAX_IMAGE_PIXELS
from ginchat.uploads.kinds import TYPES
from ginchat.uploads.names import NAME_RE, URL_PREFIX, upload_folder
from ginchat.uploads.storage import check_room, store
from ginchat.utils import resp
from ginchat.utils.ratelimit import RateLimiter

log = logging.getLogger("ginchat.attach")

# Served files never change under their name; only logged-in users may read
# them, so no shared cache keeps a copy.
CACHE_CONTROL = "private, max-age=31536000, immutable"
# A served file is never a page: no script, no plugin, no form, no frame, a
# unique opaque origin even if a browser renders it as a document.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def upload():
    """Upload a picture or a voice clip; the answer is its URL path.
    ---
    tags: [attach]
    security: [{Bearer: []}]
    consumes: [multipart/form-data]
    parameters:
      - name: file
        in: formData
        type: file
        required: true
        description: >
          A PNG, JPEG, GIF or WebP picture, or a WebM/Opus, Ogg (Opus or Vorbis), MP3,
          WAV, M4A or AAC (ADTS) voice clip, at most MAX_UPLOAD_MB MiB (default 10).
          The type is read from the content; the file name and Content-Type are ignored.
          Pictures must decode and hold at most 50 megapixels. JPEG and PNG lose their
          EXIF/XMP/text metadata (a photo's location); no thumbnail is made.
    responses:
      200:
        description: "stored; Data is the file's URL path, /uploads/<uuid>.<ext>, usable as an icon or a message Url"
        schema: {$ref: "#/definitions/UploadEnvelope"}
      400: {description: "no multipart field named file, an empty file, or the CSRF token is missing (cookie login)", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      413: {description: "the file is over MAX_UPLOAD_MB, or a picture has too many pixels", schema: {$ref: "#/definitions/Envelope"}}
      415: {description: "not an accepted picture or voice type, or a picture that does not decode", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many uploads (UPLOADS_PER_MINUTE); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
      507: {description: "the upload disk is full, or storing it would leave less than UPLOAD_MIN_FREE_MB free", schema: {$ref: "#/definitions/Envelope"}}
    """
    RateLimiter.of().check_upload(current_user.id)
    storage = request.files.get("file")
    if storage is None:
        if "file" in request.form:
            raise bad_request("file must be sent as a file part of a multipart/form-data body, not as text")
        raise bad_request("file is required: send the picture or clip as the multipart/form-data field 'file'")
    limit = int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
    max_pixels = int(current_app.config.get("MAX_IMAGE_PIXELS") or DEFAULT_MAX_IMAGE_PIXELS)
    check_room(upload_folder(), min(limit, request.content_length or limit))
    try:
        name = store(storage.stream, upload_folder(), limit, max_pixels)
    except AppError as exc:
        if exc.status >= 500:
            raise
        log.info("upload refused (%d) for user %s: %s", exc.status, current_user.id, exc.msg)
        raise
    kind = TYPES[name.rsplit(".", 1)[1]][1]
    return resp.ok(URL_PREFIX + name, msg=f"{kind} stored")


def serve_upload(name):
    """An uploaded file, with the Content-Type of its stored type (needs a login).
    ---
    tags: [attach]
    security: [{Bearer: []}]
    produces: [image/png, image/jpeg, image/gif, image/webp, audio/webm, audio/ogg, audio/mpeg, audio/wav, audio/mp4, audio/aac, application/json]
    parameters:
      - {name: name, in: path, type: string, required: true, description: "<uuid>.<ext> as returned by /attach/upload"}
    responses:
      200:
        description: "the file's bytes (Range requests give 206), with X-Content-Type-Options nosniff, a sandboxing Content-Security-Policy and Cache-Control private, immutable"
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {description: "no such upload (also for any other name or path)", schema: {$ref: "#/definitions/Envelope"}}
    """
    if not NAME_RE.match(name):
        raise not_found("no such file")
    path = os.path.join(upload_folder(), name)
    if not os.path.isfile(path):
        raise not_found("no such file")
    response = send_file(
        path, mimetype=TYPES[name.rsplit(".", 1)[1]][0], conditional=True, etag=True, download_name=name
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
