"""Files of any type (issue 16, item 7) and uploads in SQL (item 8), against the
real gevent server, a real database (UPLOAD_STORAGE=db is the default on
MariaDB and PostgreSQL, folder on SQLite; both modes are run here on every
database) and Redis.

A file (POST /attach/file, Media 5) is stored as /uploads/<uuid>.bin and only
ever served as a download: application/octet-stream, Content-Disposition
attachment with its sanitised name, nosniff, the sandbox policy.
"""

import os
import re
import urllib.parse
import uuid

import pytest
import requests
from samples import picture

from conftest import DB_KIND
from helpers import Api
from http_checks import answer, error

FILE = "/attach/file"
UPLOAD = "/attach/upload"
BIN_RE = re.compile(r"^/uploads/[0-9a-f]{32}\.bin$")

ACTIVE = [
    ("page.html", b"<!doctype html><script>alert(document.cookie)</script>", "text/html"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
    ("feed.xml", b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>', ""),
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "application/x-msdownload"),
    ("notes.png", b"<html><script>alert(1)</script></html>", "image/png"),  # a page pretending to be a picture
]


# --- helpers ---------------------------------------------------------------------------
def send_file(user, content, filename="notes.txt", content_type="application/octet-stream", path=FILE):
    files = {"file": (filename, content, content_type)}
    return requests.post(user.api.url + path, files=files, headers=user.auth, timeout=30)


def send_raw_name(user, content, filename):
    """A multipart upload whose file name reaches the server exactly as given
    (requests would percent-encode some characters; \\ and \" are quoted)."""
    boundary = uuid.uuid4().hex
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = dict(user.auth, **{"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return requests.post(user.api.url + FILE, data=body, headers=headers, timeout=30)


def stored_file(user, content, filename="notes.txt", **kwargs):
    body = answer(send_file(user, content, filename, **kwargs), 200)
    data = body["Data"]
    assert BIN_RE.match(data["Url"]), data
    assert data["Size"] == len(content)
    return data


def fetch(user, url, **headers):
    return requests.get(user.api.url + url, headers=dict(user.auth, **headers), timeout=30)


def assert_download(r, name):
    assert r.status_code == 200, r.text[:200]
    assert r.headers["Content-Type"] == "application/octet-stream"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert "filename*=UTF-8''" + urllib.parse.quote(name, safe="") in disposition, disposition
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert "private" in r.headers["Cache-Control"]


@pytest.fixture(scope="module", params=["db", "folder"])
def storage_server(request, make_server, tmp_path_factory):
    """A server in each UPLOAD_STORAGE mode, with an upload folder of its own."""
    folder = str(tmp_path_factory.mktemp(f"uploads-{request.param}"))
    return make_server(UPLOAD_STORAGE=request.param, UPLOAD_FOLDER=folder)


@pytest.fixture
def sapi(storage_server):
    return Api(storage_server)


@pytest.fixture
def spair(sapi):
    a, b = sapi.user("a"), sapi.user("b")
    sapi.befriend(a, b)
    return a, b


# --- storing and serving ------------------------------------------------------------------
def test_any_file_is_stored_and_served_only_as_a_download(sapi, storage_server):
    me = sapi.user()
    content = b"quarterly numbers\n" * 100 + bytes(range(256))
    data = stored_file(me, content, "Q3 report.csv", content_type="text/csv")
    assert data["Name"] == "Q3 report.csv"
    assert data["Mime"] == "text/csv"
    r = fetch(me, data["Url"])
    assert_download(r, "Q3 report.csv")
    assert r.content == content
    name = data["Url"].rsplit("/", 1)[1]
    in_folder = os.path.exists(os.path.join(storage_server.app.config["UPLOAD_FOLDER"], name))
    # db: the bytes are in SQL only (another node reads them there); folder: in the folder.
    assert in_folder == (storage_server.app.config["UPLOAD_STORAGE"] == "folder")


@pytest.mark.parametrize("filename, content, sent_type", ACTIVE, ids=[a[0] for a in ACTIVE])
def test_pages_pictures_and_programs_are_never_served_inline(sapi, filename, content, sent_type):
    me = sapi.user()
    data = stored_file(me, content, filename, content_type=sent_type or "application/xml")
    assert data["Name"] == filename
    r = fetch(me, data["Url"])
    assert_download(r, filename)
    assert r.content == content


def test_the_type_shown_comes_from_the_content_first(sapi):
    me = sapi.user()
    assert stored_file(me, picture("PNG"), "holiday.dat")["Mime"] == "image/png"
    assert stored_file(me, b"%PDF-1.4\n%...\n", "paper")["Mime"] == "application/pdf"
    assert stored_file(me, b"\x00\x01\x02 nothing known", "blob")["Mime"] == "application/octet-stream"


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\ann\\Desktop\\plan.txt", "plan.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override would show "exe.pdf"
        ("zero\u200bwidth\u2066.txt", "zerowidth.txt"),
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        ("a<b>c:d|e?.txt", "a_b_c_d_e_.txt"),
        ("  ...hidden.txt. . ", "hidden.txt"),
        ("tab\tand\x01\x7fcontrols.txt", "tabandcontrols.txt"),
        ("Résumé 2026 — 第一版.docx", "Résumé 2026 — 第一版.docx"),
        ("x" * 300 + ".tar", "x" * 116 + ".tar"),
        ("", "file"),
    ],
)
def test_file_names_are_sanitised(sapi, raw, safe):
    me = sapi.user()
    data = answer(send_raw_name(me, b"some bytes", raw), 200)["Data"]
    assert data["Name"] == safe
    assert_download(fetch(me, data["Url"]), safe)


def test_a_non_ascii_name_has_an_ascii_fallback(sapi):
    me = sapi.user()
    data = stored_file(me, b"x", "Привет «мир».txt")
    disposition = fetch(me, data["Url"]).headers["Content-Disposition"]
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert fallback.isascii() and fallback.endswith(".txt"), disposition


def test_db_mode_answers_etag_and_ranges_across_chunks(make_server, tmp_path):
    server = make_server(UPLOAD_STORAGE="db", UPLOAD_FOLDER=str(tmp_path))
    me = Api(server).user()
    content = os.urandom(2 * 1024 * 1024 + 12345)  # three chunks of SQL
    data = stored_file(me, content, "random.bin")
    r = fetch(me, data["Url"])
    assert r.content == content and r.headers.get("ETag")
    assert fetch(me, data["Url"], **{"If-None-Match": r.headers["ETag"]}).status_code == 304
    start, end = 1024 * 1024 - 10, 2 * 1024 * 1024 + 9  # over both chunk boundaries
    part = fetch(me, data["Url"], Range=f"bytes={start}-{end}")
    assert part.status_code == 206
    assert part.content == content[start : end + 1]
    assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(content)}"
    assert part.headers["Content-Disposition"].startswith("attachment")
    tail = fetch(me, data["Url"], Range="bytes=-5")
    assert tail.status_code == 206 and tail.content == content[-5:]
    assert [n for n in os.listdir(tmp_path) if not n.startswith(".")] == [], "nothing kept in the folder"


def test_db_mode_still_serves_files_left_in_the_folder(make_server, tmp_path):
    """Uploads made before UPLOAD_STORAGE=db (no row) are served from the folder."""
    server = make_server(UPLOAD_STORAGE="db", UPLOAD_FOLDER=str(tmp_path))
    me = Api(server).user()
    name = f"{uuid.uuid4().hex}.png"
    (tmp_path / name).write_bytes(picture("PNG"))
    r = fetch(me, "/uploads/" + name)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert answer(me.post("/user/updateUser", icon="/uploads/" + name), 200)["Data"]["Avatar"].endswith(name)


def test_pictures_avatars_and_icons_go_through_the_storage(sapi):
    me = sapi.user()
    url = answer(send_file(me, picture("PNG"), "me.png", path=UPLOAD), 200)["Data"]
    assert fetch(me, url).headers["Content-Type"] == "image/png"
    assert answer(me.post("/user/updateUser", icon=url), 200)["Data"]["Avatar"] == url
    group = answer(me.post("/contact/createCommunity", name="files-" + uuid.uuid4().hex[:8], icon=url), 201)
    assert group["Data"]["Img"] == url
    # A file is no picture: not an avatar.
    error(me.post("/user/updateUser", icon=stored_file(me, picture("PNG"), "me.png")["Url"]), 400, "picture")


# --- bad input --------------------------------------------------------------------------------
def test_a_file_over_the_limit_gets_413_and_nothing_is_stored(make_server, tmp_path):
    server = make_server(MAX_UPLOAD_MB=0.25, UPLOAD_FOLDER=str(tmp_path))
    me = Api(server).user()
    with server.app.app_context():
        from ginchat.extensions import db
        from ginchat.models.upload import upload_table

        before = db.session.query(upload_table).count()
        error(send_file(me, bytes(int(0.25 * 1024 * 1024) + 1), "big.iso"), 413, "limit")
        db.session.rollback()
        assert db.session.query(upload_table).count() == before
    assert os.listdir(tmp_path) == []
    assert stored_file(me, bytes(int(0.25 * 1024 * 1024)), "exactly.iso")["Size"] == 256 * 1024


def test_no_file_or_an_empty_one_gets_400(sapi):
    me = sapi.user()
    error(requests.post(sapi.url + FILE, headers=me.auth, data={"x": "1"}, timeout=10), 400, "file")
    error(requests.post(sapi.url + FILE, headers=me.auth, data={"file": "text"}, timeout=10), 400, "file part")
    error(send_file(me, b"", "empty.txt"), 400, "empty")
    error(requests.post(sapi.url + FILE, files={"file": ("a.txt", b"x")}, timeout=10), 401)


def test_a_picture_that_is_not_one_is_still_refused(sapi):
    me = sapi.user()
    error(send_file(me, b"<html>not a picture</html>", "cat.png", "image/png", path=UPLOAD), 415)
    error(send_file(me, picture("PNG")[:60], "cut.png", "image/png", path=UPLOAD), 415)


def test_path_traversal_and_made_up_names_get_404(sapi):
    me = sapi.user()
    real = stored_file(me, b"secret plan", "plan.txt")["Url"]
    for path in (
        real.replace(".bin", ".html"),
        real + "/..",
        "/uploads/../" + real.rsplit("/", 1)[1],
        f"/uploads/{uuid.uuid4().hex}.bin",
        "/uploads/%2e%2e%2f" + real.rsplit("/", 1)[1],
        "/uploads/plan.txt",
    ):
        r = fetch(me, path)
        assert r.status_code == 404 and b"secret plan" not in r.content, path


# --- Media 5 messages -------------------------------------------------------------------------
def test_a_file_message_carries_its_name_size_and_type(spair):
    a, b = spair
    data = stored_file(a, b"%PDF-1.4\n" + bytes(1000), "Plan (final).pdf")
    wa, wb = a.ws(), b.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=5, Url=data["Url"], Content="ignored", Amount=9, ClientMsgId="f-1")
        (got,) = wb.messages(1)
        assert got["Media"] == 5 and got["Url"] == data["Url"]
        assert got["Content"] == data["Url"], "older clients show the Url"
        assert got["Amount"] == 0
        assert got["File"] == {"Name": "Plan (final).pdf", "Size": 1009, "Mime": "application/pdf"}
        assert wa.messages(1)[0]["File"] == got["File"]
        # The other person downloads it.
        assert_download(fetch(b, data["Url"]), "Plan (final).pdf")
        # History and replay carry the same File.
        rows = answer(b.get("/message/history", type=1, targetId=a.id), 200)["Rows"]
        assert rows[-1]["File"] == got["File"]
        rows = answer(b.get("/message/sync", since=got["Id"] - 1), 200)["Rows"]
        assert rows[0]["File"] == got["File"]
        # Other messages carry no File.
        wa.send(Type=1, TargetId=b.id, Media=1, Content="hi")
        assert "File" not in wb.messages(1)[0]
    finally:
        wa.close()
        wb.close()


def test_file_messages_need_a_file_upload_and_pictures_a_picture(spair):
    a, b = spair
    image = answer(send_file(a, picture("PNG"), "p.png", path=UPLOAD), 200)["Data"]
    doc = stored_file(a, picture("PNG"), "p.png")["Url"]  # a picture sent as a file stays a file
    wa, wb = a.ws(), b.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=5, Url=image, ClientMsgId="bad-1")
        wa.send(Type=1, TargetId=b.id, Media=4, Url=doc, ClientMsgId="bad-2")
        wa.send(Type=1, TargetId=b.id, Media=5, ClientMsgId="bad-3")
        wa.send(Type=1, TargetId=b.id, Media=5, Url=f"/uploads/{uuid.uuid4().hex}.bin", ClientMsgId="bad-4")
        wa.send(Type=1, TargetId=b.id, Media=6, Url=doc, ClientMsgId="bad-5")
        frames = [wa.recv() for _ in range(5)]
        assert [(f["Type"], f["Code"], f["ClientMsgId"]) for f in frames] == [
            (-1, 400, f"bad-{i}") for i in range(1, 6)
        ], frames
        assert "file" in frames[0]["Msg"] and "image" in frames[1]["Msg"]
        assert wb.quiet(0.3) == []
    finally:
        wa.close()
        wb.close()


def test_a_recalled_file_is_deleted(spair):
    a, b = spair
    data = stored_file(a, b"draft", "draft.txt")
    wa = a.ws()
    try:
        wa.send(Type=1, TargetId=b.id, Media=5, Url=data["Url"])
        (msg,) = wa.messages(1)
        answer(a.post("/message/recall", id=msg["Id"]), 200)
        assert fetch(b, data["Url"]).status_code == 404
        rows = answer(b.get("/message/history", type=1, targetId=a.id), 200)["Rows"]
        assert rows[-1]["Media"] == 0 and "File" not in rows[-1]
    finally:
        wa.close()


def test_file_upload_is_documented_in_swagger(api):
    spec = requests.get(api.url + "/swagger/apispec.json", timeout=10).json()
    op = spec["paths"][FILE]["post"]
    assert op["responses"]["200"]["schema"]["$ref"] == "#/definitions/FileUploadEnvelope"
    for status in ("400", "401", "413"):
        assert status in op["responses"]
    assert 5 in spec["definitions"]["Message"]["properties"]["Media"]["enum"]
    assert set(spec["definitions"]["FileInfo"]["properties"]) == {"Name", "Size", "Mime"}


# --- the setting ------------------------------------------------------------------------------
def test_the_default_storage_follows_the_database(app):
    assert app.config["UPLOAD_STORAGE"] == ("folder" if DB_KIND == "sqlite" else "db")


def test_a_bad_storage_setting_stops_the_start(base_config):
    from ginchat import create_app

    with pytest.raises(RuntimeError, match="UPLOAD_STORAGE"):
        create_app(dict(base_config, UPLOAD_STORAGE="nfs"))
