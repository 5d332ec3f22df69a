"""Uploads on every node (issue 16, item 8): two ``wsgi.py`` nodes sharing the
database (MariaDB or PostgreSQL) and Redis, each with its own empty
UPLOAD_FOLDER and no other shared storage. With the default UPLOAD_STORAGE
(db for a database server) a picture, a file and an avatar sent through node
1 open on node 2."""

import os

import pytest
import requests
from samples import picture

from conftest import DB_KIND
from multinode import cluster, shared  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        DB_KIND == "sqlite",
        reason="SQLite means one node (UPLOAD_STORAGE=folder): test_files.py covers it",
    ),
]


def upload(node, user, path, content, filename):
    r = requests.post(node.url + path, files={"file": (filename, content)}, headers=user.auth, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["Data"]


def get(node, user, url, **headers):
    return requests.get(node.url + url, headers=dict(user.auth, **headers), timeout=30)


def test_a_picture_and_a_file_sent_through_one_node_open_on_the_other(cluster):
    n1, n2 = cluster(2, "redis")
    a = n1.api.user("fa")
    b = n2.api.user("fb")
    n1.api.befriend(a, b)
    photo = picture("JPEG")
    image_url = upload(n1, a, "/attach/upload", photo, "photo.jpg")
    doc = b"%PDF-1.4\n" + os.urandom(1536 * 1024)  # two chunks in SQL
    info = upload(n1, a, "/attach/file", doc, "Minutes (draft).pdf")
    wa = n1.api.ws(a, since=0)
    wb = n2.api.ws(b, since=0)
    try:
        wa.send(Type=1, TargetId=b.id, Media=4, Url=image_url, ClientMsgId="pic")
        wa.send(Type=1, TargetId=b.id, Media=5, Url=info["Url"], ClientMsgId="doc")
        got = wb.messages(2, timeout=20)
        assert [m["Media"] for m in got] == [4, 5]
        assert got[1]["File"] == {"Name": "Minutes (draft).pdf", "Size": len(doc), "Mime": "application/pdf"}
    finally:
        wa.close()
        wb.close()
    # Node 2 never saw the bytes arrive, and its folder holds nothing.
    r = get(n2, b, image_url)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    r = get(n2, b, info["Url"])
    assert r.status_code == 200 and r.content == doc
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    part = get(n2, b, info["Url"], Range="bytes=1048570-1048579")
    assert part.status_code == 206 and part.content == doc[1048570:1048580]
    assert get(n2, b, info["Url"], **{"If-None-Match": r.headers["ETag"]}).status_code == 304
    folder2 = os.path.join(n2.dir, "uploads")
    assert not os.path.isdir(folder2) or [n for n in os.listdir(folder2) if not n.startswith(".")] == []
    # An avatar set through node 1 shows on node 2.
    avatar = upload(n1, a, "/attach/upload", picture("PNG"), "me.png")
    assert n1.api.post("/user/updateUser", token=a.token, icon=avatar).status_code == 200
    assert get(n2, b, avatar).status_code == 200
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]
