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
