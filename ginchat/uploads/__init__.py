"""Uploads: pictures, voice clips and files of any type (the Go project's service/attach.go).

An upload is stored as ours, not as the client's file, so that nothing a user
sends can run as a page of this origin:

- kinds.py: the accepted types, each a Content-Type and a kind (image, voice);
- sniff.py: the type is decided by the file's bytes, never by its name or
  Content-Type; anything else is a 415;
- images.py: pictures must decode with Pillow and hold a bounded number of
  pixels (decompression bombs get a 413);
- strip.py: metadata that can reveal where a photo was taken (EXIF, XMP, text
  chunks, comments) is removed from JPEG, PNG, WebP and GIF, losslessly where
  the file allows;
- storage.py: the body is limited while it is copied, the disk keeps
  UPLOAD_MIN_FREE_MB free (else 507), and the server makes the name,
  ``<uuid4 hex>.<ext of the detected type>``, so the extension always tells
  the stored type;
- files.py: files of any type (Media 5, POST /attach/file): the sender's
  name sanitised, the type shown, the attachment headers;
- backend.py: UPLOAD_STORAGE, where the bytes live: in SQL (``db``, every
  node reads them) or in UPLOAD_FOLDER (``folder``); a row per upload;
- names.py: the URL helpers the chat side and the icons use;
- routes.py: POST /attach/upload, and GET /uploads/<name> serving files with
  their stored type, ``nosniff`` and a sandboxing Content-Security-Policy, to
  logged-in users only.

This package sits below service and chat and imports neither (nor the bus).
"""

from ginchat.uploads.backend import forget as forget_upload
from ginchat.uploads.names import (
    URL_PREFIX,
    check_icon,
    upload_exists,
    upload_folder,
    upload_info,
    upload_kind,
    upload_name,
)

__all__ = [
    "URL_PREFIX",
    "check_icon",
    "forget_upload",
    "upload_exists",
    "upload_folder",
    "upload_info",
    "upload_kind",
    "upload_name",
]
