"""Calls (issue 29) on one real server: who may call whom, ringing on every
device of the callee, the first accept wins, busy, decline, the ring
timeout, the signal relay to exactly one connection, a lost connection and
its rejoin grace, the group call's limit, and the call's record (Media 7)
with its changes replayed by ``since``. Every bad input is an error frame
that changes nothing. Two nodes: tests/test_calls_multinode.py."""

import json

import gevent
import pytest

from helpers import Api, until
from http_checks import answer

RING = 4.0  # CALL_RING_SECONDS here: the timeouts run within the test (a loaded machine needs a few seconds to answer)
REJOIN = 2.0
SIGNAL_RATE, SIGNAL_BURST = 5, 40


@pytest.fixture(scope="module")
def call_server(make_server):
    return make_server(
        CALL_RING_SECONDS=RING,
        CALL_REJOIN_SECONDS=REJOIN,
        CALL_SWEEP_SECONDS=0.25,
        # Low, so that the limit shows whatever the machine's pace.
        CALL_SIGNALS_PER_SECOND=SIGNAL_RATE,
        CALL_SIGNAL_BURST=SIGNAL_BURST,
    )


@pytest.fixture
def capi(call_server):
    return Api(call_server)


def hello(ws):
    """Type 33: this connection's Conn, and the calls that concern its user."""
    ws.send(Type=33)
    return until(ws, lambda f: f.get("Type") == 33)


def state(ws, call_id=None, pred=lambda f: True, timeout=10):
    return until(
        ws,
        lambda f: f.get("Type") == 30 and (call_id is None or f["CallId"] == call_id) and pred(f),
        timeout=timeout,
    )


def err(ws, cmid=None, timeout=10):
    return until(ws, lambda f: f.get("Type") == -1 and (cmid is None or f.get("ClientMsgId") == cmid), timeout)


def gather(ws, *preds, timeout=10):
    """The first frame matching each predicate, whatever their order (others skipped)."""
    found = [None] * len(preds)
    while None in found:
        frame = until(ws, lambda f: any(p(f) for n, p in enumerate(preds) if found[n] is None), timeout)
        for n, p in enumerate(preds):
            if found[n] is None and p(frame):
                found[n] = frame
                break
    return found


def is_record(f):
    return f.get("Type") in (1, 2) and f.get("Media") == 7


def is_state(f):
    return f.get("Type") == 30


def record_of(frame):
    assert frame["Media"] == 7
    return json.loads(frame["Content"])


def change(ws, msg_id, want_state, timeout=10):
    """The record's Type 15 change that brings it to ``want_state``."""
    return until(
        ws,
        lambda f: f.get("Type") == 15 and f["MsgId"] == msg_id and json.loads(f["Content"])["State"] == want_state,
        timeout,
    )


def test_private_call_rings_every_device_first_accept_wins_signals_and_record(capi):
    a, b, c = capi.user("ca"), capi.user("cb"), capi.user("cc")
    wa, wb1, wb2, wc = a.ws(), b.ws(), b.ws(), c.ws()
    ca, cb1, cb2 = hello(wa)["Conn"], hello(wb1)["Conn"], hello(wb2)["Conn"]
    assert len({ca, cb1, cb2}) == 3
    hello(wc)

    wa.send(Type=30, ChatType=1, TargetId=b.id, Video=True, ClientMsgId="call-1")
    ringing, msg_a = gather(wa, is_state, is_record)
    assert ringing["State"] == "ringing" and ringing["ClientMsgId"] == "call-1"
    assert ringing["CallerId"] == a.id and ringing["TargetId"] == b.id and ringing["Video"] is True
    assert ringing["Participants"] == [{"UserId": a.id, "Conn": ca}]
    assert 0 < ringing["RingMs"] <= RING * 1000 and ringing["MsgId"] > 0
    call_id = ringing["CallId"]
    records = [msg_a]
    for ws in (wb1, wb2):  # every device of the callee rings
        got, msg = gather(ws, is_state, is_record)
        records.append(msg)
        assert got["State"] == "ringing" and got["MsgId"] == ringing["MsgId"] and got["CallId"] == call_id
    # The record: a message of the conversation from the caller.
    for msg in records:
        assert msg["Id"] == ringing["MsgId"] and msg["UserId"] == a.id and msg["TargetId"] == b.id
        assert record_of(msg) == {"CallId": call_id, "Video": True, "State": "ringing", "Reason": "", "Duration": 0}
    # Nobody outside the conversation hears of it; the hello lists it for the callee.
    assert [f for f in wc.quiet(0.3) if f.get("Type") in (30, 1)] == []
    assert [f["CallId"] for f in hello(wb2)["Calls"]] == [call_id]
    assert hello(wc)["Calls"] == []

    # The first accept wins; every device learns it (the others stop ringing).
    wb1.send(Type=31, CallId=call_id, Action="accept")
    for ws in (wa, wb1, wb2):
        active = state(ws, call_id, lambda f: f["State"] == "active")
        assert active["Participants"] == [{"UserId": a.id, "Conn": ca}, {"UserId": b.id, "Conn": cb1}]
        assert active["AnswerTime"] >= active["StartTime"]
    wb2.send(Type=31, CallId=call_id, Action="accept", ClientMsgId="late")
    assert err(wb2, "late")["Code"] == 409
    assert change(wa, ringing["MsgId"], "active")["Id"] > ringing["MsgId"]

    # A signal reaches exactly the one connection it names.
    offer = {"type": "offer", "sdp": "v=0 fake"}
    wa.send(Type=32, CallId=call_id, ToConn=cb1, Signal=offer)
    got = until(wb1, lambda f: f.get("Type") == 32)
    assert got == {"Type": 32, "CallId": call_id, "FromUser": a.id, "FromConn": ca, "Signal": offer}
    assert [f for f in wb2.quiet(0.3) if f.get("Type") == 32] == []
    wb1.send(Type=32, CallId=call_id, ToConn=ca, Signal={"type": "answer", "sdp": "v=0"})
    assert until(wa, lambda f: f.get("Type") == 32)["FromConn"] == cb1

    # Bad signals: each a clear error, nothing relayed.
    bad = [
        ("s1", {"CallId": call_id, "ToConn": cb2, "Signal": offer}, 404),  # a conn not in the call
        ("s2", {"CallId": "feedfacefeedface", "ToConn": cb1, "Signal": offer}, 404),  # unknown call
        ("s3", {"CallId": call_id, "ToConn": cb1, "Signal": {"sdp": "x" * 17000}}, 413),
        ("s4", {"CallId": call_id, "ToConn": cb1, "Signal": offer, "FromUser": b.id}, 400),  # forged
        ("s5", {"CallId": call_id, "ToConn": cb1, "Signal": "text"}, 400),
        ("s6", {"CallId": call_id, "ToConn": ca, "Signal": offer}, 400),  # to oneself
        ("s7", {"CallId": call_id, "Signal": offer}, 400),
    ]
    for cmid, frame, code in bad:
        wa.send(Type=32, ClientMsgId=cmid, **frame)
        assert err(wa, cmid)["Code"] == code, cmid
    wb2.send(Type=32, CallId=call_id, ToConn=ca, Signal=offer, ClientMsgId="s8")  # not b's conn in the call
    assert err(wb2, "s8")["Code"] == 403
    wc.send(Type=32, CallId=call_id, ToConn=ca, Signal=offer, ClientMsgId="s9")  # not in the conversation
    assert err(wc, "s9")["Code"] == 404
    wc.send(Type=31, CallId=call_id, Action="hangup", ClientMsgId="h9")
    assert err(wc, "h9")["Code"] == 404
    assert [f for f in wb1.quiet(0.3) if f.get("Type") == 32] == []

    # Busy: a third person calling either of them gets "busy", at once.
    wc.send(Type=30, ChatType=1, TargetId=b.id, ClientMsgId="busy-1")
    busy = state(wc, pred=lambda f: f.get("ClientMsgId") == "busy-1")
    assert busy["State"] == "ended" and busy["Reason"] == "busy"
    assert [f for f in wb2.quiet(0.3) if f.get("Type") == 30] == [], "the busy callee's devices do not ring"
    # And the caller in a call cannot start another.
    wa.send(Type=30, ChatType=1, TargetId=c.id, ClientMsgId="busy-2")
    assert err(wa, "busy-2")["Code"] == 409

    # Hang up: ended for all, the record ends with its duration, replayed once by since.
    wb1.send(Type=31, CallId=call_id, Action="hangup")
    for ws in (wa, wb1, wb2):
        ended = state(ws, call_id, lambda f: f["State"] == "ended")
        assert ended["Reason"] == "hangup" and ended["EndTime"] >= ended["AnswerTime"]
    final = change(wb1, ringing["MsgId"], "ended")
    assert json.loads(final["Content"])["Reason"] == "hangup"
    replayed = [f for f in b.ws(since=ringing["MsgId"]).quiet(0.8) if f.get("MsgId") == ringing["MsgId"]]
    assert replayed == [final], "since replays the final state, once"
    wa.send(Type=31, CallId=call_id, Action="hangup", ClientMsgId="h10")
    assert err(wa, "h10")["Code"] == 409
    # The record counts as unread for the callee, like a message from the caller.
    rows = answer(b.post("/searchFriends", chats="true"), 200)
    row = [r for r in rows["Rows"] if r["ID"] == a.id][0]
    assert row["Unread"] >= 1


def test_decline_missed_cancelled_and_who_may_call(capi):
    a, b, c = capi.user("da"), capi.user("db"), capi.user("dc")
    wa, wb = a.ws(), b.ws()
    hello(wa), hello(wb)

    # Decline.
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb)["CallId"]
    wa.send(Type=31, CallId=call_id, Action="decline", ClientMsgId="own")  # the caller's own call: hang up
    assert err(wa, "own")["Code"] == 409
    wb.send(Type=31, CallId=call_id, Action="decline")
    ended = state(wa, call_id, lambda f: f["State"] == "ended")
    assert ended["Reason"] == "declined"
    msg_id = ended["MsgId"]
    assert json.loads(change(wb, msg_id, "ended")["Content"])["Reason"] == "declined"

    # No answer within CALL_RING_SECONDS: missed, by the sweep.
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb, pred=lambda f: f["State"] == "ringing")["CallId"]
    missed = state(wb, call_id, lambda f: f["State"] == "ended", timeout=RING + 8)
    assert missed["Reason"] == "missed"
    assert json.loads(change(wa, missed["MsgId"], "ended")["Content"]) == {
        "CallId": call_id,
        "Video": False,
        "State": "ended",
        "Reason": "missed",
        "Duration": 0,
    }

    # The caller hangs up before an answer: cancelled.
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb, pred=lambda f: f["State"] == "ringing")["CallId"]
    wa.send(Type=31, CallId=call_id, Action="hangup")
    assert state(wb, call_id, lambda f: f["State"] == "ended")["Reason"] == "cancelled"

    # Bad frames: clear errors.
    for cmid, frame, code in [
        ("b1", {"Type": 30, "ChatType": 3, "TargetId": b.id}, 400),
        ("b2", {"Type": 30, "ChatType": 1}, 400),
        ("b3", {"Type": 30, "ChatType": 1, "TargetId": b.id, "Video": "yes"}, 400),
        ("b4", {"Type": 30, "ChatType": 1, "TargetId": a.id}, 403),  # oneself
        ("b5", {"Type": 30, "ChatType": 1, "TargetId": 2**31 - 2}, 404),  # no account
        ("b6", {"Type": 31, "CallId": call_id, "Action": "dance"}, 400),
        ("b7", {"Type": 31, "CallId": "not an id!", "Action": "hangup"}, 400),
        ("b8", {"Type": 31, "CallId": "0123456789abcdef", "Action": "accept"}, 404),
    ]:
        wa.send(ClientMsgId=cmid, **frame)
        assert err(wa, cmid)["Code"] == code, cmid

    # Blocked either way: refused, nothing rings.
    wc = c.ws()
    hello(wc)
    answer(c.post("/contact/block", targetId=a.id), 200)
    wa.send(Type=30, ChatType=1, TargetId=c.id, ClientMsgId="blk1")
    assert err(wa, "blk1")["Code"] == 403
    wc.send(Type=30, ChatType=1, TargetId=a.id, ClientMsgId="blk2")
    assert err(wc, "blk2")["Code"] == 403
    assert [f for f in wc.quiet(0.3) if f.get("Type") == 30] == []
    assert hello(wa)["Calls"] == []


def test_group_call_join_limit_decline_and_last_leaves(capi, call_server):
    owner = capi.user("go")
    members = [capi.user("gm") for _ in range(6)]
    outsider = capi.user("gx")
    gid = capi.group(owner, *members)["ID"]
    socks = {u.id: u.ws() for u in [owner, *members, outsider]}
    conns = {uid: hello(ws)["Conn"] for uid, ws in socks.items()}
    wo = socks[owner.id]

    # A non-member cannot start or join.
    socks[outsider.id].send(Type=30, ChatType=2, TargetId=gid, ClientMsgId="nm")
    assert err(socks[outsider.id], "nm")["Code"] == 403

    wo.send(Type=30, ChatType=2, TargetId=gid, Video=False)
    ringing = state(wo)
    call_id = ringing["CallId"]
    for m in members:  # every member rings
        assert state(socks[m.id], call_id)["State"] == "ringing"
    socks[outsider.id].send(Type=31, CallId=call_id, Action="join", ClientMsgId="nm2")
    assert err(socks[outsider.id], "nm2")["Code"] == 404
    assert [f for f in socks[outsider.id].quiet(0.2) if f.get("Type") == 30] == []

    # The hello of a member lists the running call (the header's "join").
    assert [f["CallId"] for f in hello(socks[members[5].id])["Calls"]] == [call_id]
    assert hello(socks[outsider.id])["Calls"] == []
    # One declines: their devices stop ringing (Declined), the call goes on.
    socks[members[5].id].send(Type=31, CallId=call_id, Action="decline")
    got = state(wo, call_id, lambda f: f["Declined"] == [members[5].id])
    assert got["State"] == "ringing"
    # Four join: active, five in it; a member starting a call joins the running one.
    for m in members[:3]:
        socks[m.id].send(Type=31, CallId=call_id, Action="join")
    socks[members[3].id].send(Type=30, ChatType=2, TargetId=gid)
    full = state(wo, call_id, lambda f: len(f["Participants"]) == 5)
    assert full["State"] == "active"
    assert {p["Conn"] for p in full["Participants"]} == {conns[u.id] for u in [owner, *members[:4]]}
    # The sixth joins; a seventh is one too many (CALL_MAX_PEERS 6) — members[5] declined and may still join.
    socks[members[4].id].send(Type=31, CallId=call_id, Action="join")
    state(wo, call_id, lambda f: len(f["Participants"]) == 6)
    socks[members[5].id].send(Type=31, CallId=call_id, Action="join", ClientMsgId="seventh")
    assert err(socks[members[5].id], "seventh")["Code"] == 409

    # Signals in the mesh: between two members, to that one connection only.
    socks[members[0].id].send(Type=32, CallId=call_id, ToConn=conns[members[1].id], Signal={"candidate": "c"})
    got = until(socks[members[1].id], lambda f: f.get("Type") == 32)
    assert got["FromUser"] == members[0].id
    for m in (owner, members[2]):
        assert [f for f in socks[m.id].quiet(0.2) if f.get("Type") == 32] == []

    # Leaving: the call goes on until its last participant leaves.
    for u in [owner, *members[:4]]:
        socks[u.id].send(Type=31, CallId=call_id, Action="hangup")
    last = state(socks[members[4].id], call_id, lambda f: f["AnswerTime"] and len(f["Participants"]) == 1)
    assert last["State"] == "active" and last["Participants"][0]["UserId"] == members[4].id
    socks[members[4].id].send(Type=31, CallId=call_id, Action="hangup")
    ended = state(socks[members[5].id], call_id, lambda f: f["State"] == "ended")
    assert ended["Reason"] == "hangup"

    # Everyone else declines a new call: it ends, declined.
    wo.send(Type=30, ChatType=2, TargetId=gid)
    call_id = state(wo, pred=lambda f: f["State"] == "ringing")["CallId"]
    for m in members:
        socks[m.id].send(Type=31, CallId=call_id, Action="decline")
    assert state(wo, call_id, lambda f: f["State"] == "ended")["Reason"] == "declined"

    # An announcement group: members may not start a call there.
    answer(owner.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 200)
    socks[members[0].id].send(Type=30, ChatType=2, TargetId=gid, ClientMsgId="ann")
    assert err(socks[members[0].id], "ann")["Code"] == 403
    # ...but join one the owner started, with Type 30 as with Type 31.
    wo.send(Type=30, ChatType=2, TargetId=gid)
    call_id = state(wo, pred=lambda f: f["State"] == "ringing")["CallId"]
    socks[members[0].id].send(Type=30, ChatType=2, TargetId=gid)
    joined = state(wo, call_id, lambda f: f["State"] == "active")
    assert [p["UserId"] for p in joined["Participants"]] == [owner.id, members[0].id]
    socks[members[1].id].send(Type=31, CallId=call_id, Action="join")
    state(wo, call_id, lambda f: len(f["Participants"]) == 3)


def test_lost_connection_rejoins_within_the_grace_else_its_part_ends(capi):
    a, b = capi.user("la"), capi.user("lb")
    wa, wb = a.ws(), b.ws()
    ca, cb = hello(wa)["Conn"], hello(wb)["Conn"]
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb)["CallId"]
    wb.send(Type=31, CallId=call_id, Action="accept")
    state(wa, call_id, lambda f: f["State"] == "active")

    # b's socket drops; a new one rejoins in time: the call goes on with b's new Conn.
    wb.close()
    wb2 = b.ws()
    me = hello(wb2)
    assert me["Conn"] != cb
    listed = [f for f in me["Calls"] if f["CallId"] == call_id][0]
    assert {"UserId": b.id, "Conn": cb} in listed["Participants"], "still in it, with the old Conn"
    wb2.send(Type=31, CallId=call_id, Action="rejoin")
    moved = state(wa, call_id, lambda f: {"UserId": b.id, "Conn": me["Conn"]} in f["Participants"])
    assert moved["State"] == "active"
    wa.send(Type=32, CallId=call_id, ToConn=me["Conn"], Signal={"type": "offer", "sdp": "restart"})
    assert until(wb2, lambda f: f.get("Type") == 32)["FromConn"] == ca
    # Survives well past the grace while both sockets live.
    assert [f for f in wa.quiet(REJOIN + 1) if f.get("Type") == 30] == []

    # a's socket drops and nobody comes back: after CALL_REJOIN_SECONDS the call ends.
    wa.close()
    ended = state(wb2, call_id, lambda f: f["State"] == "ended", timeout=REJOIN + 8)
    assert ended["Reason"] == "hangup"
    # A rejoin after the end is refused.
    wa2 = a.ws()
    hello(wa2)
    wa2.send(Type=31, CallId=call_id, Action="rejoin", ClientMsgId="late")
    assert err(wa2, "late")["Code"] == 409


def test_call_config_and_the_record_is_not_searched_nor_forwarded(capi, call_server):
    a, b = capi.user("fa"), capi.user("fb")
    assert capi.get("/call/config").status_code == 401
    data = answer(a.get("/call/config"), 200)["Data"]
    assert data == {"IceServers": [], "MaxPeers": 6, "RingSeconds": RING, "RejoinSeconds": REJOIN, "SignalBytes": 16384}
    wa, wb = a.ws(), b.ws()
    hello(wa)
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    ringing = state(wb)
    wa.send(Type=31, CallId=ringing["CallId"], Action="hangup")
    state(wb, ringing["CallId"], lambda f: f["State"] == "ended")
    r = a.post("/message/forward", ids=str(ringing["MsgId"]), type=1, targetId=b.id)
    assert r.status_code == 400, r.text
    r = a.get("/message/search", q="ringing")
    assert all(row.get("Media") != 7 for row in (r.json().get("Rows") or []))


@pytest.mark.parametrize(
    "value, words",
    [
        ("not json", "not valid JSON"),
        ('{"urls": "stun:x"}', "list"),
        ('[{"urls": "http://x"}]', "stun:"),
        ('[{"urls": "turn:x:3478"}]', "username and credential"),
        ('[{"url": "stun:x"}]', "unknown keys"),
    ],
)
def test_bad_ice_servers_stop_the_start(make_app, value, words):
    with pytest.raises(SystemExit) as exc:
        make_app(ICE_SERVERS=value)
    assert words in str(exc.value)


def test_ice_servers_are_served(make_server):
    servers = [{"urls": ["stun:stun.lan:3478"]}, {"urls": "turn:turn.lan:3478", "username": "u", "credential": "p"}]
    server = make_server(ICE_SERVERS=json.dumps(servers))
    api = Api(server)
    user = api.user("ice")
    assert answer(user.get("/call/config"), 200)["Data"]["IceServers"] == servers


def test_under_direct_messages_friends_only_friends_call(friends_api):
    a, b, c = friends_api.user("fa"), friends_api.user("fb"), friends_api.user("fc")
    friends_api.befriend(a, b)
    wa, wb, wc = a.ws(), b.ws(), c.ws()
    for ws in (wa, wb, wc):
        hello(ws)
    wc.send(Type=30, ChatType=1, TargetId=a.id, ClientMsgId="nf")
    assert err(wc, "nf")["Code"] == 403
    assert [f for f in wa.quiet(0.3) if f.get("Type") == 30] == []
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb)["CallId"]
    wa.send(Type=31, CallId=call_id, Action="hangup")
    assert state(wb, call_id, lambda f: f["State"] == "ended")["Reason"] == "cancelled"


def test_signals_are_rate_limited_per_connection(capi):
    a, b = capi.user("ra"), capi.user("rb")
    wa, wb = a.ws(), b.ws()
    hello(wa)
    cb = hello(wb)["Conn"]
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb)["CallId"]
    wb.send(Type=31, CallId=call_id, Action="accept")
    state(wa, call_id, lambda f: f["State"] == "active")
    for n in range(150):  # well beyond CALL_SIGNAL_BURST at once
        wa.send(Type=32, CallId=call_id, ToConn=cb, Signal={"candidate": n}, ClientMsgId=f"c{n}")
    refused = err(wa)
    assert refused["Code"] == 429 and "signals" in refused["Msg"]
    relayed = [f for f in wb.quiet(1.0) if f.get("Type") == 32]
    assert SIGNAL_BURST <= len(relayed) < 150
    assert [f["Signal"]["candidate"] for f in relayed] == sorted(f["Signal"]["candidate"] for f in relayed)
    wa.send(Type=31, CallId=call_id, Action="hangup")


def test_a_call_whose_state_vanished_still_gets_its_record_ended(capi, call_server):
    """The whole cluster died and Redis expired the call: the record must not
    stay "ringing" for ever; the next sweep of any node ends it, lost."""
    a, b = capi.user("va"), capi.user("vb")
    wa, wb = a.ws(), b.ws()
    hello(wa)
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    ringing = state(wb)
    calls = call_server.engine.calls
    calls.redis.delete(f"call:{calls.cfg['ns']}:{ringing['CallId']}")
    final = change(wb, ringing["MsgId"], "ended")
    assert json.loads(final["Content"])["Reason"] == "lost"
    # Nobody is left busy: a new call goes through.
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    assert state(wb, pred=lambda f: f["CallId"] != ringing["CallId"])["State"] == "ringing"


def test_busy_marks_live_as_long_as_the_call(capi, call_server):
    """Each sweep renews the participants' busy marks with the call's state:
    in a long call nobody becomes callable (or starts another) when they expire."""
    a, b = capi.user("ta"), capi.user("tb")
    wa, wb = a.ws(), b.ws()
    hello(wa), hello(wb)
    wa.send(Type=30, ChatType=1, TargetId=b.id)
    call_id = state(wb)["CallId"]
    wb.send(Type=31, CallId=call_id, Action="accept")
    state(wa, call_id, lambda f: f["State"] == "active")
    calls = call_server.engine.calls
    keys = [f"call_user:{calls.cfg['ns']}:{u.id}" for u in (a, b)]
    before = [calls.redis.ttl(k) for k in keys]
    gevent.sleep(3)
    after = [calls.redis.ttl(k) for k in keys]
    assert all(t >= t0 - 1 for t, t0 in zip(after, before, strict=True)), (before, after)
    wa.send(Type=31, CallId=call_id, Action="hangup")
    state(wb, call_id, lambda f: f["State"] == "ended")
    assert [calls.redis.exists(k) for k in keys] == [0, 0]
