"""Metadata stripping: EXIF (with its GPS position), XMP, comments and text
go from JPEG, PNG, WebP and GIF. The containers are edited chunk by chunk,
so pixels and animation frames stay byte for byte (only a JPEG turned by its
EXIF orientation is re-encoded)."""

import io
import os
import struct

from PIL import Image, ImageOps

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
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        if length < 2 or pos + length > n:
            return None
        segment = data[pos - 2 : pos + length]
        payload = data[pos + 2 : pos + length]
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
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            im.load()
            return "exif" not in im.info
    except Exception:  # noqa: BLE001 -- any failure to decode means: re-encode instead
        return False


# PNG chunks that carry metadata (EXIF and text, which may hold XMP).
_PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def clean_png(path):
    with open(path, "rb") as fh:
        data = fh.read()
    out = bytearray(data[:8])
    pos = 8
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
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


# WebP (a RIFF file): the chunks that carry metadata, and their flags in the
# extended header (VP8X). Everything else (image data, alpha, animation
# frames, the colour profile) stays.
_WEBP_METADATA = {b"EXIF": 0x08, b"XMP ": 0x04}


def strip_webp_chunks(data):
    """The WebP without its EXIF and XMP chunks; None if the structure is not understood."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    out = bytearray()
    pos = 12
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while pos + 8 <= end:
        kind = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunk_end = pos + 8 + size + (size & 1)  # payloads are padded to an even length
        if chunk_end > end + (size & 1):
            return None
        chunk = bytearray(data[pos:chunk_end])
        if kind == b"VP8X" and size >= 1:
            chunk[8] &= ~(_WEBP_METADATA[b"EXIF"] | _WEBP_METADATA[b"XMP "]) & 0xFF
        if kind not in _WEBP_METADATA:
            out += chunk
        pos = chunk_end
    if pos < end:
        return None
    return b"RIFF" + struct.pack("<I", 4 + len(out)) + b"WEBP" + bytes(out)


# GIF application extensions that are part of the picture: the animation's
# loop count (Netscape's, and its older twin) and the colour profile. Every
# other one is metadata (XMP's "XMP DataXMP" among them), as are comments.
_GIF_KEPT_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012")


def _gif_sub_blocks_end(data, pos):
    """Where the data sub-blocks starting at ``pos`` end (after the empty one)."""
    while True:
        if pos >= len(data):
            raise ValueError("truncated")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _gif_table_size(flags):
    return 3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0


def strip_gif_blocks(data):
    """The GIF without comments and metadata application extensions; None if
    the structure is not understood."""
    if len(data) < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    pos = 13 + _gif_table_size(data[10])
    out = bytearray(data[:pos])
    try:
        while pos < len(data):
            introducer = data[pos]
            if introducer == 0x3B:  # the trailer: whatever follows it is nobody's
                out.append(0x3B)
                return bytes(out)
            if introducer == 0x2C:  # an image: descriptor, local table, LZW data
                start = pos
                pos += 10 + _gif_table_size(data[pos + 9])
                pos = _gif_sub_blocks_end(data, pos + 1)
                out += data[start:pos]
                continue
            if introducer != 0x21:
                return None
            label = data[pos + 1]
            end = _gif_sub_blocks_end(data, pos + 2)
            app = data[pos + 3 : pos + 14] if label == 0xFF and data[pos + 2] == 11 else None
            if label != 0xFE and (label != 0xFF or app in _GIF_KEPT_APPS):
                out += data[pos:end]
            pos = end
    except (ValueError, IndexError):
        return None
    return None


def clean_webp(path):
    _clean_blocks(path, strip_webp_chunks, "WEBP", exif=b"", xmp=b"")


def clean_gif(path):
    _clean_blocks(path, strip_gif_blocks, "GIF")


def _clean_blocks(path, strip, fmt, **nothing):
    """Strip in place; a file Pillow decoded whose structure ``strip`` does not
    follow is re-saved by Pillow instead (every frame, no metadata)."""
    with open(path, "rb") as fh:
        data = fh.read()
    stripped = strip(data)
    if stripped is not None:
        if stripped != data:
            _write(path, stripped)
        return
    with Image.open(path, formats=[fmt]) as im:
        im.info.pop("comment", None)  # GIF's writer copies it from the source by default
        buf = io.BytesIO()
        im.save(buf, fmt, save_all=True, **nothing)
    _write(path, buf.getvalue())


CLEANERS = {"png": clean_png, "webp": clean_webp, "gif": clean_gif}


def clean_image(path, ext, rotated):
    """Drop the metadata of a decoded picture in place, whatever its format."""
    if ext == "jpg":
        clean_jpeg(path, rotated)
    elif ext in CLEANERS:
        CLEANERS[ext](path)
