"""Uploads (the Go project's service/attach.go): pictures and voice clips.

The original kept the client's file name and served whatever came in from the
app's origin, so an uploaded .html or .svg was stored XSS. Here:

- the type is decided by the file's bytes (images must also decode with
  Pillow), never by its name or Content-Type; anything else is a 415;
- the server makes the name, ``<uuid4 hex>.<ext of the detected type>``, so the
  extension always tells the stored type and nothing else can be served;
- the body is limited while it is read (MAX_CONTENT_LENGTH, set from
  MAX_UPLOAD_MB in create_app) and the file part again while it is copied;
- metadata that can reveal where a photo was taken (EXIF, XMP, text chunks)
  is removed from JPEG and PNG uploads, losslessly;
- files are served with their stored type, ``nosniff`` and a sandboxing
  Content-Security-Policy, to logged-in users only.
"""

import errno
import logging
import os
import re
import shutil
import struct
import uuid

import gevent
from flask import current_app, request, send_file
from flask_login import current_user
from PIL import Image, ImageOps

from ginchat.errors import AppError, bad_request, not_found
from ginchat.utils import resp
from ginchat.utils.ratelimit import RateLimiter

log = logging.getLogger("ginchat.attach")

# The extension of each accepted type: its Content-Type and whether it is a
# picture or a voice clip.
TYPES = {
    "png": ("image/png", "image"),
    "jpg": ("image/jpeg", "image"),
    "gif": ("image/gif", "image"),
    "webp": ("image/webp", "image"),
    "webm": ("audio/webm", "voice"),
    "ogg": ("audio/ogg", "voice"),
    "mp3": ("audio/mpeg", "voice"),
    "wav": ("audio/wav", "voice"),
    "m4a": ("audio/mp4", "voice"),
    "aac": ("audio/aac", "voice"),
}
PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(?:" + "|".join(TYPES) + r")$")
URL_PREFIX = "/uploads/"
ALIAS_PREFIX = "/asset/upload/"  # the Go original's path, still served
ACCEPTED = "a PNG, JPEG, GIF or WebP image, or a WebM, Ogg, MP3, WAV, M4A or AAC voice clip"

# Pictures larger than this many pixels are refused before they are decoded
# (decompression bombs); a 50-megapixel phone photo still fits.
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
# An animation may hold this many times the pixels of one big picture.
ANIMATION_FACTOR = 4
CHUNK = 64 * 1024
HEAD = 64 * 1024

# Served files never change under their name; only logged-in users may read
# them, so no shared cache keeps a copy.
CACHE_CONTROL = "private, max-age=31536000, immutable"
# A served file is never a page: no script, no plugin, no form, no frame, a
# unique opaque origin even if a browser renders it as a document.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def unsupported(msg=None):
    return AppError(415, msg or f"unsupported file type: send {ACCEPTED}")


def too_large(msg):
    return AppError(413, msg)


# --- names and paths -------------------------------------------------------------------
def upload_folder():
    return current_app.config["UPLOAD_FOLDER"]


def upload_name(url, aliases=False):
    """The stored file name in an upload URL path, or None if it is not one."""
    if not isinstance(url, str):
        return None
    prefixes = (URL_PREFIX, ALIAS_PREFIX) if aliases else (URL_PREFIX,)
    for prefix in prefixes:
        if url.startswith(prefix):
            name = url[len(prefix):]
            return name if NAME_RE.match(name) else None
    return None


def upload_exists(url, folder=None):
    """True only for ``/uploads/<name>`` naming a file this server stored."""
    name = upload_name(url)
    if name is None:
        return False
    return os.path.isfile(os.path.join(folder or upload_folder(), name))


def upload_kind(url):
    """"image" or "voice" for an existing upload, else None."""
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


# --- the routes ---------------------------------------------------------------------------
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
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
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
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such upload (also for any other name or path)", schema: {$ref: "#/definitions/Envelope"}}
    """
    if not NAME_RE.match(name):
        raise not_found("no such file")
    path = os.path.join(upload_folder(), name)
    if not os.path.isfile(path):
        raise not_found("no such file")
    response = send_file(path, mimetype=TYPES[name.rsplit(".", 1)[1]][0], conditional=True, etag=True,
                         download_name=name)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- storing -------------------------------------------------------------------------------
def store(stream, folder, limit, max_pixels):
    """Copy the upload to a hidden part file (at most ``limit`` bytes), decide
    its type, check and clean it, and give it its final name. Returns the name."""
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
        final = os.path.join(folder, name)
        if ext in PIL_FORMATS:
            # Decoding is CPU work that releases the GIL: a thread keeps the
            # gevent loop (every other user's chat) running meanwhile.
            in_thread(check_and_clean_image, part, ext, max_pixels)
        os.replace(part, final)
        return name
    finally:
        if os.path.exists(part):
            os.unlink(part)


def in_thread(func, *args):
    """``func(*args)`` in gevent's thread pool; what it raises is raised here
    (the pool would print a traceback of its own for every refused picture)."""
    def call():
        try:
            return func(*args), None
        except Exception as exc:  # handed back to the greenlet that waits
            return None, exc

    result, exc = gevent.get_hub().threadpool.apply(call)
    if exc is not None:
        raise exc
    return result


def check_room(folder, size):
    """507 unless ``size`` more bytes still leave UPLOAD_MIN_FREE_MB free on
    the folder's disk (checked before a byte of the upload is written there)."""
    reserve = int(float(current_app.config.get("UPLOAD_MIN_FREE_MB") or 0) * 1024 * 1024)
    os.makedirs(folder, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free - size < reserve:
        log.warning("upload refused: %d MiB free on the upload disk, keeping %d MiB",
                    free >> 20, reserve >> 20)
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
                    raise too_large(f"the file is larger than the {current_app.config['MAX_UPLOAD_MB']} MiB limit")
                out.write(chunk)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise AppError(507, "the server has no room left for uploads; try again later") from None
        raise


# --- deciding the type by content ----------------------------------------------------------
def detect(fh, size):
    """The extension of the file's type, or None. Images are only recognised
    here; check_and_clean_image proves they decode."""
    head = fh.read(HEAD)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav" if is_wav(head) else None
    if head[:4] == b"OggS":
        return "ogg" if is_ogg_audio(head) else None
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if ebml_doctype(head) == b"webm" else None
    if head[4:8] == b"ftyp":
        return "m4a" if is_mp4_audio(fh, size) else None
    return mpeg_audio(fh, head, size)


def is_wav(head):
    """RIFF/WAVE with a format chunk among the first chunks."""
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, length = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if chunk_id == b"fmt ":
            return length >= 16 and pos + 8 + 16 <= len(head)
        pos += 8 + length + (length & 1)
    return False


def is_ogg_audio(head):
    """The first Ogg page (version 0, beginning of stream) starts an Opus,
    Vorbis or Speex stream, not video."""
    if len(head) < 27 or head[4] != 0 or not head[5] & 0x02:
        return False
    body = 27 + head[26]
    packet = head[body:body + 8]
    return packet.startswith((b"OpusHead", b"\x01vorbis", b"Speex   "))


def _vint(data, pos, keep_marker=False):
    """An EBML variable-length integer at ``pos``: (value, next pos) or None."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def ebml_doctype(head):
    """The DocType of an EBML file (b"webm" for WebM) or None."""
    got = _vint(head, 4)
    if got is None:
        return None
    header_size, pos = got
    end = min(len(head), pos + header_size)
    while pos < end:
        element = _vint(head, pos, keep_marker=True)
        if element is None:
            return None
        element_id, pos = element
        got = _vint(head, pos)
        if got is None:
            return None
        length, pos = got
        if element_id == 0x4282:
            return head[pos:pos + length]
        pos += length
    return None


def _boxes(fh, start, end):
    """(type, payload start, payload end) of the ISO-BMFF boxes in [start, end)."""
    pos = start
    while pos + 8 <= end:
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header[:8])
        body = pos + 8
        if length == 1:
            if len(header) < 16:
                return
            length = struct.unpack(">Q", header[8:16])[0]
            body = pos + 16
        elif length == 0:
            length = end - pos
        if length < body - pos or pos + length > end:
            return
        yield kind, body, pos + length
        pos += length


def is_mp4_audio(fh, size):
    """An MP4/M4A whose tracks are sound only: moov/trak/mdia/hdlr says 'soun'."""
    handlers = []
    for kind, body, end in _boxes(fh, 0, size):
        if kind != b"moov":
            continue
        for trak, t_body, t_end in _boxes(fh, body, end):
            if trak != b"trak":
                continue
            for mdia, m_body, m_end in _boxes(fh, t_body, t_end):
                if mdia != b"mdia":
                    continue
                for hdlr, h_body, h_end in _boxes(fh, m_body, m_end):
                    if hdlr == b"hdlr" and h_end - h_body >= 12:
                        fh.seek(h_body + 8)
                        handlers.append(fh.read(4))
    return b"soun" in handlers and b"vide" not in handlers


# MPEG audio frame headers: bitrates (kbit/s) by (version is MPEG-1, layer).
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_frame_length(header):
    """The length of the MPEG audio (MP3) frame starting with these 4 bytes, or None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate_index, rate_index, padding = header[2] >> 4, (header[2] >> 2) & 3, (header[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and not mpeg1:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def adts_frame_length(header):
    """The length of the AAC ADTS frame starting with these 7 bytes, or None."""
    if len(header) < 7 or header[0] != 0xFF or header[1] & 0xF6 != 0xF0:
        return None
    if (header[2] >> 2) & 0xF > 12:
        return None
    length = ((header[3] & 3) << 11) | (header[4] << 3) | (header[5] >> 5)
    return length if length >= 7 else None


def mpeg_audio(fh, head, size):
    """"mp3" or "aac" for an MPEG audio or ADTS stream (after an optional ID3v2
    tag) whose first frame is valid and, if the file goes on, is followed by
    another frame header: random bytes seldom pass that."""
    start = 0
    if head[:3] == b"ID3":
        if len(head) < 10 or head[3] not in (2, 3, 4) or any(b & 0x80 for b in head[6:10]):
            return None
        tag = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        start = 10 + tag + (10 if head[5] & 0x10 else 0)
    fh.seek(start)
    header = fh.read(7)
    for ext, frame_length in (("mp3", mp3_frame_length), ("aac", adts_frame_length)):
        length = frame_length(header)
        if length is None:
            continue
        following = start + length
        if following + 7 > size:
            return ext if following <= size else None
        fh.seek(following)
        return ext if frame_length(fh.read(7)) is not None else None
    return None


# --- pictures: prove they decode, refuse bombs, drop location metadata ---------------------
def check_and_clean_image(path, ext, max_pixels):
    """Raise 413 for too many pixels, 415 for a picture that does not decode;
    strip EXIF and similar metadata from JPEG and PNG in place."""
    try:
        with Image.open(path, formats=[PIL_FORMATS[ext]]) as im:
            width, height = im.size
            if width < 1 or height < 1:
                raise unsupported("the picture has no pixels")
            if width * height > max_pixels:
                raise too_large(f"the picture is {width}x{height} pixels; at most {max_pixels:,} pixels are accepted")
            frames = getattr(im, "n_frames", 1)
            if width * height * frames > max_pixels * ANIMATION_FACTOR:
                raise too_large(f"the animation has {frames} frames of {width}x{height} pixels: too many pixels")
            for index in range(frames):
                im.seek(index)
                im.load()
            rotated = ext == "jpg" and im.getexif().get(0x0112, 1) not in (1, None)
    except Image.DecompressionBombError:
        raise too_large(f"the picture has too many pixels; at most {max_pixels:,} are accepted") from None
    except AppError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
            TypeError, MemoryError) as exc:
        # Pillow reports broken files with any of these.
        raise unsupported(f"the file looks like a {PIL_FORMATS[ext]} picture but does not decode ({exc.__class__.__name__})") from None
    if ext == "jpg":
        clean_jpeg(path, rotated)
    elif ext == "png":
        clean_png(path)


# JPEG segments kept: the JFIF header, the colour profile and Adobe's colour
# transform. Every other APPn (EXIF, XMP, IPTC, MPF with its appended
# pictures, maker notes) and comments go.
_KEEP_JPEG_APP = ((0xE0, b"JFIF\x00"), (0xE2, b"ICC_PROFILE\x00"), (0xEE, b"Adobe"))


def strip_jpeg_segments(data):
    """The JPEG without its metadata segments and anything after its end
    marker, byte for byte otherwise; None if the structure is not understood."""
    out = bytearray(data[:2])
    pos = 2
    n = len(data)
    while pos < n:
        if data[pos] != 0xFF:
            return None
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        if pos + 2 > n:
            return None
        length = struct.unpack(">H", data[pos:pos + 2])[0]
        if length < 2 or pos + length > n:
            return None
        segment = data[pos - 2:pos + length]
        payload = data[pos + 2:pos + length]
        pos += length
        is_app = 0xE0 <= marker <= 0xEF
        if marker == 0xFE or (is_app and not any(marker == m and payload.startswith(sig) for m, sig in _KEEP_JPEG_APP)):
            continue
        out += b"\xff" + segment[1:]
        if marker == 0xDA:
            # Entropy-coded data runs to the next marker that is not a byte
            # stuffing (FF00) or a restart marker.
            scan = pos
            while True:
                scan = data.find(b"\xff", scan)
                if scan < 0 or scan + 1 >= n:
                    return None
                following = data[scan + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    scan += 1 if following == 0xFF else 2
                    continue
                break
            out += data[pos:scan]
            pos = scan
    return None


def clean_jpeg(path, rotated):
    """Drop the metadata of a JPEG; a photo turned by its EXIF orientation is
    turned for real (re-encoded), since browsers would lose the tag's turn."""
    if not rotated:
        with open(path, "rb") as fh:
            stripped = strip_jpeg_segments(fh.read())
        if stripped is not None and _decodes(stripped):
            _write(path, stripped)
            return
    with Image.open(path, formats=["JPEG"]) as im:
        icc = im.info.get("icc_profile")
        upright = ImageOps.exif_transpose(im)
        tmp = path + ".clean"
        try:
            upright.save(tmp, "JPEG", quality=92, icc_profile=icc)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _decodes(data):
    import io

    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            im.load()
            return "exif" not in im.info
    except Exception:
        return False


# PNG chunks that carry metadata (EXIF and text, which may hold XMP).
_PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def clean_png(path):
    with open(path, "rb") as fh:
        data = fh.read()
    out = bytearray(data[:8])
    pos = 8
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return  # Pillow decoded it, but we do not understand it: leave it be
        if kind not in _PNG_METADATA:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            break
    if len(out) != len(data):
        _write(path, bytes(out))


def _write(path, data):
    tmp = path + ".clean"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
