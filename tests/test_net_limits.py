"""Limits on what one client can make the server hold (issue 24, items 5-7
and the floods): db-mode downloads streamed a piece at a time, the partial
message a socket may buffer, sockets per user, request headers' time, the
connection cap, keep-alive floods, and Redis that stops answering."""

import os

import requests
from sqlalchemy import delete

from helpers import Api


def stored(user, content, name="big.bin"):
    files = {"file": (name, content, "application/octet-stream")}
    r = requests.post(user.api.url + "/attach/file", files=files, headers=user.auth, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["Data"]["Url"]


# --- item 5: a download from SQL is streamed ------------------------------------------
def test_a_db_mode_download_is_read_from_sql_as_it_is_sent(make_server, tmp_path):
    """The body is read a piece at a time while it goes out: chunks deleted
    after the first piece went are never sent (before, the whole file was
    read into memory first, and 100 slow readers of 10 MiB took 770 MiB)."""
    from ginchat.extensions import db
    from ginchat.models.upload import upload_chunk

    server = make_server(UPLOAD_STORAGE="db", UPLOAD_FOLDER=str(tmp_path))
    me = Api(server).user()
    content = os.urandom(3 * 1024 * 1024 + 7)
    url = stored(me, content)
    app = server.app
    response = app.test_client().get(url, headers=me.auth)
    assert response.status_code == 200 and response.content_length == len(content)
    body = iter(response.response)
    first = next(body)
    assert 0 < len(first) <= 256 * 1024
    with app.app_context():
        name = url.rsplit("/", 1)[1]
        db.session.execute(delete(upload_chunk).where(upload_chunk.c.name == name, upload_chunk.c.n >= 1))
        db.session.commit()
    rest = b"".join(body)
    response.close()
    assert content.startswith(first + rest)
    assert len(first + rest) == 1024 * 1024, "only the chunk left in SQL was sent"
