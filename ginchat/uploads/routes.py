"""The upload routes: POST /attach/upload, POST /attach/file and GET /uploads/<name>."""

import logging
import os

from flask import current_app, request, send_file
from flask_login import current_user

from ginchat.errors import AppError, bad_request, not_found
from ginchat.extensions import db
from ginchat.models import upload as upload_rows
from ginchat.settings import settings
from ginchat.uploads import backend
from ginchat.uploads.files import SERVED_TYPE, content_disposition
from ginchat.uploads.images import DEFAULT_MAX_IMAGE_PIXELS
from ginchat.uploads.kinds import TYPES
from ginchat.uploads.names import NAME_RE, URL_PREFIX, upload_folder
from ginchat.uploads.storage import check_room, store, store_file
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
    storage, limit = _file_part("the picture or clip")
    max_pixels = settings().max_image_pixels or DEFAULT_MAX_IMAGE_PIXELS
    with _logged_refusal():
        name = store(storage.stream, upload_folder(), limit, max_pixels, current_user.id)
    kind = TYPES[name.rsplit(".", 1)[1]][1]
    return resp.ok(URL_PREFIX + name, msg=f"{kind} stored")


def upload_file():
    """Upload a file of any type, to send as a Media 5 (file) message.
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
          Any file, at most MAX_UPLOAD_MB MiB (default 10). It is stored as it is, under
          a server-made name (/uploads/<uuid>.bin), and only ever served as a download
          (Content-Disposition attachment, application/octet-stream). Its file name is
          kept, sanitised: no folder part, no control or bidi characters, no reserved
          Windows name, at most 120 characters.
    responses:
      200:
        description: "stored; Data is {Url, Name, Size, Mime}: send Url as the Url of a Media 5 message"
        schema: {$ref: "#/definitions/FileUploadEnvelope"}
      400: {description: "no multipart field named file, an empty file, or the CSRF token is missing (cookie login)", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      413: {description: "the file is over MAX_UPLOAD_MB", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many uploads (UPLOADS_PER_MINUTE); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
      507: {description: "the server has no room left for uploads", schema: {$ref: "#/definitions/Envelope"}}
    """
    storage, limit = _file_part("the file")
    with _logged_refusal():
        row = store_file(storage.stream, upload_folder(), limit, storage.filename or "", current_user.id)
    data = {"Url": URL_PREFIX + row["name"], "Name": row["file_name"], "Size": row["size"], "Mime": row["mime"]}
    return resp.ok(data, msg="file stored")


def _file_part(what):
    """The multipart ``file`` field and the size limit, after the rate limit
    and the disk reserve (the part file lands in the folder in every mode)."""
    RateLimiter.of().check_upload(current_user.id)
    storage = request.files.get("file")
    if storage is None:
        if "file" in request.form:
            raise bad_request("file must be sent as a file part of a multipart/form-data body, not as text")
        raise bad_request(f"file is required: send {what} as the multipart/form-data field 'file'")
    limit = int(settings().max_upload_mb * 1024 * 1024)
    check_room(upload_folder(), min(limit, request.content_length or limit))
    return storage, limit


class _logged_refusal:
    """Log a refused upload (4xx) with its user; let it through."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, AppError) and exc.status < 500:
            log.info("upload refused (%d) for user %s: %s", exc.status, current_user.id, exc.msg)
        return False


def serve_upload(name):
    """An uploaded file: a picture or clip with its stored type, a file (Media 5) as a download (needs a login).
    ---
    tags: [attach]
    security: [{Bearer: []}]
    produces: [image/png, image/jpeg, image/gif, image/webp, audio/webm, audio/ogg, audio/mpeg, audio/wav, audio/mp4, audio/aac, application/octet-stream, application/json]
    parameters:
      - {name: name, in: path, type: string, required: true, description: "<uuid>.<ext> as returned by /attach/upload"}
    responses:
      200:
        description: >
          the file's bytes (Range requests give 206, If-None-Match a 304), with X-Content-Type-Options nosniff,
          a sandboxing Content-Security-Policy and Cache-Control private, immutable. A file of any type
          (<uuid>.bin, Media 5) is application/octet-stream with Content-Disposition attachment and its
          sanitised name (filename and filename*=UTF-8''), never shown inline. Read from SQL or
          UPLOAD_FOLDER (UPLOAD_STORAGE), so any node serves any upload.
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {description: "no such upload (also for any other name or path)", schema: {$ref: "#/definitions/Envelope"}}
    """
    if not NAME_RE.match(name):
        raise not_found("no such file")
    info = backend.find(name)
    if info is None:
        raise not_found("no such file")
    download = info["kind"] == "file"
    mimetype = SERVED_TYPE if download else TYPES[name.rsplit(".", 1)[1]][0]
    if info["in_db"]:
        response = _from_sql(name, info, mimetype)
    else:
        path = os.path.join(upload_folder(), name)
        if not os.path.isfile(path):
            raise not_found("no such file")
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, download_name=name)
    if download:
        # Whatever it holds (a page, a picture, a program), a file is saved, never shown.
        response.headers["Content-Disposition"] = content_disposition(info["file_name"] or "file")
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _from_sql(name, info, mimetype):
    """An upload whose bytes are in SQL: a 304 for a known ETag without
    reading them, a Range from only the chunks that hold it. The body is
    streamed a piece at a time (upload_rows.pieces): a hundred slow readers
    of a large file hold a hundred pieces, not a hundred files."""
    etag = info["digest"]
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    size = int(info["size"])
    byte_range = request.range
    window = byte_range.range_for_length(size) if byte_range is not None else None
    ranged = window is not None and not request.if_range.date and request.if_range.etag in (None, etag)
    start, stop = window if ranged else (0, size)
    body = upload_rows.pieces(db.engine, name, start, stop)
    response = current_app.response_class(body, status=206 if ranged else 200, mimetype=mimetype)
    response.direct_passthrough = True  # bytes as they are: no re-encoding, no buffering
    response.content_length = stop - start
    response.set_etag(etag)
    response.headers["Accept-Ranges"] = "bytes"
    if ranged:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        return response
    # What send_file says of a file: shown inline under its name (files are
    # made attachments by serve_upload); an unsatisfiable Range is a 416.
    response.headers.set("Content-Disposition", "inline", filename=name)
    return response.make_conditional(request, accept_ranges=True, complete_length=size)
