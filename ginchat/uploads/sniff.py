"""Deciding an upload's type by its content."""

import struct

HEAD = 64 * 1024


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
