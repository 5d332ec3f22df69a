"""The accepted upload types and the errors that refuse the others."""

from ginchat.errors import AppError

# The extension of each stored type: its Content-Type and whether it is a
# picture, a voice clip or a file of any type.
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
    # A file of any type (Media 5, POST /attach/file): served only as a download.
    "bin": ("application/octet-stream", "file"),
}
PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP"}
ACCEPTED = "a PNG, JPEG, GIF or WebP image, or a WebM, Ogg, MP3, WAV, M4A or AAC voice clip"


def unsupported(msg=None):
    return AppError(415, msg or f"unsupported file type: send {ACCEPTED}")


def too_large(msg):
    return AppError(413, msg)
