"""Metadata stripping for JPEG and PNG: EXIF, XMP, comments and text go."""

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
