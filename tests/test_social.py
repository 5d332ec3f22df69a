"""Issue 9 over HTTP and WebSocket: read cursors and unread counts, typing,
presence events, recall, friend requests and blocks, running a group."""

import pytest

from helpers import Api, frames_of, send_texts, until, ws_events
from http_checks import answer, error, listing


# --- read cursors, unread counts, ticks -------------------------------------------------
def test_unread_counts_read_frame_and_ticks(pair):
    a, b = pair
    wa, wb1, wb2 = a.ws(), b.ws(), b.ws()
    sent = send_texts(wa, b.id, ["one", "two", "three"])
    wb1.messages(3), wb2.messages(3)
    row = listing(b.post("/searchFriends"))["Rows"][0]
    assert row["Unread"] == 3 and row["LastMessage"]["Content"] == "three" and row["ReadId"] == 0
    # B reads up to the second message on one device.
    wb1.send(Type=10, ChatType=1, TargetId=a.id, Id=sent[1]["Id"])
    tick = until(wa, lambda f: f.get("Type") == 10)
    assert tick == {"Type": 10, "ChatType": 1, "UserId": b.id, "TargetId": a.id, "Id": sent[1]["Id"]}
    assert until(wb2, lambda f: f.get("Type") == 10)["Id"] == sent[1]["Id"], "my other device follows"
    assert listing(b.post("/searchFriends"))["Rows"][0]["Unread"] == 1
    assert listing(a.post("/searchFriends"))["Rows"][0]["PeerReadId"] == sent[1]["Id"]
    # Never backwards; an Id past the end stops at the last message.
    wb1.send(Type=10, ChatType=1, TargetId=a.id, Id=sent[0]["Id"])
    assert frames_of(wa, 10) == []
    body = answer(b.post("/message/read", type=1, targetId=a.id, id=10**12), 200)
    assert body["Data"] == {"Id": sent[2]["Id"]}
    assert until(wa, lambda f: f.get("Type") == 10)["Id"] == sent[2]["Id"]
    row = listing(b.post("/searchFriends"))["Rows"][0]
    assert row["Unread"] == 0 and row["ReadId"] == sent[2]["Id"]
    # My own messages are never unread for me.
    assert listing(a.post("/searchFriends"))["Rows"][0]["Unread"] == 0


def test_group_read_by_n_and_new_members_start_read(api):
    owner, m1, m2 = api.user(), api.user(), api.user()
    group = api.group(owner, m1)
    gid = group["ID"]
    wo, w1 = owner.ws(), m1.ws()
    sent = send_texts(wo, gid, ["g1", "g2"], type_=2)
    w1.messages(2)
    assert [g["Unread"] for g in listing(m1.post("/contact/loadcommunity"))["Rows"]] == [2]
    w1.send(Type=10, ChatType=2, TargetId=gid, Id=sent[1]["Id"])
    frame = until(wo, lambda f: f.get("Type") == 10)
    assert frame == {"Type": 10, "ChatType": 2, "UserId": m1.id, "TargetId": gid, "Id": sent[1]["Id"]}
    rows = listing(owner.get("/message/reads", type=2, targetId=gid))["Rows"]
    assert {r["UserId"]: r["Id"] for r in rows} == {owner.id: 0, m1.id: sent[1]["Id"]}
    # Joining later: the past is not unread.
    answer(m2.post("/contact/joinGroup", comId=gid), 200)
    mine = listing(m2.post("/contact/loadcommunity"))["Rows"][0]
    assert mine["Unread"] == 0 and mine["Role"] == "member" and mine["LastMessage"]["Content"] == "g2"
    assert listing(owner.post("/contact/loadcommunity"))["Rows"][0]["Role"] == "owner"


def test_read_state_refusals(api, pair):
    a, b = pair
    stranger = api.user()
    group = api.group(a)
    wx = stranger.ws()
    wx.send(Type=10, ChatType=2, TargetId=group["ID"], Id=1, ClientMsgId="r-1")
    err = wx.recv()
    assert err["Type"] == -1 and err["Code"] == 403 and err["ClientMsgId"] == "r-1"
    for frame in (
        {"Type": 10, "TargetId": a.id},
        {"Type": 10, "ChatType": 3, "TargetId": a.id},
        {"Type": 10, "ChatType": 1, "TargetId": "x"},
        {"Type": 10, "ChatType": 1, "TargetId": a.id, "Id": -4},
    ):
        wx.send(**frame)
        assert wx.recv()["Code"] == 400, frame
    error(stranger.get("/message/reads", type=2, targetId=group["ID"]), 403, "member")
    error(stranger.post("/message/read", type=2, targetId=group["ID"]), 403)
    error(a.post("/message/read", type=3, targetId=b.id), 400)
    error(a.post("/message/read", type=1), 400, "targetId")
    error(a.get("/message/reads", type=1, targetId=a.id), 403)


# --- typing -----------------------------------------------------------------------------
def test_typing_reaches_the_friend_coalesced_and_only_a_friend(make_server):
    # DIRECT_MESSAGES=friends: only a friend; tests/test_team.py has members.
    api = Api(make_server(TYPING_INTERVAL=30, DIRECT_MESSAGES="friends"))
    a, b, c = api.user(), api.user(), api.user()
    api.befriend(a, b)
    wa, wb, wc = a.ws(), b.ws(), c.ws()
    for _ in range(5):
        wa.send(Type=11, TargetId=b.id)
    assert frames_of(wb, 11) == [{"Type": 11, "UserId": a.id, "TargetId": b.id}]
    assert frames_of(wa, 11, 0.2) == [], "not echoed to the typist"
    wa.send(Type=11, TargetId=c.id, ClientMsgId="t-1")
    err = wa.recv()
    assert err["Code"] == 403 and err["ClientMsgId"] == "t-1"
    wa.send(Type=11, TargetId=b.id, ChatType=2)
    assert wa.recv()["Code"] == 400
    assert wc.quiet(0.2) == []


# --- presence events ------------------------------------------------------------------------
def test_presence_events_go_to_online_friends_who_asked(friends_api):
    # DIRECT_MESSAGES=friends; with members everyone sees it (tests/test_team.py).
    api = friends_api
    a, b = api.user("a"), api.user("b")
    api.befriend(a, b)
    stranger = api.user()
    watcher = ws_events(b)
    plain = b.ws()  # no ?events=1: the stream of API.md, unchanged
    other = ws_events(stranger)
    wa = a.ws()
    assert until(watcher, lambda f: f.get("Type") == 12) == {"Type": 12, "UserId": a.id, "Online": True}
    second = a.ws()  # a second tab changes nothing
    second.close()
    wa.close()
    assert until(watcher, lambda f: f.get("Type") == 12) == {"Type": 12, "UserId": a.id, "Online": False}
    assert frames_of(watcher, 12, 0.3) == []
    assert plain.quiet(0.2) == [] and other.quiet(0.2) == []


# --- recall ------------------------------------------------------------------------------------
def test_recall_removes_the_message_everywhere(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    keep, gone = send_texts(wa, b.id, ["keep", "oops"])
    wb.messages(2)
    wb.send(Type=13, Id=gone["Id"], ClientMsgId="not-yours")
    assert wb.recv() == {
        "Type": -1,
        "Code": 404,
        "Msg": f"you have no message {gone['Id']}",
        "ClientMsgId": "not-yours",
    }
    wa.send(Type=13, Id=gone["Id"])
    frame = {"Type": 13, "Id": gone["Id"], "ChatType": 1, "UserId": a.id, "TargetId": b.id}
    assert until(wb, lambda f: f.get("Type") == 13) == frame
    assert until(wa, lambda f: f.get("Type") == 13) == frame
    for user in (a, b):
        rows = listing(user.get("/message/history", type=1, targetId=a.id if user is b else b.id))["Rows"]
        assert [r["Content"] for r in rows] == ["keep", ""]
        assert rows[1]["Recalled"] is True and rows[1]["Media"] == 0 and rows[1]["Seq"] == gone["Seq"]
        synced = listing(user.get("/message/sync", since=keep["Id"]))["Rows"]
        assert synced[0]["Id"] == gone["Id"] and synced[0]["Content"] == "" and synced[0]["Recalled"]
    replayed = b.ws(since=keep["Id"]).messages(1)[0]
    assert replayed["Content"] == "" and replayed["Recalled"] is True
    assert "oops" not in a.post("/user/redisMsg", userIdA=a.id, userIdB=b.id).text
    error(a.post("/message/recall", id=gone["Id"]), 409, "already")
    assert listing(b.post("/searchFriends"))["Rows"][0]["Unread"] == 1, "a recalled message is not unread"
    # The next message still gets the next Seq.
    assert send_texts(wa, b.id, ["after"])[0]["Seq"] == gone["Seq"] + 1


def test_recall_of_a_picture_deletes_the_file_and_group_recall(api):
    from test_upload import picture, uploaded

    owner, member = api.user(), api.user()
    group = api.group(owner, member)
    url = uploaded(owner, picture("PNG"))
    wo, wm = owner.ws(), member.ws()
    wo.send(Type=2, TargetId=group["ID"], Media=4, Url=url)
    msg = wm.messages(1)[0]
    wo.messages(1)
    assert member.get(url).status_code == 200
    body = answer(owner.post("/message/recall", id=msg["Id"]), 200)
    assert body["Data"]["ChatType"] == 2 and body["Data"]["TargetId"] == group["ID"]
    assert until(wm, lambda f: f.get("Type") == 13)["Id"] == msg["Id"]
    assert member.get(url).status_code == 404


def test_recall_refusals(make_server):
    api = Api(make_server(RECALL_SECONDS=0))
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa = a.ws()
    msg = send_texts(wa, b.id, ["too late"])[0]
    wa.send(Type=13, Id=msg["Id"])
    err = wa.recv()
    assert err["Code"] == 403 and "0 seconds" in err["Msg"]
    wa.send(Type=13)
    assert wa.recv()["Code"] == 400
    wa.send(Type=13, Id="abc")
    assert wa.recv()["Code"] == 400
    error(a.post("/message/recall"), 400, "id")
    error(a.post("/message/recall", id=10**15), 404)
    error(b.post("/message/recall", id=msg["Id"]), 404)


# --- friends: requests, remove, block ---------------------------------------------------------
@pytest.fixture(scope="module")
def request_api(make_server):
    return Api(make_server(FRIEND_ADD="request"))


def test_friend_request_accept_and_decline(request_api):
    api = request_api
    a, b, c = api.user(), api.user(), api.user()
    wb = ws_events(b)
    body = answer(a.post("/contact/addfriend", targetId=b.id), 202)
    req = body["Data"]
    assert req["FromId"] == a.id and req["ToId"] == b.id and req["From"]["ID"] == a.id
    note = until(wb, lambda f: f.get("Type") == 14)
    assert note["Event"] == "friend_request" and note["UserId"] == a.id
    assert listing(a.post("/searchFriends"))["Rows"] == [], "not friends yet"
    error(a.post("/contact/requestFriend", targetId=b.id), 409, "already")
    mine = listing(b.post("/contact/friendRequests"))["Rows"]
    assert [(r["ID"], r["Direction"]) for r in mine] == [(req["ID"], "in")]
    assert listing(a.post("/contact/friendRequests"))["Rows"][0]["Direction"] == "out"
    error(a.post("/contact/answerRequest", requestId=req["ID"], accept="true"), 404, "no friend request")
    error(b.post("/contact/answerRequest", requestId=req["ID"]), 400, "accept")
    error(b.post("/contact/answerRequest", requestId=req["ID"], accept="maybe"), 400)
    answer(b.post("/contact/answerRequest", requestId=req["ID"], accept="true"), 200)
    assert [u["ID"] for u in listing(a.post("/searchFriends"))["Rows"]] == [b.id]
    assert listing(b.post("/contact/friendRequests"))["Rows"] == []
    wa = a.ws()
    wa.send(Type=1, TargetId=b.id, Content="hi friend")
    assert wb.messages(1)[0]["Content"] == "hi friend"
    # Declined: nothing changes but the request is gone.
    r2 = answer(c.post("/contact/requestFriend", targetName=b.name), 201)["Data"]
    answer(b.post("/contact/answerRequest", requestId=r2["ID"], accept="false"), 200)
    assert listing(c.post("/searchFriends"))["Rows"] == []
    # Asking someone who asked you already: friends at once.
    answer(c.post("/contact/requestFriend", targetId=a.id), 201)
    answer(a.post("/contact/requestFriend", targetId=c.id), 200)
    assert c.id in [u["ID"] for u in listing(a.post("/searchFriends"))["Rows"]]


def test_instant_add_settles_a_pending_request(api):
    """With FRIEND_ADD=instant the request route still works; adding the
    asker straight away makes friends and leaves no stale request behind."""
    a, b = api.user(), api.user()
    answer(a.post("/contact/requestFriend", targetId=b.id), 201)
    answer(b.post("/contact/addfriend", targetName=a.name), 200)
    assert [u["ID"] for u in listing(a.post("/searchFriends"))["Rows"]] == [b.id]
    for user in (a, b):
        assert listing(user.post("/contact/friendRequests"))["Rows"] == []
    error(a.post("/contact/addfriend", targetId=b.id), 409, "already")
    error(a.post("/contact/addfriend", targetId=a.id), 400, "yourself")


def test_remove_friend_and_block(friends_api):
    # DIRECT_MESSAGES=friends: a removed friend may no longer write.
    api = friends_api
    a, b = api.user("a"), api.user("b")
    api.befriend(a, b)
    wa, wb = a.ws(), b.ws()
    answer(a.post("/contact/block", targetId=b.id), 200)
    error(a.post("/contact/block", targetId=b.id), 409)
    wb.send(Type=1, TargetId=a.id, Content="let me talk", ClientMsgId="blk-1")
    err = wb.recv()
    assert err == {"Type": -1, "Code": 403, "Msg": f"user {a.id} has blocked you", "ClientMsgId": "blk-1"}
    assert [f for f in wa.quiet(0.3) if f.get("Type") == 1] == []
    wb.send(Type=11, TargetId=a.id)
    assert wb.recv()["Code"] == 403
    error(b.post("/contact/addfriend", targetId=a.id), 403, "does not accept")
    error(b.post("/contact/requestFriend", targetId=a.id), 403)
    error(a.post("/contact/addfriend", targetId=b.id), 403, "unblock")
    assert [u["ID"] for u in listing(a.post("/contact/blocked"))["Rows"]] == [b.id]
    answer(a.post("/contact/unblock", targetName=b.name), 200)
    error(a.post("/contact/unblock", targetId=b.id), 404)
    api.befriend(a, b)
    answer(b.post("/contact/removeFriend", targetId=a.id), 200)
    error(b.post("/contact/removeFriend", targetId=a.id), 404, "not your friend")
    wa.send(Type=1, TargetId=b.id, Content="still there?", ClientMsgId="rm-1")
    assert until(wa, lambda f: f.get("Type") == -1)["Code"] == 403
    # The history stays readable for both.
    assert listing(a.get("/message/history", type=1, targetId=b.id))["Total"] == 0
    for path in ("/contact/block", "/contact/unblock", "/contact/removeFriend", "/contact/requestFriend"):
        error(a.post(path), 400, "target")
        error(a.post(path, targetId="x"), 400)
        error(a.post(path, targetId=2**31 + 5), 400)
        error(a.post(path, targetName="nobody-" + "z" * 10), 404)
    error(a.post("/contact/block", targetId=a.id), 400, "yourself")


# --- running a group --------------------------------------------------------------------------------
def test_group_roles_kick_rename_transfer_quit(api):
    owner, m1, m2, outsider = api.user(), api.user(), api.user(), api.user()
    group = api.group(owner, m1, m2)
    gid = group["ID"]
    rows = listing(m1.post("/contact/groupMembers", comId=gid))["Rows"]
    assert [(r["ID"], r["Role"]) for r in rows][0] == (owner.id, "owner")
    assert {r["ID"]: r["Role"] for r in rows} == {owner.id: "owner", m1.id: "member", m2.id: "member"}
    error(outsider.post("/contact/groupMembers", comId=gid), 403)
    # Only the owner kicks, renames, hands over.
    error(m1.post("/contact/removeMember", comId=gid, userId=m2.id), 403, "owner")
    error(m1.post("/contact/updateGroup", comId=gid, name="mine now"), 403)
    error(m1.post("/contact/transferGroup", comId=gid, userId=m1.id), 403)
    error(owner.post("/contact/removeMember", comId=gid, userId=outsider.id), 404)
    error(owner.post("/contact/removeMember", comId=gid, userId=owner.id), 400)
    error(owner.post("/contact/removeMember", comId=gid), 400, "userId")
    w2, events = m2.ws(), ws_events(m1)
    answer(owner.post("/contact/removeMember", comId=gid, userId=m2.id), 200)
    note = until(events, lambda f: f.get("Type") == 14)
    assert note == {"Type": 14, "Event": "member_removed", "UserId": m2.id, "GroupId": gid, "ActorId": owner.id}
    w2.send(Type=2, TargetId=gid, Content="am I still in?", ClientMsgId="k-1")
    assert w2.recv()["Code"] == 403
    error(m2.get("/message/history", type=2, targetId=gid), 403)
    # Rename, icon, description.
    taken = api.group(outsider)
    error(owner.post("/contact/updateGroup", comId=gid, name=taken["Name"]), 409)
    error(owner.post("/contact/updateGroup", comId=gid, name="bad/name"), 400)
    error(owner.post("/contact/updateGroup", comId=gid, icon="/uploads/nothing.png"), 400)
    data = answer(owner.post("/contact/updateGroup", comId=gid, name=f"renamed {gid}", desc="new words"), 200)["Data"]
    assert data["Name"] == f"renamed {gid}" and data["Desc"] == "new words"
    assert until(events, lambda f: f.get("Type") == 14)["Event"] == "group_updated"
    # Hand over; the old owner may then leave.
    error(owner.post("/contact/quitGroup", comId=gid), 409, "hand it")
    error(owner.post("/contact/transferGroup", comId=gid, userId=m2.id), 404)
    data = answer(owner.post("/contact/transferGroup", comId=gid, userId=m1.id), 200)["Data"]
    assert data["OwnerId"] == m1.id
    error(owner.post("/contact/removeMember", comId=gid, userId=m1.id), 403)
    answer(owner.post("/contact/quitGroup", comId=gid), 200)
    error(owner.post("/contact/quitGroup", comId=gid), 403)
    assert listing(owner.post("/contact/loadcommunity"))["Rows"] == []
    # The last member (the owner) dissolves the group; its name is free again.
    answer(m1.post("/contact/quitGroup", comId=gid), 200)
    error(m1.post("/contact/groupMembers", comId=gid), 404)
    answer(m1.post("/contact/createCommunity", name=f"renamed {gid}"), 201)
