"""The WebSocket chat engine (issue 3): delivery, rules, bad frames, replay,
presence — against the real gevent server, a real database and Redis."""

import json
import socket
import struct

import gevent
import pytest
import requests
import websocket

from helpers import Api, WsClient, wait_for


def close_code(ws, timeout=5):
    """Read until the server's close frame; its status code."""
    ws.conn.settimeout(timeout)
    while True:
        try:
            opcode, frame = ws.conn.recv_data_frame(True)
        except websocket.WebSocketConnectionClosedException:
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None


def errors_of(frames):
    return [f for f in frames if f.get("Type") == -1]


@pytest.fixture(scope="module")
def fast_server(make_server):
    """A server without rate limits, for tests that send many messages."""
    return make_server(RATE_LIMITS="off")


@pytest.fixture
def fast_api(fast_server):
    return Api(fast_server)


# --- delivery -----------------------------------------------------------------
def test_private_message_reaches_friend_and_echoes_to_sender(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    wa.send(Type=1, TargetId=b.id, Media=1, Content="hello", ClientMsgId="c-1", UserId=b.id)
    got = wb.messages(1)[0]
    echo = wa.messages(1)[0]
    assert got == echo
    assert got["UserId"] == a.id  # the forged UserId is ignored
    assert got["TargetId"] == b.id and got["Type"] == 1 and got["Media"] == 1
    assert got["Content"] == "hello" and got["ClientMsgId"] == "c-1"
    assert got["Seq"] == 1 and got["Id"] > 0 and got["CreateTime"] > 1_700_000_000_000
    assert set(got) == {
        "Id",
        "Seq",
        "UserId",
        "TargetId",
        "Type",
        "Media",
        "Content",
        "Url",
        "Amount",
        "CreateTime",
        "ClientMsgId",
    }


def test_keys_are_case_insensitive_and_client_msg_id_defaults_to_empty(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    wa.send(type=1, targetId=b.id, media=2, content="😀")
    got = wb.messages(1)[0]
    assert got["Content"] == "😀" and got["Media"] == 2 and got["ClientMsgId"] == ""


def test_every_tab_of_both_users_receives(pair):
    a, b = pair
    a1, a2, b1, b2 = a.ws(), a.ws(), b.ws(), b.ws()
    b2.send(Type=1, TargetId=a.id, Content="to all tabs")
    for conn in (a1, a2, b1, b2):
        assert conn.messages(1)[0]["Content"] == "to all tabs"


def test_group_message_reaches_every_member_once(api):
    owner, m1, m2 = api.user(), api.user(), api.user()
    outsider = api.user()
    group = api.group(owner, m1, m2)
    conns = {u.id: u.ws() for u in (owner, m1, m2)}
    wo = outsider.ws()
    conns[m1.id].send(Type=2, TargetId=group["ID"], Content="team!", ClientMsgId="g-1")
    for conn in conns.values():
        got = conn.messages(1)
        assert got[0]["Content"] == "team!" and got[0]["UserId"] == m1.id and got[0]["ClientMsgId"] == "g-1"
        assert conn.quiet(0.3) == []
    assert wo.quiet(0.3) == []


def test_member_who_joins_later_receives_group_messages(api):
    owner, late = api.user(), api.user()
    group = api.group(owner)
    wo = owner.ws()
    wo.send(Type=2, TargetId=group["ID"], Content="before")
    wo.messages(1)
    r = late.post("/contact/joinGroup", comId=group["ID"])
    assert r.status_code == 200
    wl = late.ws()
    wo.send(Type=2, TargetId=group["ID"], Content="after")
    assert wl.messages(1)[0]["Content"] == "after"


def test_not_a_friend_gets_error_and_nothing_is_stored(friends_api):
    # DIRECT_MESSAGES=friends; tests/test_team.py has the default, members.
    api = friends_api
    a, stranger = api.user(), api.user()
    wa, ws = a.ws(), stranger.ws()
    wa.send(Type=1, TargetId=stranger.id, Content="psst", ClientMsgId="x-1")
    err = wa.recv()
    assert err == {"Type": -1, "Code": 403, "Msg": f"user {stranger.id} is not your friend", "ClientMsgId": "x-1"}
    assert ws.quiet(0.3) == []
    r = a.get("/message/history", type=1, targetId=stranger.id)
    assert r.json()["Total"] == 0


def test_not_a_member_gets_error(api):
    owner, outsider = api.user(), api.user()
    group = api.group(owner)
    wo, wx = owner.ws(), outsider.ws()
    wx.send(Type=2, TargetId=group["ID"], Content="let me in", ClientMsgId="x-2")
    err = wx.recv()
    assert err["Type"] == -1 and err["Code"] == 403 and err["ClientMsgId"] == "x-2"
    assert f"group {group['ID']}" in err["Msg"]
    assert wo.quiet(0.3) == []


def test_resend_with_same_client_msg_id_is_stored_once(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    for _ in range(3):
        wa.send(Type=1, TargetId=b.id, Content="once", ClientMsgId="dup-1")
    first = wb.messages(1)[0]
    echoes = wa.messages(3)
    assert all(e["Id"] == first["Id"] for e in echoes)
    assert wb.quiet(0.3) == []
    r = a.get("/message/history", type=1, targetId=b.id)
    assert r.json()["Total"] == 1


def test_voice_and_image_need_an_upload_url(pair):
    a, b = pair
    wa = a.ws()
    wa.send(Type=1, TargetId=b.id, Media=4, Url="http://evil.example/x.png", ClientMsgId="i-1")
    err = wa.recv()
    assert err["Type"] == -1 and err["Code"] == 400 and "upload" in err["Msg"]
    wa.send(Type=1, TargetId=b.id, Media=3, Content="", ClientMsgId="v-1")
    assert wa.recv()["Code"] == 400


# --- the handshake --------------------------------------------------------------
def ws_status(server, path, headers=None):
    """The HTTP status of a refused handshake."""
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(server.ws_url + path, timeout=5, header=headers or [])
    return info.value.status_code


def test_handshake_without_credentials_is_401(server):
    assert ws_status(server, "/chat") == 401
    assert ws_status(server, "/chat?token=not-a-token") == 401
    assert ws_status(server, "/user/sendUserMsg") == 401


def test_handshake_with_foreign_origin_is_403(api, server):
    a = api.user()
    assert ws_status(server, f"/chat?token={a.token}", ["Origin: http://evil.example"]) == 403
    ok = websocket.create_connection(f"{server.ws_url}/chat?token={a.token}", timeout=5, origin=server.url)
    ok.close()


def test_handshake_with_someone_elses_user_id_is_403(api, server):
    a, b = api.user(), api.user()
    assert ws_status(server, f"/chat?token={a.token}&userId={b.id}") == 403
    conn = websocket.create_connection(f"{server.ws_url}/chat?token={a.token}&userId={a.id}", timeout=5)
    conn.close()


def test_handshake_with_malformed_since_is_400(api, server):
    a = api.user()
    assert ws_status(server, f"/chat?token={a.token}&since=abc") == 400


def test_alias_route_and_cookie_authentication(api, server):
    a, b = api.user(), api.user()
    api.befriend(a, b)
    session = requests.Session()
    r = session.post(server.url + "/user/findUserByNameAndPwd", data={"name": a.name, "password": a.password})
    assert r.status_code == 200
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    wa = WsClient(websocket.create_connection(server.ws_url + "/user/sendUserMsg", timeout=5, cookie=cookie))
    wb = b.ws()
    wa.send(Type=1, TargetId=b.id, Content="via cookie")
    assert wb.messages(1)[0]["UserId"] == a.id


# --- bad frames ---------------------------------------------------------------------
BAD_FRAMES = [
    ("not json", 400, "not valid JSON"),
    ("[1, 2, 3]", 400, "JSON object"),
    ('"a string"', 400, "JSON object"),
    ('{"Type": 9, "TargetId": 1, "Content": "x"}', 400, "unknown Type"),
    ('{"TargetId": 1, "Content": "x"}', 400, "Type is required"),
    ('{"Type": 1, "Content": "x"}', 400, "TargetId is required"),
    ('{"Type": "one", "TargetId": 1, "Content": "x"}', 400, "Type must be an integer"),
    ('{"Type": 1, "TargetId": "x", "Content": "x"}', 400, "TargetId must be an integer"),
    ('{"Type": 1, "TargetId": true, "Content": "x"}', 400, "TargetId must be an integer"),
    ('{"Type": 1, "TargetId": 1e400, "Content": "x"}', 400, "TargetId"),
    ('{"Type": 1, "TargetId": 99999999999999999999999, "Content": "x"}', 400, "TargetId must be between"),
    ('{"Type": 1, "TargetId": 1, "Content": 5}', 400, "Content must be a string"),
    ('{"Type": 1, "TargetId": 1, "Content": ""}', 400, "Content is required"),
    ('{"Type": 1, "TargetId": 1, "Content": "x", "Media": 7}', 400, "Media must be"),
    ('{"Type": 1, "TargetId": 1, "Content": "x", "ClientMsgId": {"a": 1}}', 400, "ClientMsgId"),
    ("[" * 5000 + "]" * 5000, 400, "JSON"),
]


def test_bad_frames_get_error_frames_and_the_connection_stays_open(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    for text, code, words in BAD_FRAMES:
        wa.send_raw(text)
        err = wa.recv()
        assert err["Type"] == -1 and err["Code"] == code and words in err["Msg"], (text[:60], err)
    wa.send(Type=1, TargetId=b.id, Content="still here")
    assert wb.messages(1)[0]["Content"] == "still here"


def test_over_long_content_is_refused(app, pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    limit = app.config["MAX_CONTENT_CHARS"]
    wa.send(Type=1, TargetId=b.id, Content="x" * (limit + 1), ClientMsgId="long")
    err = wa.recv()
    assert err["Code"] == 413 and err["ClientMsgId"] == "long"
    wa.send(Type=1, TargetId=b.id, Content="y" * limit)
    assert len(wb.messages(1)[0]["Content"]) == limit


def test_binary_frame_gets_an_error(pair):
    a, b = pair
    wa = a.ws()
    wa.conn.send_binary(b"\x00\x01binary")
    err = wa.recv()
    assert err["Type"] == -1 and err["Code"] == 400 and "binary" in err["Msg"]


def test_a_100_kb_frame_gets_413_and_the_connection_stays_open(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    wa.send_raw(json.dumps({"Type": 1, "TargetId": b.id, "Content": "z" * 100_000, "ClientMsgId": "big"}))
    err = wa.recv()
    assert err["Type"] == -1 and err["Code"] == 413
    wa.send(Type=1, TargetId=b.id, Content="after the big one")
    assert wb.messages(1)[0]["Content"] == "after the big one"


def test_a_frame_over_the_hard_cap_closes_with_1009_and_others_are_unaffected(app, api, pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    huge = json.dumps({"Type": 1, "TargetId": b.id, "Content": "z" * (app.config["MAX_FRAME_BYTES"] * 17)})
    try:
        wa.send_raw(huge)
        code = close_code(wa)
    except (ConnectionResetError, BrokenPipeError):
        # Closing with the rest of the frame unread makes the kernel reset the
        # connection; the close frame may be lost with it.
        code = 1009
    assert code == 1009
    c = api.user()
    api.befriend(c, b)
    c.ws().send(Type=1, TargetId=b.id, Content="others still served")
    assert wb.messages(1)[0]["Content"] == "others still served"


def test_flood_beyond_the_rate_limit_gets_429(app, pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    burst = int(app.config["MSG_RATE"]) * 2
    for i in range(burst + 20):
        wa.send(Type=1, TargetId=b.id, Content=f"m{i}", ClientMsgId=f"f-{i}")
    frames = []
    while len(frames) < burst + 20:
        frames.append(wa.recv())
    limited = errors_of(frames)
    assert limited and all(e["Code"] == 429 for e in limited)
    delivered = wb.messages(len(frames) - len(limited))
    assert len(delivered) >= burst


def test_rate_limits_off_lets_a_flood_through(fast_api):
    a, b = fast_api.user(), fast_api.user()
    fast_api.befriend(a, b)
    wa, wb = a.ws(), b.ws()
    for i in range(300):
        wa.send(Type=1, TargetId=b.id, Content=f"m{i}")
    got = wb.messages(300)
    assert [m["Content"] for m in got] == [f"m{i}" for i in range(300)]


# --- storage order ----------------------------------------------------------------
def test_concurrent_senders_into_a_group_get_gapless_seq(api):
    members = [api.user() for _ in range(5)]
    group = api.group(members[0], *members[1:])
    conns = [m.ws() for m in members]
    listener = members[0].ws()

    def send(conn, k):
        for i in range(30):
            conn.send(Type=2, TargetId=group["ID"], Content=f"{k}-{i}")
            gevent.sleep(0)  # let the other senders interleave: the point of the test

    gevent.joinall([gevent.spawn(send, c, k) for k, c in enumerate(conns)])
    got = listener.messages(150, timeout=20)
    seqs = [m["Seq"] for m in got]
    assert seqs == list(range(1, 151))
    assert [m["Id"] for m in got] == sorted(m["Id"] for m in got)
    assert len({m["Id"] for m in got}) == 150


# --- replay -------------------------------------------------------------------------
def test_offline_user_catches_up_exactly_with_since(fast_api):
    a, b = fast_api.user(), fast_api.user()
    fast_api.befriend(a, b)
    wb = b.ws()
    wa = a.ws()
    wa.send(Type=1, TargetId=b.id, Content="seen live")
    last_seen = wb.messages(1)[0]["Id"]
    wb.close()
    for i in range(50):
        wa.send(Type=1, TargetId=b.id, Content=f"offline {i}")
    sent = wa.messages(51)[1:]
    wb = b.ws(since=last_seen)
    got = wb.messages(50)
    assert [m["Content"] for m in got] == [f"offline {i}" for i in range(50)]
    assert [m["Id"] for m in got] == [m["Id"] for m in sent]
    assert wb.quiet(0.3) == []


def test_since_replays_group_messages_and_my_own(api):
    a, b = api.user(), api.user()
    group = api.group(a, b)
    wa = a.ws()
    wa.send(Type=2, TargetId=group["ID"], Content="g1")
    first = wa.messages(1)[0]
    wa.send(Type=2, TargetId=group["ID"], Content="g2")
    wa.messages(1)
    again = a.ws(since=first["Id"] - 1)
    assert [m["Content"] for m in again.messages(2)] == ["g1", "g2"]
    late = b.ws(since=first["Id"])
    assert [m["Content"] for m in late.messages(1)] == ["g2"]


def test_reconnect_storm_loses_nothing_and_doubles_nothing(fast_api):
    a, b = fast_api.user(), fast_api.user()
    fast_api.befriend(a, b)
    total = 200
    sender = a.ws()

    def produce():
        for i in range(total):
            sender.send(Type=1, TargetId=b.id, Content=f"s{i}", ClientMsgId=f"s-{i}")
            gevent.sleep(0.004)  # pace the producer so the reconnects below fall amid its sends

    producer = gevent.spawn(produce)
    received = []
    last = 0
    conn = b.ws(since=0)
    for _round in range(20):
        for _ in range(4):
            try:
                frame = conn.recv(timeout=2)
            except websocket.WebSocketTimeoutException:
                break
            if frame.get("Type") == 1:
                received.append(frame)
                last = frame["Id"]
        conn.close()
        conn = b.ws(since=last)
    producer.join()
    while True:
        try:
            frame = conn.recv(timeout=1.5)
        except websocket.WebSocketTimeoutException:
            break
        if frame.get("Type") == 1:
            received.append(frame)
    contents = [m["Content"] for m in received]
    assert contents == [f"s{i}" for i in range(total)], "lost or doubled messages"


def test_replay_larger_than_one_page(make_server):
    from helpers import Api

    api = Api(make_server(RATE_LIMITS="off", REPLAY_PAGE=7))
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa = a.ws()
    for i in range(30):
        wa.send(Type=1, TargetId=b.id, Content=f"p{i}")
    first = wa.messages(30)[0]
    wb = b.ws(since=first["Id"] - 1)
    assert [m["Content"] for m in wb.messages(30)] == [f"p{i}" for i in range(30)]
    assert wb.quiet(0.3) == []


# --- slow clients -------------------------------------------------------------------
def test_a_client_that_never_reads_is_closed_and_others_keep_chatting(make_server):
    server = make_server(RATE_LIMITS="off", SEND_QUEUE_SIZE=300)
    api = Api(server)
    a, b, c = api.user(), api.user(), api.user()
    api.befriend(a, b)
    api.befriend(a, c)
    # A small receive window: the kernel buffers fill soon, then the queue.
    stuck = b.ws(sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    wa, wc = a.ws(), c.ws()
    blob = "语" * 4000  # 12 KB a frame
    for _ in range(3000):
        wa.send(Type=1, TargetId=b.id, Content=blob)
        wa.messages(1)  # the sender reads its own copy: only B falls behind
        if b.id not in server.engine.client_map:
            break
    assert wait_for(lambda: b.id not in server.engine.client_map, timeout=15)
    stuck.close()
    wa.send(Type=1, TargetId=c.id, Content="unaffected")
    assert wc.messages(1)[0]["Content"] == "unaffected"


# --- presence ---------------------------------------------------------------------
def test_presence_set_on_connect_and_cleared_on_disconnect(api, app, server):
    redis = app.extensions["redis"]
    a, b = api.user(), api.user()
    api.befriend(a, b)
    assert redis.get(f"online_{a.id}") is None
    w1, w2 = a.ws(), a.ws()
    assert wait_for(lambda: redis.get(f"online_{a.id}") is not None)
    ttl = redis.ttl(f"online_{a.id}")
    assert 0 < ttl <= app.config["HEARTBEAT_TIMEOUT"]
    friends = b.post("/searchFriends").json()["Rows"]
    assert friends[0]["ID"] == a.id and friends[0]["Online"] is True
    w1.close()
    assert wait_for(lambda: len(server.engine.client_map.get(a.id, ())) == 1)
    gevent.sleep(0.3)  # time for a wrong clearing of the presence key to show
    assert redis.get(f"online_{a.id}") is not None, "one tab is still open"
    w2.close()
    assert wait_for(lambda: redis.get(f"online_{a.id}") is None)
    assert b.post("/searchFriends").json()["Rows"][0]["Online"] is False


@pytest.mark.slow  # forty users registered and connected at once
def test_presence_of_many_at_once_is_written_in_pipelines(api, app, server):
    """Connections arriving together are marked online in one round trip
    (the presence writer pipelines what queued up) and each one counts."""
    redis = app.extensions["redis"]
    users = [api.user() for _ in range(40)]
    conns = [c.get(timeout=20) for c in [gevent.spawn(u.ws) for u in users]]
    assert wait_for(lambda: all(redis.get(f"online_{u.id}") for u in users), timeout=10)
    assert server.engine.presence.writer.largest_batch > 1
    for conn in conns:
        conn.close()
    assert wait_for(lambda: not any(redis.get(f"online_{u.id}") for u in users), timeout=10)


def test_health_counts_connections_as_they_come_and_go(make_server):
    server = make_server()
    api = Api(server)
    a, b = api.user(), api.user()

    def count():
        return requests.get(server.url + "/health", timeout=5).json()["Data"]["Connections"]

    conns = [a.ws(), a.ws(), b.ws()]
    assert wait_for(lambda: count() == 3)
    conns[0].close()
    assert wait_for(lambda: count() == 2)
    for conn in conns[1:]:
        conn.close()
    assert wait_for(lambda: count() == 0)
    assert server.engine.client_map == {}


@pytest.mark.slow  # waits out a heartbeat timeout
def test_heartbeat_refreshes_and_silence_times_out(make_server):
    server = make_server(HEARTBEAT_TIMEOUT=2, HEARTBEAT_INTERVAL=1)
    redis = server.app.extensions["redis"]
    api = Api(server)
    a, quiet_user = api.user(), api.user()
    wa, wq = a.ws(), quiet_user.ws()
    # The quiet client answers the server's pings but sends no heartbeat.
    quiet_close = gevent.spawn(close_code, wq, 20)
    for _ in range(8):  # 4 s of heartbeats: longer than the timeout
        wa.send(Type=3)
        # Reading answers the server's pings; the server sends nothing else.
        assert wa.quiet(0.5) == [], "the server does not answer heartbeats"
    assert a.id in server.engine.client_map
    assert redis.get(f"online_{a.id}") is not None
    assert quiet_user.id not in server.engine.client_map
    assert redis.get(f"online_{quiet_user.id}") is None
    assert quiet_close.get(timeout=10) == 1001


# --- history routes ---------------------------------------------------------------------
def test_history_sync_and_redis_msg(pair, api):
    a, b = pair
    wa = a.ws()
    for i in range(12):
        wa.send(Type=1, TargetId=b.id, Content=f"h{i}")
    sent = wa.messages(12)
    ids = [m["Id"] for m in sent]

    r = b.get("/message/history", type=1, targetId=a.id, limit=5)
    body = r.json()
    assert r.status_code == 200 and body["Total"] == 12
    assert [m["Content"] for m in body["Rows"]] == [f"h{i}" for i in range(7, 12)]
    r = b.get("/message/history", type=1, targetId=a.id, before=ids[7], limit=5)
    assert [m["Content"] for m in r.json()["Rows"]] == [f"h{i}" for i in range(2, 7)]

    r = b.get("/message/sync", since=ids[9])
    assert [m["Id"] for m in r.json()["Rows"]] == ids[10:]

    r = b.post("/user/redisMsg", userIdA=a.id, userIdB=b.id, start=0, end=2)
    body = r.json()
    assert body["Total"] == 12 and [m["Content"] for m in body["Rows"]] == ["h11", "h10", "h9"]
    r = b.post("/user/redisMsg", userIdA=a.id, userIdB=b.id, start=0, end=2, isRev="true")
    assert [m["Content"] for m in r.json()["Rows"]] == ["h9", "h10", "h11"]

    c = api.user()
    r = c.post("/user/redisMsg", userIdA=a.id, userIdB=b.id, start=0, end=2)
    assert r.status_code == 403 and r.json()["Code"] == -1


def test_history_of_a_group_is_for_members_only(api):
    owner, outsider = api.user(), api.user()
    group = api.group(owner)
    r = outsider.get("/message/history", type=2, targetId=group["ID"])
    assert r.status_code == 403 and r.json()["Code"] == -1
    r = owner.get("/message/history", type=2, targetId=group["ID"])
    assert r.status_code == 200 and r.json()["Rows"] == []


@pytest.mark.parametrize(
    "path,params",
    [
        ("/message/history", {"type": "x", "targetId": 1}),
        ("/message/history", {"type": 3, "targetId": 1}),
        ("/message/history", {"type": 1}),
        ("/message/history", {"type": 1, "targetId": 1, "limit": 500}),
        ("/message/sync", {"since": "abc"}),
        ("/message/sync", {"since": -1}),
    ],
)
def test_history_routes_reject_bad_parameters(api, path, params):
    a = api.user()
    r = a.get(path, **params)
    assert r.status_code == 400
    assert r.json()["Code"] == -1 and r.json()["Msg"]


def test_redis_msg_rejects_bad_parameters(api):
    a = api.user()
    assert a.post("/user/redisMsg", userIdA="abc", userIdB=1).status_code == 400
    assert a.post("/user/redisMsg", userIdB=1).status_code == 400
    assert a.post("/user/redisMsg", userIdA=a.id, userIdB=1, start=5, end=2).status_code == 400
    assert a.post("/user/redisMsg", userIdA=a.id, userIdB=1, isRev="maybe").status_code == 400


def test_history_needs_login(server):
    r = requests.get(server.url + "/message/sync", timeout=5)
    assert r.status_code == 401 and r.json()["Code"] == -1


def test_a_heartbeat_with_echo_is_answered_and_one_without_is_not(pair):
    """Issue 27: the browser sends {"Type": 3, "Echo": n} and shows
    "Reconnecting…" when no answer comes within seconds; a plain heartbeat
    still gets nothing back (API.md)."""
    a, b = pair
    ws = a.ws()
    ws.send(Type=3)
    assert ws.quiet(0.3) == []
    ws.send(Type=3, Echo=41)
    assert ws.recv() == {"Type": 3, "Echo": 41}
    ws.send(Type=3, Echo="nope")
    err = ws.recv()
    assert err["Type"] == -1 and err["Code"] == 400 and "Echo" in err["Msg"]
    ws.send(Type=1, TargetId=b.id, Content="still open", ClientMsgId="e-1")
    assert ws.messages(1)[0]["Content"] == "still open"
