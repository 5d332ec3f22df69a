"""JSON nested thousands of levels deep (issue 24, item 8): Python's json
module and any recursive walk of the value raise RecursionError, which
answered 500. Every route answers 400 "nested too deeply" and changes
nothing; a WebSocket frame gets its usual error frame and the connection
goes on."""

import json

import requests
from test_unstorable_text import spec_params

from helpers import PASSWORD, unique_name
from http_checks import answer, error, listing

# Deeper than json's recursion limit, just under it (parsed, then walked), and
# a little deeper than anything GinChat reads (refused all the same).
DEPTHS = (100_000, 5_000, 900, 40)


def nested(depth, inner="1"):
    return "[" * depth + inner + "]" * depth


def post_json(url, text, headers):
    return requests.post(url, data=text, headers=dict(headers, **{"Content-Type": "application/json"}), timeout=30)


def test_every_route_answers_400_to_a_deep_body(api, server, server_errors):
    me, friend = api.user("deep"), api.user("deep")
    paths = sorted({(method, path) for method, path, _ in spec_params(server) if method == "POST"})
    assert len(paths) > 30 and ("POST", "/user/createUser") in paths
    wrong = []
    for depth in DEPTHS:
        for _, path in paths:
            bodies = [
                nested(depth),  # the whole body
                '{"name": ' + nested(depth) + "}",  # one field
                f'{{"targetId": {friend.id}, "x": {{"y": {nested(depth)}}}}}',  # deeper in
            ]
            for body in bodies:
                r = post_json(server.url + path, body, me.auth)
                if r.status_code != 400 or "nested too deeply" not in r.json()["Msg"]:
                    wrong.append((depth, path, body[:30], r.status_code, r.text[:160]))
    assert wrong == []
    assert server_errors() == []
    answer(me.post("/contact/loadcommunity"), 200)  # the token still works: nothing ran


def test_pages_and_anonymous_routes_answer_400_too(api, server, server_errors):
    body = '{"name": "x", "password": ' + nested(5000) + "}"
    for path in ("/user/createUser", "/user/findUserByNameAndPwd", "/", "/toRegister"):
        r = post_json(server.url + path, body, {})
        assert r.status_code == 400 and "nested too deeply" in r.text, (path, r.status_code, r.text[:200])
    assert server_errors() == []


def test_deep_text_in_a_form_is_only_text(api, server, server_errors):
    """A form's values are strings, never parsed: "[[[[..." is a name like
    any other (too long here), never a 500."""
    me = api.user("form")
    deep = nested(5000)
    error(requests.post(server.url + "/contact/createCommunity", data={"name": deep}, headers=me.auth, timeout=30), 400)
    error(requests.post(server.url + "/user/createUser", data={"name": deep, "password": PASSWORD}, timeout=30), 400)
    name = unique_name("b")
    group = answer(me.post("/contact/createCommunity", name=name, desc=nested(100)), 201)["Data"]
    assert group["Desc"] == nested(100)
    query = {"type": 1, "targetId": nested(500)}
    error(requests.get(server.url + "/message/history", params=query, headers=me.auth, timeout=30), 400, "targetId")
    assert server_errors() == []


def test_a_deep_frame_gets_an_error_frame_and_the_socket_goes_on(api, server_errors):
    a, b = api.user("wsd"), api.user("wsd")
    api.befriend(a, b)
    wa = a.ws()
    frames = [
        nested(30_000),
        nested(5_000),
        nested(900),
        json.dumps({"Type": 1, "TargetId": b.id, "Content": "hi", "ClientMsgId": "d-1"})[:-1]
        + ', "Note": '
        + nested(900)
        + "}",
        json.dumps({"Type": 1, "TargetId": b.id, "Content": "hi", "Note": json.loads(nested(40))}),
    ]
    for text in frames:
        wa.send_raw(text)
        err = wa.recv()
        assert err["Type"] == -1 and err["Code"] == 400 and "nested too deeply" in err["Msg"], err
    wa.send(Type=1, TargetId=b.id, Content="still here", ClientMsgId="d-3")
    assert wa.messages(1)[0]["Content"] == "still here"
    history = listing(a.get("/message/history", type=1, targetId=b.id))["Rows"]
    assert [m["Content"] for m in history] == ["still here"]
    assert server_errors() == []
