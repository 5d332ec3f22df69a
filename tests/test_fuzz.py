"""Fuzzing: the HTTP API from its own Swagger spec (schemathesis), and the
WebSocket protocol with random and mutated frames (hypothesis). Neither may
get a 500, an unhandled exception in the log, or disturb other users' chat."""

import json
import os
import subprocess
import sys

import gevent
import pytest
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import Api

pytestmark = pytest.mark.slow  # property-based fuzzing of every route and the socket


SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
CHECKS = ",".join(
    [
        "not_a_server_error",  # no 5xx
        "status_code_conformance",  # every status is documented
        "content_type_conformance",
        "response_schema_conformance",  # the envelope and the objects in it
        "response_headers_conformance",
        "unsupported_method",  # 405 with Allow for what a route does not take
        "use_after_free",
        "ignored_auth",  # a route that needs a login refuses a request without one
    ]
)


def schemathesis(server, token, *extra):
    cmd = [
        SCHEMATHESIS,
        "run",
        server.url + "/swagger/apispec.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        os.environ.get("GINCHAT_FUZZ_EXAMPLES", "5"),
        "--seed",
        "8",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "20",
        *extra,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout[-12000:] + proc.stderr[-3000:]


def test_the_http_api_keeps_to_its_swagger_spec(make_server, server_errors):
    # Limits off: thousands of generated logins and registrations from one address.
    server = make_server(RATE_LIMITS="off")
    api = Api(server)
    # The first account of an empty database is its administrator; the fuzzer is
    # a plain member, so it cannot close registration on the users made below.
    api.user("admin")
    user = api.user("fuzz")
    code, report = schemathesis(
        server, user.token, "--exclude-path", "/user/logout", "--exclude-path", "/user/deleteUser"
    )
    assert code == 0, report
    # The two that end the login, with a user of their own.
    victim = api.user("fuzz")
    code, report = schemathesis(
        server,
        victim.token,
        "--include-path",
        "/user/logout",
        "--include-path",
        "/user/deleteUser",
        "--phases",
        "coverage,fuzzing",
    )
    assert code == 0, report
    assert server_errors() == []


# --- the WebSocket -------------------------------------------------------------------------
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
KEYS = [
    "Type",
    "TargetId",
    "Media",
    "Content",
    "Url",
    "Amount",
    "ClientMsgId",
    "UserId",
    "type",
    "targetId",
    "TARGETID",
    "media",
    "content",
    "url",
    "amount",
    "userId",
    "clientmsgid",
]
SMALL = st.sampled_from(
    [
        0,
        1,
        2,
        3,
        4,
        5,
        -1,
        2**31 - 1,
        2**31,
        2**63,
        -(2**63),
        10**400,
        1.5,
        1e308,
        "1",
        "２",
        "١",
        " 1 ",
        "",
        True,
        None,
        [],
        {},
    ]
)


def mutated(target):
    """A valid private message to ``target`` with some fields replaced,
    removed, added, or of the wrong type."""
    base = {"Type": 1, "TargetId": target, "Media": 1, "Content": "fuzz", "Url": "", "Amount": 0}
    return st.fixed_dictionaries({}).flatmap(
        lambda _: st.builds(
            _mutate,
            st.just(base),
            st.dictionaries(st.sampled_from(KEYS), SMALL | JSON, max_size=4),
            st.lists(st.sampled_from(list(base)), max_size=3),
        )
    )


def _mutate(base, changes, removed):
    frame = dict(base)
    for key in removed:
        frame.pop(key, None)
    frame.update(changes)
    return frame


def deep(depth, kind):
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


def frames(target):
    as_text = st.one_of(
        st.text(max_size=200),
        JSON.map(lambda v: json.dumps(v, allow_nan=True)),
        mutated(target).map(lambda f: json.dumps(f, allow_nan=True)),
        st.builds(deep, st.integers(min_value=1, max_value=30000), st.sampled_from(["list", "dict"])),
        st.integers(min_value=-(10**60), max_value=10**60).map(lambda n: f'{{"Type": 1, "TargetId": {n}}}'),
        st.just('{"Type": 1e999, "TargetId": -1e999}'),
        st.just('{"Type": 1, "TargetId": 1' + "0" * 5000 + "}"),
    )
    return st.one_of(
        as_text.map(lambda t: ("text", t.encode("utf-8", "surrogatepass"))),
        st.binary(max_size=200).map(lambda b: ("binary", b)),
        # Raw bytes as a text frame: mostly broken UTF-8.
        st.binary(min_size=1, max_size=50).map(lambda b: ("text", b"\xff" + b + b"\xc3")),
    )


def valid_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_websocket_fuzz_gets_error_frames_and_others_keep_chatting(make_server, server_errors):
    server = make_server(RATE_LIMITS="off")
    api = Api(server)
    fuzzer, friend, c, d = (api.user("wf") for _ in range(4))
    api.befriend(fuzzer, friend)
    api.befriend(c, d)
    wd = d.ws()
    wc = c.ws()
    state = {"conn": fuzzer.ws(), "sent": 0, "probes": 0, "closed": 0}
    chatting = {"on": True, "sent": 0}

    def background_chat():  # c keeps writing to d the whole time
        while chatting["on"]:
            wc.send(Type=1, TargetId=d.id, Content=f"bg{chatting['sent']}")
            chatting["sent"] += 1
            gevent.sleep(0.02)  # pace the background chat: it runs for as long as the fuzzing does

    bg = gevent.spawn(background_chat)

    @settings(
        max_examples=int(os.environ.get("GINCHAT_FUZZ_EXAMPLES", "5")) * 40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(frames(friend.id))
    def one_frame(frame):
        kind, data = frame
        conn = state["conn"]
        opcode = websocket.ABNF.OPCODE_TEXT if kind == "text" else websocket.ABNF.OPCODE_BINARY
        state["sent"] += 1
        state["probes"] += 1
        cmid = f"probe-{state['probes']}"
        closed = False
        try:
            conn.conn.send(data, opcode)
            # A probe after each frame: everything before its answer answers the frame.
            conn.send(Type=1, TargetId=friend.id, Content="probe", ClientMsgId=cmid)
            conn.conn.settimeout(10)
            while True:
                raw = conn.conn.recv()
                if not raw:  # the close frame
                    closed = True
                    break
                answer = json.loads(raw)
                if answer.get("ClientMsgId") == cmid and answer.get("Type") == 1:
                    break
                assert answer.get("Type") in (-1, 1), answer
                if answer["Type"] == -1:
                    assert 400 <= answer["Code"] < 500, (data[:200], answer)
                    assert isinstance(answer["Msg"], str) and answer["Msg"]
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            closed = True
        if closed:
            # Only what breaks the protocol itself closes the connection:
            # invalid UTF-8 in a text frame (RFC 6455: 1007). Reconnect.
            assert kind == "text" and not valid_utf8(data), data[:200]
            state["closed"] += 1
            state["conn"] = fuzzer.ws()

    try:
        one_frame()
    finally:
        chatting["on"] = False
    bg.join(timeout=10)
    got = wd.messages(chatting["sent"], timeout=30)
    assert [m["Content"] for m in got] == [f"bg{i}" for i in range(chatting["sent"])]
    assert state["sent"] >= 50 and state["closed"] >= 1, state
    assert fuzzer.id in server.engine.client_map and c.id in server.engine.client_map
    assert server_errors() == []
    for conn in (state["conn"], wc, wd):
        conn.close()
