"""Pictures: prove they decode, refuse decompression bombs, then strip them."""

import struct

from PIL import Image

from ginchat.errors import AppError
from ginchat.uploads.kinds import PIL_FORMATS, too_large, unsupported
from ginchat.uploads.strip import clean_image

# Pictures larger than this many pixels are refused before they are decoded
# (decompression bombs); a 50-megapixel phone photo still fits.
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
# An animation may hold this many times the pixels of one big picture.
ANIMATION_FACTOR = 4


def check_and_clean_image(path, ext, max_pixels):
    """Raise 413 for too many pixels, 415 for a picture that does not decode;
    strip EXIF, XMP, comments and similar metadata in place."""
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
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        IndexError,
        KeyError,
        TypeError,
        MemoryError,
    ) as exc:
        # Pillow reports broken files with any of these.
        raise unsupported(
            f"the file looks like a {PIL_FORMATS[ext]} picture but does not decode ({exc.__class__.__name__})"
        ) from None
    clean_image(path, ext, rotated)
