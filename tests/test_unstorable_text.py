"""Text that cannot be stored (issue 13, item 3): a lone UTF-16 surrogate
(the JSON escape "\\ud800") has no UTF-8 form, so no database takes it. It is
a 400 naming the field on every HTTP route and page form, and a 400 error
frame naming the field on the WebSocket, refused while parsing. And a batch
the database refuses because of one message fails only that message: one
user can never fail another user's send."""

import json

import pytest
import requests
from test_http_pages import csrf_of

from helpers import PASSWORD, Api, unique_name, wait_for
from http_checks import answer, error, listing

from ginchat.models.message import PRIVATE, TEXT
from ginchat.models.new_message import NewMessage

BAD = "ok\ud800"  # json.dumps writes it as the escape "ok\ud800"


def spec_params(server):
    """(method, path, parameter name) of every body and query parameter in the
    Swagger spec (path parameters cannot carry a surrogate)."""
    spec = requests.get(server.url + "/swagger/apispec.json", timeout=10).json()
    found = []
    for path, ops in spec["paths"].items():
        if "{" in path:
            continue
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if param.get("in") in ("formData", "query") and param.get("type") != "file":
                    found.append((method.upper(), path, param["name"]))
    return found


def test_every_route_answers_400_naming_the_field(api, server, server_errors):
    me, friend = api.user("sur"), api.user("sur")
    group = api.group(me, friend)
    params = spec_params(server)
    assert len(params) > 40 and ("POST", "/user/findUserByNameAndPwd", "name") in params
    wrong = []
    for method, path, name in params:
        # Every other parameter valid, so nothing but the surrogate can fail.
        body = {
            "targetId": friend.id,
            "userId": friend.id,
            "comId": group["ID"],
            "password": PASSWORD,
            "name": unique_name("n"),
            "type": 1,
            "requestId": 1,
            "accept": "false",
            name: BAD,
        }
        r = requests.request(method, server.url + path, json=body, headers=me.auth, timeout=10)
        if r.status_code != 400 or name.lower() not in r.json()["Msg"].lower():
            wrong.append((method, path, name, r.status_code, r.text[:160]))
    assert wrong == []
    assert server_errors() == []
    answer(me.post("/contact/loadcommunity"), 200)  # the token still works: nothing ran


def test_nested_values_keys_and_other_encodings(api, server, server_errors):
    me = api.user("sur")
    url = server.url + "/contact/createCommunity"
    error(requests.post(url, json={"name": "fine", "desc": [BAD]}, headers=me.auth, timeout=10), 400, "desc")
    error(requests.post(url, json={"name": "fine", "x\udc00": 1}, headers=me.auth, timeout=10), 400)
    # Escapes that form a pair are one real character: stored and read back.
    pair = "grin \U0001f600"
    r = requests.post(
        url,
        data=json.dumps({"name": unique_name("g"), "desc": pair}),
        headers=dict(me.auth, **{"Content-Type": "application/json"}),
        timeout=10,
    )
    assert answer(r, 201)["Data"]["Desc"] == pair
    # Forms and query strings decode their bytes as UTF-8, so the bytes of a
    # surrogate become U+FFFD: text like any other, never a 500.
    r = requests.post(
        url,
        data=b"name=g%ED%A0%80x",
        headers=dict(me.auth, **{"Content-Type": "application/x-www-form-urlencoded"}),
        timeout=10,
    )
    assert r.status_code in (201, 400), r.text
    r = requests.get(server.url + "/message/history?type=1&targetId=%ED%A0%80", headers=me.auth, timeout=10)
    assert r.status_code == 400
    assert server_errors() == []


def test_page_forms_answer_400_too(api, server, server_errors):
    """Flask-WTF also reads JSON bodies: the page forms get the same check."""
    session = requests.Session()
    token = csrf_of(session.get(server.url + "/toRegister", timeout=10).text)
    for path, fields in (
        ("/toRegister", {"name": BAD, "password": PASSWORD, "Identity": PASSWORD}),
        ("/", {"name": BAD, "password": PASSWORD}),
    ):
        r = session.post(
            server.url + path,
            json=dict(fields, csrf_token=token),
            headers={"X-CSRFToken": token},
            timeout=10,
            allow_redirects=False,
        )
        assert r.status_code == 400 and "name" in r.text, (path, r.status_code, r.text[:300])
    me = api.user("page")
    r = session.post(
        server.url + "/",
        data={"name": me.name, "password": PASSWORD, "csrf_token": token},
        timeout=10,
        allow_redirects=False,
    )
    assert r.status_code in (302, 303)
    token = csrf_of(session.get(server.url + "/toChat", timeout=10).text)
    for path, field in (
        ("/toChat/addFriend", "targetName"),
        ("/toChat/createGroup", "name"),
        ("/toChat/createGroup", "desc"),
        ("/toChat/joinGroup", "comId"),
    ):
        fields = {"name": unique_name("g"), field: BAD, "csrf_token": token}
        r = session.post(
            server.url + path, json=fields, headers={"X-CSRFToken": token}, timeout=10, allow_redirects=False
        )
        assert r.status_code == 400 and field in r.text, (path, r.status_code, r.text[:300])
    assert server_errors() == []


# --- the WebSocket ----------------------------------------------------------------------------
def test_a_frame_with_a_surrogate_gets_an_error_frame_naming_the_field(api, server_errors):
    a, b = api.user("wss"), api.user("wss")
    api.befriend(a, b)
    wa = a.ws()
    frames = [
        ("Content", {"Type": 1, "TargetId": b.id, "Content": BAD}),
        ("Content", {"Type": 2, "TargetId": 1, "Content": "\udfff"}),
        ("Url", {"Type": 1, "TargetId": b.id, "Media": 4, "Url": "/uploads/" + BAD}),
        ("TargetId", {"Type": 1, "TargetId": BAD, "Content": "hi"}),
        ("Note", {"Type": 1, "TargetId": b.id, "Content": "hi", "Note": {"deep": [BAD]}}),
        ("TargetId", {"Type": 10, "ChatType": 1, "TargetId": BAD}),
        ("TargetId", {"Type": 11, "TargetId": BAD}),
        ("Id", {"Type": 13, "Id": BAD}),
    ]
    for i, (field, frame) in enumerate(frames):
        frame["ClientMsgId"] = f"sur-{i}"
        wa.send_raw(json.dumps(frame))
        err = wa.recv()
        assert err["Type"] == -1 and err["Code"] == 400 and err["ClientMsgId"] == f"sur-{i}", (frame, err)
        assert field.lower() in err["Msg"].lower(), (frame, err)
    wa.send_raw(json.dumps({"Type": 1, "TargetId": b.id, "Content": "x", "ClientMsgId": BAD}))
    assert "clientmsgid" in wa.recv()["Msg"].lower()
    # NUL cannot be stored in PostgreSQL text: refused alike on every database.
    wa.send(Type=1, TargetId=b.id, Content="a\x00b", ClientMsgId="nul")
    err = wa.recv()
    assert err["Code"] == 400 and "Content" in err["Msg"] and err["ClientMsgId"] == "nul"
    # The connection stays open.
    wa.send(Type=1, TargetId=b.id, Content="still here", ClientMsgId="after")
    assert wa.messages(1)[0]["ClientMsgId"] == "after"
    assert server_errors() == []


def _chat_while(sender, receiver, disturb, count=200):
    """``sender`` sends ``count`` messages to ``receiver`` while ``disturb()``
    runs between them; returns the sender's answers by ClientMsgId."""
    ws = sender.ws()
    for i in range(count):
        ws.send(Type=1, TargetId=receiver.id, Content=f"m{i}", ClientMsgId=f"good-{i}")
        if i % 20 == 0:
            disturb(i)
    answers = {}
    while len(answers) < count:
        frame = ws.recv(timeout=20)
        if str(frame.get("ClientMsgId", "")).startswith("good-"):
            answers[frame["ClientMsgId"]] = frame
    ws.close()
    return answers


def test_unstorable_frames_never_fail_another_users_messages(make_server, server_errors):
    api = Api(make_server(RATE_LIMITS="off"))
    a, b, x, y = api.user("ok"), api.user("ok"), api.user("bad"), api.user("bad")
    api.befriend(a, b)
    api.befriend(x, y)
    wx = x.ws()

    def disturb(i):
        wx.send_raw(json.dumps({"Type": 1, "TargetId": y.id, "Content": f"bad {i} \ud800", "ClientMsgId": f"bad-{i}"}))

    answers = _chat_while(a, b, disturb)
    assert [f for f in answers.values() if f["Type"] == -1] == []
    assert len({f["Id"] for f in answers.values()}) == 200
    refused = [wx.recv() for _ in range(10)]
    assert {(f["Code"], f["ClientMsgId"]) for f in refused} == {(400, f"bad-{i}") for i in range(0, 200, 20)}
    assert server_errors() == []


@pytest.mark.parametrize("content", [None, "sneaked past the parser \ud800"], ids=["null", "surrogate"])
def test_a_message_the_database_refuses_fails_alone_in_its_batch(api, server, content):
    """Straight into the store queue, beside 50 good messages of another user:
    the database refuses it (NOT NULL, or text it cannot encode) and the
    batch is stored without it."""
    a, b, x, y = api.user("ok"), api.user("ok"), api.user("bad"), api.user("bad")
    api.befriend(a, b)
    api.befriend(x, y)
    wa, wx = a.ws(), x.ws()
    engine = server.engine
    assert wait_for(lambda: a.id in engine.client_map and x.id in engine.client_map)
    node_a = next(iter(engine.client_map[a.id]))
    node_x = next(iter(engine.client_map[x.id]))

    def item(conn, sender, target, text, cmid):
        return NewMessage(
            user_id=sender, type=PRIVATE, target_id=target, media=TEXT, content=text, client_msg_id=cmid, conn=conn
        )

    good = [item(node_a, a.id, b.id, f"good {i}", f"good-{i}") for i in range(50)]
    bad = item(node_x, x.id, y.id, content, "refused")
    # No greenlet switch while queueing: the store loop takes all 51 as one batch.
    for item in good[:20] + [bad] + good[20:]:
        engine.store.queue.put(item)
    acks = wa.messages(50)
    assert [f["ClientMsgId"] for f in acks] == [f"good-{i}" for i in range(50)]
    err = wx.recv()
    assert err["Type"] == -1 and err["Code"] == 400 and err["ClientMsgId"] == "refused", err
    stored = listing(b.get("/message/sync", since=0, limit=1000))["Rows"]
    assert {r["ClientMsgId"] for r in stored if r["UserId"] == a.id} == {f"good-{i}" for i in range(50)}
    assert listing(y.get("/message/sync", since=0))["Rows"] == []
    wa.close()
    wx.close()
