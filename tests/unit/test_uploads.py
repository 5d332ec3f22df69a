"""Upload type checks and metadata stripping on their own: the type comes
from the bytes, a file that only pretends is refused, and JPEG/PNG lose their
metadata while staying decodable pictures."""

import io

import pytest
from PIL import Image, PngImagePlugin
from samples import (
    ACCEPTED,
    REFUSED,
    bomb_png,
    jpeg_with_location,
    m4a_clip,
    picture,
)

from ginchat.errors import AppError
from ginchat.uploads.images import check_and_clean_image
from ginchat.uploads.sniff import detect
from ginchat.uploads.strip import strip_jpeg_segments

MAX_PIXELS = 50_000_000


def detected(content):
    return detect(io.BytesIO(content), len(content))


def stored(tmp_path, content, ext):
    path = tmp_path / f"upload.{ext}"
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("ext, make", [(a[0], a[1]) for a in ACCEPTED], ids=[a[0] for a in ACCEPTED])
def test_each_accepted_format_is_recognised_by_its_bytes(ext, make):
    assert detected(make()) == ext


@pytest.mark.parametrize("kind, content", [(r[0], r[1]) for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_other_files_are_not_recognised_or_do_not_decode(tmp_path, kind, content):
    ext = detected(content)
    if ext is None:
        return
    # Magic bytes alone (a PNG signature before HTML) are found here; decoding refuses them.
    assert ext in ("png", "jpg", "gif", "webp"), (kind, ext)
    with pytest.raises(AppError) as info:
        check_and_clean_image(stored(tmp_path, content, ext), ext, MAX_PIXELS)
    assert info.value.status == 415


def test_an_empty_or_tiny_file_is_no_type_or_does_not_decode(tmp_path):
    for content in (b"", b"\xff", b"RIFF"):
        assert detected(content) is None
    # A bare signature is a type by its magic bytes; decoding refuses it.
    assert detected(b"\x89PNG") == "png"
    with pytest.raises(AppError) as info:
        check_and_clean_image(stored(tmp_path, b"\x89PNG", "png"), "png", MAX_PIXELS)
    assert info.value.status == 415


def test_mp4_with_a_video_track_is_not_a_voice_clip():
    assert detected(m4a_clip(handler=b"vide")) is None
    assert detected(m4a_clip()) == "m4a"


@pytest.mark.parametrize("fmt, ext", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")])
def test_a_picture_whose_bytes_claim_another_format_is_refused(tmp_path, fmt, ext):
    other = "png" if ext != "png" else "jpg"
    with pytest.raises(AppError) as info:
        check_and_clean_image(stored(tmp_path, picture(fmt), other), other, MAX_PIXELS)
    assert info.value.status == 415


@pytest.mark.parametrize("fmt, ext", [("PNG", "png"), ("JPEG", "jpg")])
def test_a_truncated_picture_is_refused(tmp_path, fmt, ext):
    whole = Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48)
    buf = io.BytesIO()
    whole.save(buf, fmt)
    with pytest.raises(AppError) as info:
        check_and_clean_image(stored(tmp_path, buf.getvalue()[: len(buf.getvalue()) // 2], ext), ext, MAX_PIXELS)
    assert info.value.status == 415


def test_too_many_pixels_is_refused_before_decoding(tmp_path):
    with pytest.raises(AppError) as info:
        check_and_clean_image(stored(tmp_path, bomb_png(20_000, 20_000), "png"), "png", MAX_PIXELS)
    assert info.value.status == 413
    with pytest.raises(AppError) as info:
        check_and_clean_image(stored(tmp_path, picture("PNG", size=(40, 40)), "png"), "png", 1000)
    assert info.value.status == 413


def test_jpeg_loses_exif_and_comments_and_still_decodes(tmp_path):
    original = jpeg_with_location()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif() and "comment" in before.info
    path = stored(tmp_path, original, "jpg")
    check_and_clean_image(path, "jpg", MAX_PIXELS)
    with open(path, "rb") as fh:
        cleaned = fh.read()
    assert b"SpyCam" not in cleaned and b"secret comment" not in cleaned and b"Exif\x00\x00" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im, Image.open(io.BytesIO(original)) as before:
        im.load()
        assert im.format == "JPEG" and im.size == before.size
        assert not im.getexif() and "comment" not in im.info
        assert im.tobytes() == before.tobytes(), "the pixels are kept losslessly"


def test_jpeg_turned_by_exif_is_turned_for_real(tmp_path):
    path = stored(tmp_path, jpeg_with_location(orientation=6), "jpg")
    check_and_clean_image(path, "jpg", MAX_PIXELS)
    with Image.open(path) as im:
        assert im.size == (20, 40) and not im.getexif()


def test_jpeg_segment_stripping_keeps_jfif_and_drops_app1(tmp_path):
    original = jpeg_with_location()
    stripped = strip_jpeg_segments(original)
    assert stripped is not None and stripped.startswith(b"\xff\xd8") and stripped.endswith(b"\xff\xd9")
    assert b"JFIF\x00" in stripped and b"Exif\x00\x00" not in stripped
    assert strip_jpeg_segments(original + b"trailing junk").endswith(b"\xff\xd9")
    assert strip_jpeg_segments(b"\xff\xd8\x00\x00") is None


def test_png_loses_text_and_exif_chunks_and_still_decodes(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "shot at 35.68N 139.69E")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    info.add_text("Software", "SpyCam", zip=True)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"
    original = picture("PNG", pnginfo=info, exif=exif.tobytes())
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert chunk in original
    path = stored(tmp_path, original, "png")
    check_and_clean_image(path, "png", MAX_PIXELS)
    with open(path, "rb") as fh:
        cleaned = fh.read()
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"SpyCam", b"35.68N"):
        assert chunk not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im, Image.open(io.BytesIO(original)) as before:
        im.load()
        assert im.format == "PNG" and im.tobytes() == before.tobytes()


@pytest.mark.parametrize("fmt, ext", [("GIF", "gif"), ("WEBP", "webp")])
def test_gif_and_webp_are_checked_and_left_as_they_are(tmp_path, fmt, ext):
    content = picture(fmt)
    path = stored(tmp_path, content, ext)
    check_and_clean_image(path, ext, MAX_PIXELS)
    with open(path, "rb") as fh:
        assert fh.read() == content


# --- WebP and GIF (issue 24): EXIF with GPS, XMP and comments go too ----------------------
GPS_EXIF = Image.Exif()
GPS_EXIF[0x010F] = "SpyCam Maker"
GPS_EXIF.get_ifd(0x8825).update({1: "N", 2: (35.0, 41.0, 22.2), 3: "E", 4: (139.0, 41.0, 30.1)})
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">exif:GPSLatitude 35,41.37N</x:xmpmeta>'
SECRETS = (b"SpyCam", b"GPSLatitude", b"35,41.37N", b"secret comment")


def frames(size=(24, 16), count=3):
    out = []
    for k in range(count):
        im = Image.new("RGB", size, (200, 30 + 40 * k, 60))
        for x in range(size[0]):
            im.putpixel((x, (x + k) % size[1]), (10, 200, 90))
        out.append(im)
    return out


def saved(fmt, images, **options):
    buf = io.BytesIO()
    if fmt == "GIF":
        images = [im.convert("P") for im in images]
    images[0].save(buf, fmt, save_all=len(images) > 1, append_images=images[1:], **options)
    return buf.getvalue()


def gif_with_xmp(content):
    """Pillow writes no XMP into a GIF: the application extension XMP
    writers use ("XMP DataXMP"), put after the global colour table."""
    block = b"\x21\xff\x0bXMP DataXMP" + b"".join(bytes((len(c),)) + c for c in (XMP[:100], XMP[100:])) + b"\x00"
    with Image.open(io.BytesIO(content)) as im:
        palette = 3 * 2 ** ((content[10] & 7) + 1) if content[10] & 0x80 else 0
    assert im.format == "GIF"
    return content[: 13 + palette] + block + content[13 + palette :]


def decoded(content):
    """(format, every frame's pixels, info) of a picture."""
    with Image.open(io.BytesIO(content)) as im:
        pixels = []
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            pixels.append(im.convert("RGBA").tobytes())
        return im.format, pixels, dict(im.info)


@pytest.mark.parametrize(
    "fmt, ext, count, options",
    [
        ("WEBP", "webp", 1, {"exif": GPS_EXIF.tobytes(), "xmp": XMP, "lossless": True}),
        ("WEBP", "webp", 1, {"exif": GPS_EXIF.tobytes(), "quality": 80}),
        ("WEBP", "webp", 3, {"exif": GPS_EXIF.tobytes(), "xmp": XMP, "duration": 120, "loop": 0, "lossless": True}),
        ("GIF", "gif", 1, {"comment": b"secret comment"}),
        ("GIF", "gif", 3, {"comment": b"secret comment", "duration": 120, "loop": 0}),
    ],
    ids=["webp", "webp-lossy-exif-only", "webp-animated", "gif", "gif-animated"],
)
def test_webp_and_gif_lose_exif_xmp_and_comments_and_keep_every_frame(tmp_path, fmt, ext, count, options):
    original = saved(fmt, frames(count=count), **options)
    if fmt == "GIF":
        original = gif_with_xmp(original)
    assert any(secret in original for secret in SECRETS)
    path = stored(tmp_path, original, ext)
    check_and_clean_image(path, ext, MAX_PIXELS)
    with open(path, "rb") as fh:
        cleaned = fh.read()
    for secret in SECRETS:
        assert secret not in cleaned
    got, want = decoded(cleaned), decoded(original)
    assert got[0] == want[0] and got[1] == want[1], "the same frames, pixel for pixel"
    assert not {"exif", "xmp", "comment"} & set(got[2])
    if count > 1:
        assert got[2].get("loop") == 0 and got[2].get("duration") == 120


def test_a_gif_the_stripper_cannot_follow_is_re_saved_without_its_comment(tmp_path):
    """Junk instead of the trailer: Pillow decodes it, the block walk gives
    up, and Pillow's re-save (every frame, no comment) takes over."""
    original = saved("GIF", frames(count=2), comment=b"secret comment", duration=120, loop=0)
    path = stored(tmp_path, original[:-1] + b"\x99junk", "gif")
    check_and_clean_image(path, "gif", MAX_PIXELS)
    with open(path, "rb") as fh:
        cleaned = fh.read()
    assert b"secret comment" not in cleaned
    assert decoded(cleaned)[1] == decoded(original)[1] and "comment" not in decoded(cleaned)[2]
