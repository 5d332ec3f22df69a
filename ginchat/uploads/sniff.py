"""Deciding an upload's type by its content.

The ``filetype`` library names the format from its signature. It says nothing
about what a container holds, and it misses the EBML layout browsers record,
so a few checks of our own follow it (see each one for why).
"""

import struct

import filetype

HEAD = 64 * 1024
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def detect(fh, size):
    """The extension of the file's type, or None. Images are only recognised
    here; images.check_and_clean_image proves they decode."""
    head = fh.read(HEAD)
    # ISO-BMFF: filetype names only the brand (M4A, mp42, isom...), which says
    # nothing about the tracks; a video must not pass for a voice clip.
    if head[4:8] == b"ftyp":
        return "m4a" if is_mp4_audio(fh, size) else None
    # EBML: filetype finds the DocType only when its size is written in one
    # byte, while MediaRecorder writes eight-byte sizes.
    if head.startswith(EBML_MAGIC):
        return "webm" if ebml_doctype(head) == b"webm" else None
    kind = filetype.guess(head)
    ext = kind.extension if kind is not None else None
    if ext in ("png", "jpg", "gif", "webp", "mp3", "aac"):
        return ext
    if ext == "wav":
        return "wav" if is_wav(head) else None
    if ext == "ogg":
        return "ogg" if is_ogg_audio(head) else None
    return None


def is_wav(head):
    """RIFF/WAVE with a format chunk among the first chunks: filetype checks
    only the RIFF/WAVE signature, and a WAVE without one plays nowhere."""
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, length = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if chunk_id == b"fmt ":
            return length >= 16 and pos + 8 + 16 <= len(head)
        pos += 8 + length + (length & 1)
    return False


def is_ogg_audio(head):
    """The first Ogg page (version 0, beginning of stream) starts an Opus,
    Vorbis or Speex stream: filetype calls every Ogg file audio, Theora video
    included."""
    if len(head) < 27 or head[4] != 0 or not head[5] & 0x02:
        return False
    body = 27 + head[26]
    packet = head[body : body + 8]
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
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def ebml_doctype(head):
    """The DocType of an EBML file (b"webm" for WebM) or None, whatever
    length the element sizes are written in."""
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
            return head[pos : pos + length]
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


def _children(fh, boxes, wanted):
    for kind, body, end in boxes:
        if kind == wanted:
            yield from _boxes(fh, body, end)


def is_mp4_audio(fh, size):
    """An MP4/M4A whose tracks are sound only: moov/trak/mdia/hdlr says 'soun'."""
    handlers = []
    mdia = _children(fh, _children(fh, _children(fh, _boxes(fh, 0, size), b"moov"), b"trak"), b"mdia")
    for kind, body, end in mdia:
        if kind == b"hdlr" and end - body >= 12:
            fh.seek(body + 8)
            handlers.append(fh.read(4))
    return b"soun" in handlers and b"vide" not in handlers
