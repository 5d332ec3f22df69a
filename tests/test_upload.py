"""Uploads (issue 6): pictures and voice clips typed by their content, stored
under server-made names, served so that none can run script in our origin;
chat messages and icons may only point to real uploads. Against the real
gevent server, a real database and Redis.

Sample files come from tests/samples.py.
"""

import http.client
import io
import os
import re
import socket
import uuid

import pytest
import requests
from PIL import Image
from samples import (
    ACCEPTED,
    REFUSED,
    bomb_png,
    jpeg_with_location,
    noisy_png,
    ogg_opus_clip,
    picture,
    wav_clip,
)

from helpers import PASSWORD, Api
from http_checks import answer, error

UPLOAD = "/attach/upload"
URL_RE = re.compile(r"^/uploads/[0-9a-f]{32}\.(png|jpg|gif|webp|webm|ogg|mp3|wav|m4a|aac)$")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


# --- helpers --------------------------------------------------------------------------------
def send(user, content, filename="file.bin", content_type="application/octet-stream", field="file", **kwargs):
    files = {field: (filename, content, content_type)}
    return requests.post(user.api.url + UPLOAD, files=files, headers=user.auth, timeout=30, **kwargs)


def uploaded(user, content, **kwargs):
    body = answer(send(user, content, **kwargs), 200)
    assert URL_RE.match(body["Data"]), body
    return body["Data"]


def fetch(user, url, **headers):
    return requests.get(user.api.url + url, headers=dict(user.auth, **headers), timeout=10)


def raw_get(api, path, token):
    """GET a path exactly as written: requests and urllib3 would remove the
    dot segments that a traversal attempt needs."""
    conn = http.client.HTTPConnection("127.0.0.1", api.server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def folder(app):
    return app.config["UPLOAD_FOLDER"]


def leftovers(app):
    return [n for n in os.listdir(folder(app)) if n.startswith(".part-") or n.endswith(".clean")]


def browser(api, user):
    session = requests.Session()
    r = session.post(api.url + "/user/findUserByNameAndPwd", data={"name": user.name, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    page = session.get(api.url + "/toChat", timeout=10)
    return session, CSRF_META.search(page.text).group(1)


@pytest.fixture(scope="module")
def small_server(make_server):
    """A server whose upload limit is 0.25 MiB (a body limit of 0.25 MiB + 64 KiB)."""
    return make_server(MAX_UPLOAD_MB=0.25)


@pytest.fixture
def small_api(small_server):
    return Api(small_server)


# --- accepted types ------------------------------------------------------------------------------
@pytest.mark.parametrize("ext, make, mimetype, filename, sent_type", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_each_accepted_type_is_stored_and_served_with_its_type(api, ext, make, mimetype, filename, sent_type):
    me = api.user()
    content = make()
    url = uploaded(me, content, filename=filename, content_type=sent_type)
    assert url.endswith("." + ext)
    r = fetch(me, url)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == mimetype
    if ext != "jpg":  # JPEGs lose their metadata segments (see below)
        assert r.content == content


@pytest.mark.parametrize("ext, make, mimetype, filename, sent_type", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_type_comes_from_the_content_not_the_name_or_content_type(api, ext, make, mimetype, filename, sent_type):
    me = api.user()
    url = uploaded(me, make(), filename="misleading.html", content_type="text/html")
    assert url.endswith("." + ext)
    assert fetch(me, url).headers["Content-Type"] == mimetype


def test_every_upload_gets_a_new_server_made_name(api):
    me = api.user()
    content = picture("PNG")
    first, second = uploaded(me, content, filename="../../evil.png"), uploaded(me, content, filename="evil.png")
    assert first != second
    assert "evil" not in first and ".." not in first


def test_jpeg_loses_exif_location_and_comments(api, app):
    me = api.user()
    original = jpeg_with_location()
    assert b"SpyCam" in original and b"secret comment" in original
    url = uploaded(me, original, filename="photo.jpg", content_type="image/jpeg")
    stored = fetch(me, url).content  # from SQL or the folder (UPLOAD_STORAGE)
    assert b"SpyCam" not in stored and b"secret comment" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as im, Image.open(io.BytesIO(original)) as before:
        im.load()
        assert im.size == (40, 20)
        assert not im.getexif()
        assert "exif" not in im.info
        # Lossless: the segments went, the compressed picture is untouched.
        assert im.tobytes() == before.tobytes()


def test_jpeg_turned_by_exif_is_turned_for_real(api, app):
    me = api.user()
    url = uploaded(me, jpeg_with_location(orientation=6), filename="photo.jpg")  # 6: turn 90° clockwise
    r = fetch(me, url)
    assert b"SpyCam" not in r.content
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (20, 40)
        assert im.getexif().get(0x0112) in (None, 1)


def test_png_loses_text_and_exif_chunks(api):
    me = api.user()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"
    url = uploaded(me, picture("PNG", pnginfo=info, exif=exif.tobytes()))
    stored = fetch(me, url).content
    assert b"home address" not in stored and b"SpyCam" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        im.load()
        assert im.size == (24, 16)


def test_animated_gif_is_accepted(api):
    me = api.user()
    frames = [Image.new("P", (10, 10), i) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert uploaded(me, buf.getvalue()).endswith(".gif")


# --- refused kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, content, filename, content_type", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_kinds_get_415(api, app, kind, content, filename, content_type):
    me = api.user()
    error(send(me, content, filename=filename, content_type=content_type), 415)
    assert not leftovers(app)


def test_truncated_png_gets_415(api, app):
    me = api.user()
    whole = noisy_png()
    uploaded(me, whole)  # the whole file is fine
    error(send(me, whole[: len(whole) // 2], filename="cut.png", content_type="image/png"), 415, "decode")
    assert not leftovers(app)


def test_truncated_jpeg_gets_415(api):
    me = api.user()
    im = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))
    buf = io.BytesIO()
    im.save(buf, "JPEG")
    error(send(me, buf.getvalue()[:600], filename="cut.jpg"), 415)


def test_zero_byte_file_gets_400(api):
    me = api.user()
    error(send(me, b"", filename="empty.png", content_type="image/png"), 400, "empty")


@pytest.mark.parametrize("width, height", [(8000, 8000), (30000, 30000)])
def test_decompression_bomb_gets_413_before_decoding(api, app, width, height):
    """8000x8000 is over our 50-megapixel limit, 30000x30000 over Pillow's own."""
    me = api.user()
    bomb = bomb_png(width, height)
    assert len(bomb) < 256 * 1024
    error(send(me, bomb, filename="bomb.png", content_type="image/png"), 413, "pixels")
    assert not leftovers(app)


def test_no_file_field_gets_400(api):
    me = api.user()
    error(send(me, picture("PNG"), field="image"), 400, "file")
    error(me.post(UPLOAD, file="just text"), 400, "file")
    error(me.post(UPLOAD), 400, "file")
    error(
        requests.post(
            api.url + UPLOAD, data=b"\x89PNG", headers=dict(me.auth, **{"Content-Type": "image/png"}), timeout=10
        ),
        400,
        "file",
    )


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'),
        ("multipart/form-data; boundary=x", b"garbage without any boundary line"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
        ),
        ("multipart/form-data; boundary=x", b"--x\r\nno headers here\r\n--x--\r\n"),
        ("multipart/form-data; boundary=" + "b" * 300, b"--" + b"b" * 300 + b"--\r\n"),
    ],
)
def test_malformed_multipart_is_a_4xx_never_a_500(api, content_type, body):
    me = api.user()
    r = requests.post(api.url + UPLOAD, data=body, headers=dict(me.auth, **{"Content-Type": content_type}), timeout=10)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    answer(r, r.status_code)


def test_too_many_form_parts_is_a_4xx(api):
    me = api.user()
    fields = {f"f{i}": "x" for i in range(1500)}
    r = requests.post(
        api.url + UPLOAD,
        files={"file": ("a.png", picture("PNG"), "image/png")},
        data=fields,
        headers=me.auth,
        timeout=10,
    )
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    answer(r, r.status_code)


def test_not_logged_in_gets_401(api):
    r = requests.post(api.url + UPLOAD, files={"file": ("x.png", picture("PNG"), "image/png")}, timeout=10)
    error(r, 401)
    r = requests.post(
        api.url + UPLOAD,
        files={"file": ("x.png", picture("PNG"), "image/png")},
        headers={"Authorization": "Bearer not-a-token"},
        timeout=10,
    )
    error(r, 401)


def test_cookie_upload_needs_the_csrf_token(api):
    me = api.user()
    session, csrf_token = browser(api, me)
    files = {"file": ("x.png", picture("PNG"), "image/png")}
    error(session.post(api.url + UPLOAD, files=files, timeout=10), 400, "CSRF")
    body = answer(session.post(api.url + UPLOAD, files=files, headers={"X-CSRFToken": csrf_token}, timeout=10), 200)
    assert URL_RE.match(body["Data"])
    # The browser then shows it with the same cookie.
    assert session.get(api.url + body["Data"], timeout=10).headers["Content-Type"] == "image/png"


# --- size limits ------------------------------------------------------------------------------------
def test_file_over_the_limit_gets_413(small_api, small_server):
    me = small_api.user()
    limit = int(0.25 * 1024 * 1024)
    # Under the body limit (the file limit + 64 KiB for the form), over the file limit.
    error(send(me, b"\xff\xfb\x90\xc0" + bytes(limit - 3), filename="big.mp3"), 413, "limit")
    assert not leftovers(small_server.app)
    # Exactly the limit is fine.
    ok = wav_clip(seconds=(limit - 44) / 16000)
    assert len(ok) == limit
    assert uploaded(me, ok).endswith(".wav")


def test_upload_that_would_eat_the_disk_reserve_gets_507(make_server):
    """UPLOAD_MIN_FREE_MB keeps room on the disk for the database and logs:
    an upload that would cut into it is refused before a byte is written."""
    server = make_server(UPLOAD_MIN_FREE_MB=10**9)  # more than any disk here has
    me = Api(server).user()
    os.makedirs(folder(server.app), exist_ok=True)
    before = set(os.listdir(folder(server.app)))
    error(send(me, picture("PNG"), filename="a.png"), 507, "no room")
    assert set(os.listdir(folder(server.app))) == before


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 1 MiB filesystem (tmpfs) for the upload folder."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o size=1m ginchat-test {mount} 2>/dev/null") != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield str(mount)
    os.system(f"umount {mount}")


def test_a_full_disk_answers_507_leaves_no_part_file_and_recovers(make_server, tiny_disk):
    server = make_server(UPLOAD_FOLDER=tiny_disk, UPLOAD_MIN_FREE_MB=0, MAX_UPLOAD_MB=4)
    me = Api(server).user()
    big = wav_clip(seconds=100)  # 1.6 MB: over what the disk holds, under the limit
    error(send(me, big, filename="long.wav"), 507, "no room")
    assert os.listdir(tiny_disk) == [], "the partial file is removed"
    assert uploaded(me, wav_clip()).endswith(".wav"), "smaller uploads still fit"


def test_body_over_the_limit_is_refused_before_it_is_read(small_api):
    """A Content-Length over the limit gets 413 at once: the server reads none
    of the body (only the head of it is sent here)."""
    me = small_api.user()
    boundary = uuid.uuid4().hex
    start = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + wav_clip()
    conn = http.client.HTTPConnection("127.0.0.1", small_api.server.port, timeout=10)
    try:
        conn.putrequest("POST", UPLOAD)
        conn.putheader("Authorization", f"Bearer {me.token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()
        conn.send(start)
        r = conn.getresponse()
        status, body = r.status, r.read()
    finally:
        conn.close()
    assert status == 413, body
    assert b"limit" in body


def test_chunked_body_over_the_limit_is_cut_off_while_reading(small_api, small_server):
    """Without a Content-Length the limit holds while the body streams in."""
    me = small_api.user()
    boundary = uuid.uuid4().hex
    start = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", small_api.server.port), timeout=10)
    try:
        head = (
            f"POST {UPLOAD} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {me.token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(head.encode())

        def chunk(data):
            sock.sendall(b"%x\r\n" % len(data) + data + b"\r\n")

        chunk(start)
        sent = len(start)
        try:
            # Up to twice the body limit; the server answers once past it.
            while sent < 2 * (256 + 64) * 1024:
                chunk(bytes(16 * 1024))
                sent += 16 * 1024
        except OSError:
            pass  # the server may close while we are still sending
        answer_bytes = b""
        try:
            while b"\r\n\r\n" not in answer_bytes:
                data = sock.recv(65536)
                if not data:
                    break
                answer_bytes += data
        except OSError:
            pass
    finally:
        sock.close()
    assert answer_bytes.startswith(b"HTTP/1.1 413"), answer_bytes[:200]
    assert not leftovers(small_server.app)


# --- serving -------------------------------------------------------------------------------------------
def test_served_file_headers(api):
    me = api.user()
    url = uploaded(me, picture("PNG"))
    r = fetch(me, url)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    cache = r.headers["Cache-Control"]
    assert "private" in cache and "max-age=" in cache and "public" not in cache
    assert r.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert r.headers["Content-Disposition"].startswith("inline")
    assert r.headers.get("ETag")
    again = fetch(me, url, **{"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_voice_clip_answers_range_requests(api):
    """Browsers seek in <audio> with Range requests (Safari needs them)."""
    me = api.user()
    clip = wav_clip()
    url = uploaded(me, clip)
    r = fetch(me, url, Range="bytes=0-99")
    assert r.status_code == 206
    assert r.content == clip[:100]
    assert r.headers["Content-Type"] == "audio/wav"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_alias_path_serves_the_same_file(api):
    me = api.user()
    url = uploaded(me, picture("GIF"))
    r = fetch(me, url.replace("/uploads/", "/asset/upload/"))
    assert r.status_code == 200 and r.content == fetch(me, url).content
    assert r.headers["Content-Type"] == "image/gif"


def test_serving_needs_a_login(api):
    """Uploads are private to the users of this server: a photo sent in a chat
    is not for anyone on the network who learns its address."""
    me = api.user()
    url = uploaded(me, picture("PNG"))
    error(requests.get(api.url + url, timeout=10), 401)


def test_unknown_or_foreign_names_get_404(api, app):
    me = api.user()
    # Files in the folder that the server did not name are never served.
    for stray in ("notes.html", "x.png", ".part-" + "a" * 32):
        with open(os.path.join(folder(app), stray), "w") as fh:
            fh.write("<script>alert(1)</script>")
    try:
        for path in (
            "/uploads/notes.html",
            "/uploads/x.png",
            "/uploads/.part-" + "a" * 32,
            f"/uploads/{uuid.uuid4().hex}.png",
            f"/uploads/{uuid.uuid4().hex.upper()}.png",
            f"/uploads/{uuid.uuid4().hex}.html",
            "/uploads/.gitkeep",
            "/uploads/",
            "/uploads",
            "/asset/upload/notes.html",
        ):
            error(fetch(me, path), 404)
    finally:
        for stray in ("notes.html", "x.png", ".part-" + "a" * 32):
            os.unlink(os.path.join(folder(app), stray))


def test_path_traversal_gets_404(api, app):
    me = api.user()
    real = uploaded(me, picture("PNG")).rsplit("/", 1)[1]
    # A file beside the upload folder that a traversal would reach.
    outside = os.path.join(os.path.dirname(folder(app)), "outside-secret.txt")
    with open(outside, "w") as fh:
        fh.write("secret")
    try:
        for path in (
            "/uploads/../outside-secret.txt",
            "/uploads/../../etc/passwd",
            "/uploads/%2e%2e/outside-secret.txt",
            "/uploads/%2E%2E/outside-secret.txt",
            "/uploads/..%2foutside-secret.txt",
            "/uploads/%2e%2e%2foutside-secret.txt",
            "/uploads/..%5coutside-secret.txt",
            "/uploads/%252e%252e%252foutside-secret.txt",
            f"/uploads/sub/../{real}",
            f"/uploads/./{real}",
            f"/uploads/{real}%00.html",
            "/asset/upload/../outside-secret.txt",
            "/asset/upload/%2e%2e/%2e%2e/instance/secret_key",
        ):
            status, body = raw_get(api, path, me.token)
            assert status == 404, (path, status, body[:200])
            assert b"secret" not in body.replace(b"secret_key", b"")
        # A doubled slash is merged by the router with a redirect, to a 404.
        status, _ = raw_get(api, "/uploads/%2fetc%2fpasswd", me.token)
        assert status in (308, 404)
        error(fetch(me, "/uploads//etc/passwd"), 404)
    finally:
        os.unlink(outside)


# --- what uploads are used for ------------------------------------------------------------------------
def test_upload_exists_knows_only_stored_uploads(api, app):
    from ginchat.uploads import upload_exists

    me = api.user()
    url = uploaded(me, picture("PNG"))
    with app.app_context():
        assert upload_exists(url)
        for other in (
            url.replace("/uploads/", "/asset/upload/"),
            url + "x",
            url.upper(),
            "/uploads/../x.png",
            f"/uploads/{uuid.uuid4().hex}.png",
            "https://evil.example" + url,
            "",
            None,
            7,
        ):
            assert not upload_exists(other), other


def test_icons_must_be_uploaded_pictures(api):
    me = api.user()
    image = uploaded(me, picture("PNG"))
    voice = uploaded(me, wav_clip())
    assert answer(me.post("/user/updateUser", icon=image), 200)["Data"]["Avatar"] == image
    alias = image.replace("/uploads/", "/asset/upload/")
    assert answer(me.post("/user/updateUser", icon=alias), 200)["Data"]["Avatar"] == image
    error(me.post("/user/updateUser", icon=voice), 400, "icon")
    error(me.post("/user/updateUser", icon=f"/uploads/{uuid.uuid4().hex}.png"), 400, "icon")
    error(me.post("/user/updateUser", icon="https://evil.example/a.png"), 400, "icon")
    group = answer(me.post("/contact/createCommunity", name=f"g{uuid.uuid4().hex[:8]}", icon=image), 201)["Data"]
    assert group["Img"] == image
    error(me.post("/contact/createCommunity", name=f"g{uuid.uuid4().hex[:8]}", icon=voice), 400, "icon")


def test_image_and_voice_messages_with_upload_urls_are_delivered(pair):
    a, b = pair
    image, voice = uploaded(a, picture("JPEG")), uploaded(a, ogg_opus_clip())
    wa, wb = a.ws(), b.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=4, Url=image, ClientMsgId="img-1")
        wa.send(Type=1, TargetId=b.id, Media=3, Url=voice, Amount=3, ClientMsgId="voice-1")
        got = wb.messages(2)
        assert [(m["Media"], m["Url"]) for m in got] == [(4, image), (3, voice)]
        assert got[1]["Amount"] == 3
        assert [m["ClientMsgId"] for m in wa.messages(2)] == ["img-1", "voice-1"]
        # The recipient can load what the message points to.
        assert fetch(b, image).headers["Content-Type"] == "image/jpeg"
    finally:
        wa.close()
        wb.close()


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/cat.png",
        "//evil.example/cat.png",
        "javascript:alert(1)",
        "/uploads/../instance/secret_key",
        "/static/js/app.js",
    ],
)
def test_image_message_with_an_outside_url_gets_an_error_frame(pair, url):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=4, Url=url, ClientMsgId="bad-1")
        frame = wa.recv()
        assert frame["Type"] == -1 and frame["Code"] == 400 and frame["ClientMsgId"] == "bad-1", frame
        assert "Url" in frame["Msg"]
        assert wb.quiet(0.3) == []
    finally:
        wa.close()
        wb.close()


def test_message_with_a_made_up_upload_url_gets_an_error_frame(pair):
    """Well-formed but never uploaded: the chat checks the file exists."""
    a, b = pair
    wa, wb = a.ws(), b.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=3, Url=f"/uploads/{uuid.uuid4().hex}.ogg", Amount=2, ClientMsgId="bad-2")
        frame = wa.recv()
        assert frame["Type"] == -1 and frame["ClientMsgId"] == "bad-2", frame
        assert wb.quiet(0.3) == []
    finally:
        wa.close()
        wb.close()


def test_message_media_must_match_the_upload_kind(pair):
    """A voice message cannot carry a picture, nor an image message a clip."""
    a, b = pair
    image, voice = uploaded(a, picture("PNG")), uploaded(a, wav_clip())
    wa, wb = a.ws(), b.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=3, Url=image, Amount=1, ClientMsgId="bad-3")
        wa.send(Type=1, TargetId=b.id, Media=4, Url=voice, ClientMsgId="bad-4")
        frames = [wa.recv(), wa.recv()]
        assert [(f["Type"], f["ClientMsgId"]) for f in frames] == [(-1, "bad-3"), (-1, "bad-4")], frames
        assert wb.quiet(0.3) == []
    finally:
        wa.close()
        wb.close()


def test_upload_is_documented_in_swagger(api):
    spec = requests.get(api.url + "/swagger/apispec.json", timeout=10).json()
    op = spec["paths"][UPLOAD]["post"]
    assert "multipart/form-data" in op["consumes"]
    (param,) = [p for p in op["parameters"] if p["name"] == "file"]
    assert param["in"] == "formData" and param["type"] == "file"
    assert op["responses"]["200"]["schema"]["$ref"] == "#/definitions/UploadEnvelope"
    for status in ("400", "401", "413", "415"):
        assert status in op["responses"]
    assert "/uploads/{name}" in spec["paths"]
