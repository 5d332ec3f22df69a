"""Limits on what one client can make the server hold (issue 24, items 5-7
and the floods): db-mode downloads streamed a piece at a time, the partial
message a socket may buffer, sockets per user, request headers' time, the
connection cap, keep-alive floods, and Redis that stops answering."""

import json
import os
import secrets
import shutil
import signal
import socket
import time

import pytest
import requests
import websocket
from sqlalchemy import delete
from test_chat import close_code

from helpers import PASSWORD, Api, wait_for
from multinode import NodeProcess, RedisServer, node_settings, shared  # noqa: F401  (fixture)


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


# --- item 6: what one socket may buffer, and sockets per user --------------------------
def send_frame(client, data, opcode=websocket.ABNF.OPCODE_TEXT, fin=1):
    client.conn.send_frame(websocket.ABNF.create_frame(data, opcode, fin))


@pytest.fixture(scope="module")
def small_frames(make_server):
    return make_server(MAX_FRAME_BYTES=4096)


def test_a_fragmented_message_over_max_frame_bytes_closes_with_1009(small_frames):
    """Before: fragments were buffered up to 16 times MAX_FRAME_BYTES (1 MiB
    by default) per socket, however slowly they came."""
    me = Api(small_frames).user()
    ws = me.ws()
    send_frame(ws, "x" * 3000, fin=0)
    send_frame(ws, "x" * 3000, websocket.ABNF.OPCODE_CONT, fin=0)
    assert close_code(ws) == 1009


def test_a_fragmented_message_within_the_limit_still_arrives(small_frames):
    api = Api(small_frames)
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa = a.ws()
    text = json.dumps({"Type": 1, "TargetId": b.id, "Content": "in three parts", "ClientMsgId": "frag-1"})
    send_frame(wa, text[:10], fin=0)
    send_frame(wa, text[10:20], websocket.ABNF.OPCODE_CONT, fin=0)
    send_frame(wa, text[20:], websocket.ABNF.OPCODE_CONT, fin=1)
    (copy,) = wa.messages(1)
    assert copy["Content"] == "in three parts" and copy["ClientMsgId"] == "frag-1"


def test_a_single_frame_over_max_frame_bytes_gets_413_and_the_socket_stays(small_frames):
    api = Api(small_frames)
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa = a.ws()
    wa.send(Type=1, TargetId=b.id, Content="y" * 20000)  # dropped as it arrives, not buffered
    error = wa.recv()
    assert error["Type"] == -1 and error["Code"] == 413, error
    wa.send(Type=1, TargetId=b.id, Content="after")
    assert wa.messages(1)[0]["Content"] == "after"


def test_the_21st_socket_of_a_user_closes_the_oldest_with_4001(server, api):
    """MAX_SOCKETS_PER_USER (20): before, one user could open any number (300
    sockets took 400 MiB)."""
    me = api.user()
    first = me.ws()
    others = [me.ws() for _ in range(19)]
    assert len(server.engine.client_map[me.id]) == 20
    newest = me.ws()
    assert close_code(first) == 4001
    assert wait_for(lambda: len(server.engine.client_map.get(me.id, ())) == 20)
    newest.send(Type=3)
    others[0].send(Type=3)
    assert newest.quiet(0.3) == [] and others[0].quiet(0.1) == []  # still open


# --- floods of frames that carry nothing --------------------------------------------------
@pytest.mark.parametrize("kind", ["ping", "pong", "heartbeat", "empty continuation"])
def test_a_flood_of_keepalive_frames_closes_the_socket_with_4029(server, api, kind):
    """Before: two sockets flooding pings, heartbeats or empty continuation
    frames took a bystander's round trip from 2.8 to 95 ms."""
    a, b = api.user(), api.user()
    api.befriend(a, b)
    flooder, bystander = a.ws(), b.ws()
    if kind == "empty continuation":
        send_frame(flooder, '{"Type":', fin=0)
    try:
        for _ in range(500):
            if kind == "ping":
                flooder.conn.ping()
            elif kind == "pong":
                flooder.conn.pong()
            elif kind == "heartbeat":
                flooder.send(Type=3)
            else:
                send_frame(flooder, "", websocket.ABNF.OPCODE_CONT, fin=0)
    except (OSError, websocket.WebSocketException):
        pass  # closed by the server while we were still sending
    assert close_code(flooder, timeout=30) == 4029  # after FLOOD_PATIENCE (5 s) held back
    bystander.send(Type=1, TargetId=a.id, Content="still here")
    assert bystander.messages(1)[0]["Content"] == "still here"


def test_keepalive_frames_at_a_normal_pace_are_fine(server, api):
    a, b = api.user(), api.user()
    api.befriend(a, b)
    ws = a.ws()
    for _ in range(20):  # a burst within KEEPALIVE_RATE's ten seconds' worth (50)
        ws.conn.ping()
        ws.send(Type=3)
    ws.send(Type=1, TargetId=b.id, Content="after the pings")
    ws.conn.settimeout(5)
    while True:  # the pongs first
        opcode, frame = ws.conn.recv_data_frame(True)
        assert opcode != websocket.ABNF.OPCODE_CLOSE
        if opcode == websocket.ABNF.OPCODE_TEXT:
            assert json.loads(frame.data)["Content"] == "after the pings"
            break


# --- item 7: request headers' time and the connection cap ------------------------------
def raw(server, data=b""):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    if data:
        sock.sendall(data)
    return sock


def answer_of(sock):
    """What the server sends before it closes (b"" if nothing)."""
    got = b""
    while True:
        part = sock.recv(65536)
        if not part:
            return got
        got += part


@pytest.fixture(scope="module")
def impatient(make_server):
    return make_server(HEADER_TIMEOUT=1)


def test_half_sent_request_headers_are_dropped_after_the_header_timeout(impatient):
    """Before: a request whose headers never end held its connection (and a
    descriptor) for ever: 1,100 of them filled the descriptor table."""
    line_only = raw(impatient, b"GET /hea")
    some_headers = raw(impatient, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    silent = raw(impatient)
    assert answer_of(line_only) == b""
    assert answer_of(some_headers).startswith(b"HTTP/1.1 408")
    assert answer_of(silent) == b""
    assert requests.get(impatient.url + "/health", timeout=10).status_code == 200


def test_an_idle_kept_alive_connection_closes_after_the_header_timeout(impatient):
    sock = raw(impatient, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    assert answer_of(sock) == b""  # no second request came in time


def test_a_slow_body_is_not_cut_by_the_header_timeout(impatient):
    """The timeout is for the headers only: an upload may take its time."""
    me = Api(impatient).user()
    body = b'{"name": "' + me.name.encode() + b'", "password": "' + PASSWORD.encode() + b'"}'
    head = (
        f"POST /user/findUserByNameAndPwd HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = raw(impatient, head + body[:5])
    time.sleep(1.5)
    sock.sendall(body[5:])
    assert answer_of(sock).startswith(b"HTTP/1.1 200")


def test_past_the_connection_cap_a_new_connection_gets_a_503(make_server):
    capped = make_server(MAX_CONNECTIONS=5)
    held = [raw(capped) for _ in range(5)]
    gate = capped.app.extensions["connection_gate"]
    assert wait_for(lambda: gate.open == 5)
    refused = answer_of(raw(capped))
    assert refused.startswith(b"HTTP/1.1 503"), refused
    body = json.loads(refused.split(b"\r\n\r\n", 1)[1])
    assert body["Code"] == -1 and "connection limit" in body["Msg"]
    for sock in held:
        sock.close()
    assert wait_for(lambda: gate.open == 0)
    assert requests.get(capped.url + "/health", timeout=10).status_code == 200


def node_with_descriptors(shared, workdir, nofile, **settings):
    """A node process (wsgi.py) with RLIMIT_NOFILE at ``nofile``."""
    config = node_settings(shared["db"], shared["redis"], "none", **settings)
    prefix = ["prlimit", f"--nofile={nofile}:{nofile}", "--"]
    return NodeProcess("fds-" + secrets.token_hex(3), workdir, config, prefix=prefix).start().wait_ready()


def hold(node, count):
    socks = []
    for _ in range(count):
        sock = socket.create_connection((node.host, node.port), timeout=15)
        sock.settimeout(3)
        socks.append(sock)
    return socks


def log_after(node, attack):
    """Run ``attack`` (it returns the sockets it holds), close its sockets,
    see /health answer again, stop the node: its log."""
    try:
        for sock in attack():
            sock.close()
        assert wait_for(lambda: requests.get(node.url + "/health", timeout=5).status_code == 200, timeout=15)
    finally:
        node.stop()
    return node.log()


@pytest.mark.skipif(not shutil.which("prlimit"), reason="needs prlimit (util-linux)")
def test_the_automatic_cap_refuses_cleanly_before_descriptors_run_out(shared, workdir):
    """MAX_CONNECTIONS=auto: half the descriptors left after the pools.
    Before: 1,100 half-sent requests took every descriptor, /health timed
    out and each failed accept printed a traceback."""
    node = node_with_descriptors(shared, workdir, 256)  # auto: (256 - 64 - 50 - 15) // 2 = 63

    def attack():
        socks = hold(node, 63)
        assert wait_for(lambda: answer_of(hold(node, 1)[0]).startswith(b"HTTP/1.1 503"), timeout=10)
        return socks

    log = log_after(node, attack)
    assert "Traceback" not in log, log[-3000:]
    assert log.count("refused") == 1, log[-3000:]  # one line for every refusal within LOG_EVERY


@pytest.mark.skipif(not shutil.which("prlimit"), reason="needs prlimit (util-linux)")
def test_a_full_descriptor_table_is_one_log_line_not_a_traceback_per_accept(shared, workdir):
    node = node_with_descriptors(shared, workdir, 80, MAX_CONNECTIONS=0)  # no cap: the table fills

    def attack():
        socks = hold(node, 120)  # the kernel queues what the node cannot accept
        time.sleep(1)  # deliberately: accepts fail meanwhile
        return socks

    log = log_after(node, attack)
    # Other code that opens a file meanwhile may fail its own way (what the
    # automatic cap prevents); the accept loop says it once, without a traceback.
    assert "_do_read" not in log and "baseserver" not in log, log[-3000:]
    assert 1 <= log.count("cannot accept connections: Too many open files") <= 2, log[-3000:]


# --- Redis that stops answering ------------------------------------------------------------
@pytest.fixture(params=["embedded", "server"])
def sleepy_redis(request, make_server, workdir, tmp_path):
    """A node with a Redis of the test's own, and a function that stops it
    (SIGSTOP: it accepts but never answers, unlike a stopped server that
    refuses) until the test ends."""
    redis_server = None
    # A long pool timeout: without REDIS_TIMEOUT a call that never ends holds
    # its connection, and the others would wait here, not just the default 10 s.
    settings = dict(REDIS_TIMEOUT=1, REDIS_POOL_TIMEOUT=300)
    if request.param == "embedded":
        server = make_server(REDIS_URL=None, INSTANCE_PATH=str(tmp_path), **settings)
        pid = server.app.extensions["redis"].pid
    else:
        redis_server = RedisServer(workdir).start().wait_ready()
        server = make_server(REDIS_URL=redis_server.url, **settings)
        pid = redis_server.proc.pid
    stopped = []

    def stop():
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)

    yield server, stop
    if stopped:
        os.kill(pid, signal.SIGCONT)
    if redis_server is not None:
        redis_server.stop()


@pytest.mark.timeout(200)
def test_a_redis_that_stops_answering_stalls_neither_login_nor_chat(sleepy_redis):
    """Before: the embedded Redis's calls had no timeout at all (a server's,
    5 s each, several in a row), so login waited for ever (over 15 s) and
    messages went unacknowledged. REDIS_TIMEOUT bounds every call."""
    server, stop_redis = sleepy_redis
    api = Api(server)
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa = a.ws()
    stop_redis()
    r = requests.post(api.url + "/user/findUserByNameAndPwd", data={"name": a.name, "password": PASSWORD}, timeout=60)
    assert r.status_code == 200, r.text
    wa.send(Type=1, TargetId=b.id, Content="while Redis sleeps", ClientMsgId="zz-1")
    frame = wa.recv(timeout=60)
    assert frame.get("ClientMsgId") == "zz-1", frame
