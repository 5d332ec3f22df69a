"""Closed groups: join policies (open or invite), adding friends, admins,
removed members who stay out, the newcomers' history setting on every read
path, dissolved groups that leave nothing behind; and read receipts that say
only what happened (a joiner has read nothing; a block stops receipts)."""

import json

import pytest
from sqlalchemy import func, select

from helpers import frames_of, send_texts, unique_name, until, ws_events
from http_checks import answer, error, listing
from http_checks import group as group_shape


def create(owner, **settings):
    body = answer(owner.post("/contact/createCommunity", name=unique_name("g"), **settings), 201)
    return group_shape(body["Data"])


def member_ids(user, gid):
    return {r["ID"] for r in listing(user.post("/contact/groupMembers", comId=gid))["Rows"]}


def my_group(user, gid):
    rows = [g for g in listing(user.post("/contact/loadcommunity"))["Rows"] if g["ID"] == gid]
    return rows[0] if rows else None


def contents(rows):
    return [r["Content"] for r in rows]


def group_rows(rows, gid):
    return [r for r in rows if r["Type"] == 2 and r["TargetId"] == gid]


@pytest.fixture
def owner_and_friend(api):
    owner, friend = api.user("o"), api.user("f")
    api.befriend(owner, friend)
    return owner, friend


# --- join policies --------------------------------------------------------------------------
def test_create_community_without_a_policy_keeps_the_open_groups_of_the_original(api):
    owner, stranger = api.user(), api.user()
    data = create(owner)
    assert (data["Policy"], data["History"], data["WhoMayAdd"]) == ("open", "all", "members")
    joined = answer(stranger.post("/contact/joinGroup", comId=data["Name"]), 200)["Data"]
    assert joined["ID"] == data["ID"] and joined["Members"] == 2


def test_an_invite_group_refuses_joins_by_id_and_by_name(api):
    owner, stranger = api.user(), api.user()
    data = create(owner, policy="invite", history="join", whoMayAdd="admins")
    assert (data["Policy"], data["History"], data["WhoMayAdd"]) == ("invite", "join", "admins")
    for key in (data["ID"], data["Name"]):
        body = error(stranger.post("/contact/joinGroup", comId=key), 403, "invite")
        assert str(data["ID"]) not in body["Msg"] and owner.name not in body["Msg"]
    assert member_ids(owner, data["ID"]) == {owner.id}
    assert my_group(stranger, data["ID"]) is None


def test_groups_made_in_the_page_are_invite_only_unless_opened(api):
    from test_http_pages import form_post, register_and_log_in

    name, session = register_and_log_in(api)
    closed, opened = unique_name("g"), unique_name("g")
    assert form_post(session, api.url, "/toChat/createGroup", name=closed).status_code in (302, 303)
    assert form_post(
        session, api.url, "/toChat/createGroup", name=opened, policy="open", history="join"
    ).status_code in (302, 303)
    stranger = api.user()
    error(stranger.post("/contact/joinGroup", comId=closed), 403, "invite")
    data = answer(stranger.post("/contact/joinGroup", comId=opened), 200)["Data"]
    assert (data["Policy"], data["History"]) == ("open", "join")
    # A value the form does not offer makes no group.
    third = unique_name("g")
    form_post(session, api.url, "/toChat/createGroup", name=third, policy="anyone")
    error(stranger.post("/contact/joinGroup", comId=third), 404)


@pytest.mark.parametrize(
    "settings, word",
    [
        ({"policy": "closed"}, "policy"),
        ({"policy": 1}, "policy"),
        ({"history": "some"}, "history"),
        ({"whoMayAdd": "everyone"}, "whoMayAdd"),
    ],
)
def test_bad_settings_are_400_and_make_no_group(api, settings, word):
    me = api.user()
    error(me.post("/contact/createCommunity", name=unique_name("g"), **settings), 400, word)
    assert listing(me.post("/contact/loadcommunity"))["Rows"] == []


def test_a_removed_member_stays_out_until_added_back(api, owner_and_friend):
    owner, friend = owner_and_friend
    gid = create(owner)["ID"]  # an open group
    answer(friend.post("/contact/joinGroup", comId=gid), 200)
    answer(owner.post("/contact/removeMember", comId=gid, userId=friend.id), 200)
    error(friend.post("/contact/joinGroup", comId=gid), 403, "removed")
    answer(owner.post("/contact/block", targetId=friend.id), 200)
    error(friend.post("/contact/joinGroup", comId=gid), 403)
    answer(owner.post("/contact/unblock", targetId=friend.id), 200)
    api.befriend(owner, friend)
    answer(owner.post("/contact/addMember", comId=gid, userId=friend.id), 200)
    assert member_ids(owner, gid) == {owner.id, friend.id}
    # Back in, the record is gone: leaving and joining an open group works again.
    answer(friend.post("/contact/quitGroup", comId=gid), 200)
    answer(friend.post("/contact/joinGroup", comId=gid), 200)


# --- adding people ------------------------------------------------------------------------------
def test_add_member_rules(friends_api):
    # DIRECT_MESSAGES=friends: only friends are added (tests/test_team.py: members).
    api = friends_api
    owner, friend = api.user("o"), api.user("f")
    api.befriend(owner, friend)
    member, stranger, outsider = api.user("m"), api.user("s"), api.user("x")
    api.befriend(owner, member)
    gid = create(owner, policy="invite")["ID"]
    answer(owner.post("/contact/addMember", comId=gid, userId=member.id), 200)
    error(owner.post("/contact/addMember", comId=gid, userId=stranger.id), 403, "friend")
    api.befriend(outsider, stranger)
    error(outsider.post("/contact/addMember", comId=gid, userId=stranger.id), 403, "member")
    error(owner.post("/contact/addMember", comId=gid, userId=member.id), 409, "already")
    error(owner.post("/contact/addMember", comId=gid, userId=owner.id), 400)
    error(owner.post("/contact/addMember", comId=gid), 400, "userId")
    error(owner.post("/contact/addMember", comId=gid, userId="x"), 400, "userId")
    error(owner.post("/contact/addMember", userId=friend.id), 400, "comId")
    error(owner.post("/contact/addMember", comId=2_000_000_000, userId=friend.id), 404)
    error(owner.post("/contact/addMember", comId=gid, userId=2_000_000_000), 404)
    # Blocked either way: no adding.
    answer(friend.post("/contact/block", targetId=owner.id), 200)
    error(owner.post("/contact/addMember", comId=gid, userId=friend.id), 403)
    answer(friend.post("/contact/unblock", targetId=owner.id), 200)
    api.befriend(owner, friend)
    answer(owner.post("/contact/block", targetId=friend.id), 200)
    error(owner.post("/contact/addMember", comId=gid, userId=friend.id), 403)
    answer(owner.post("/contact/unblock", targetId=friend.id), 200)
    api.befriend(owner, friend)
    # Any member adds their friends; the added person hears it and gets messages.
    api.befriend(member, friend)
    events, wf = ws_events(friend), friend.ws()
    data = answer(member.post("/contact/addMember", comId=gid, userId=friend.id), 200)["Data"]
    assert data["ID"] == gid and data["Members"] == 3
    note = until(events, lambda f: f.get("Type") == 14)
    assert note == {"Type": 14, "Event": "member_added", "UserId": friend.id, "GroupId": gid, "ActorId": member.id}
    assert my_group(friend, gid)["Role"] == "member"
    wo = owner.ws()
    wo.send(Type=2, TargetId=gid, Content="welcome")
    assert wf.messages(1)[0]["Content"] == "welcome"
    assert stranger.id not in member_ids(owner, gid)


def test_only_admins_add_when_the_owner_says_so(api):
    owner, member, newcomer = api.user("o"), api.user("m"), api.user("n")
    for a, b in ((owner, member), (member, newcomer), (owner, newcomer)):
        api.befriend(a, b)
    gid = create(owner, policy="invite", whoMayAdd="admins")["ID"]
    answer(owner.post("/contact/addMember", comId=gid, userId=member.id), 200)
    error(member.post("/contact/addMember", comId=gid, userId=newcomer.id), 403, "admin")
    # The owner makes the member an admin: now they may; revoked, no more.
    error(member.post("/contact/setAdmin", comId=gid, userId=member.id, admin="true"), 403, "owner")
    error(owner.post("/contact/setAdmin", comId=gid, userId=newcomer.id, admin="true"), 404)
    error(owner.post("/contact/setAdmin", comId=gid, userId=member.id), 400, "admin")
    error(owner.post("/contact/setAdmin", comId=gid, userId=owner.id, admin="true"), 400)
    answer(owner.post("/contact/setAdmin", comId=gid, userId=member.id, admin="true"), 200)
    roles = {r["ID"]: r["Role"] for r in listing(owner.post("/contact/groupMembers", comId=gid))["Rows"]}
    assert roles == {owner.id: "owner", member.id: "admin"}
    assert my_group(member, gid)["Role"] == "admin"
    answer(member.post("/contact/addMember", comId=gid, userId=newcomer.id), 200)
    answer(owner.post("/contact/removeMember", comId=gid, userId=newcomer.id), 200)
    answer(owner.post("/contact/setAdmin", comId=gid, userId=member.id, admin="false"), 200)
    error(member.post("/contact/addMember", comId=gid, userId=newcomer.id), 403, "admin")
    answer(owner.post("/contact/addMember", comId=gid, userId=newcomer.id), 200)


def test_the_owner_changes_the_settings(api, owner_and_friend):
    owner, friend = owner_and_friend
    stranger = api.user()
    gid = create(owner)["ID"]
    answer(owner.post("/contact/addMember", comId=gid, userId=friend.id), 200)
    events = ws_events(friend)
    error(friend.post("/contact/updateGroup", comId=gid, policy="invite"), 403, "owner")
    error(owner.post("/contact/updateGroup", comId=gid, policy="secret"), 400, "policy")
    error(owner.post("/contact/updateGroup", comId=gid, history="never"), 400, "history")
    error(owner.post("/contact/updateGroup", comId=gid, whoMayAdd="anyone"), 400, "whoMayAdd")
    data = answer(
        owner.post("/contact/updateGroup", comId=gid, policy="invite", history="join", whoMayAdd="admins"), 200
    )["Data"]
    assert (data["Policy"], data["History"], data["WhoMayAdd"]) == ("invite", "join", "admins")
    assert until(events, lambda f: f.get("Type") == 14)["Event"] == "group_updated"
    row = my_group(friend, gid)
    assert (row["Policy"], row["History"], row["WhoMayAdd"]) == ("invite", "join", "admins")
    error(stranger.post("/contact/joinGroup", comId=gid), 403, "invite")
    answer(owner.post("/contact/updateGroup", comId=gid, policy="open"), 200)
    answer(stranger.post("/contact/joinGroup", comId=gid), 200)


# --- history for newcomers: one rule on every read path -------------------------------------------
def test_history_join_holds_on_every_read_path(api, owner_and_friend):
    owner, friend = owner_and_friend
    gid = create(owner, policy="invite", history="join")["ID"]
    wo = owner.ws()
    before = send_texts(wo, gid, ["before 1", "before 2"], type_=2)
    answer(owner.post("/message/read", type=2, targetId=gid), 200)
    answer(owner.post("/contact/addMember", comId=gid, userId=friend.id), 200)

    # Nothing of the past: history, sync, replay, the list's preview and count.
    body = listing(friend.get("/message/history", type=2, targetId=gid))
    assert body["Rows"] == [] and body["Total"] == 0
    assert group_rows(listing(friend.get("/message/sync", since=0))["Rows"], gid) == []
    replay = friend.ws(since=0)
    assert [f for f in replay.quiet(0.5) if f.get("Type") == 2] == []
    row = my_group(friend, gid)
    assert row["Unread"] == 0 and row["LastMessage"] is None
    # No read of a message they cannot see: the cursor stays put.
    assert answer(friend.post("/message/read", type=2, targetId=gid, id=before[1]["Id"]), 200)["Data"] == {"Id": 0}
    readers = {r["UserId"]: r["Id"] for r in listing(friend.get("/message/reads", type=2, targetId=gid))["Rows"]}
    assert readers == {owner.id: 0, friend.id: 0}, "a cursor on a message before my join shows as nothing"

    # From the join on, everything.
    after = send_texts(wo, gid, ["after"], type_=2)[0]
    assert replay.messages(1)[0]["Content"] == "after"
    body = listing(friend.get("/message/history", type=2, targetId=gid))
    assert contents(body["Rows"]) == ["after"] and body["Total"] == 1
    assert contents(listing(friend.get("/message/history", type=2, targetId=gid, before=after["Id"]))["Rows"]) == []
    assert contents(group_rows(listing(friend.get("/message/sync", since=0))["Rows"], gid)) == ["after"]
    assert [f["Content"] for f in friend.ws(since=0).messages(1)] == ["after"]
    row = my_group(friend, gid)
    assert row["Unread"] == 1 and row["LastMessage"]["Content"] == "after"
    # The members who were there keep everything.
    assert contents(listing(owner.get("/message/history", type=2, targetId=gid))["Rows"]) == [
        "before 1",
        "before 2",
        "after",
    ]


def test_history_all_shows_the_past_to_newcomers(api, owner_and_friend):
    owner, friend = owner_and_friend
    gid = create(owner, policy="invite")["ID"]
    wo = owner.ws()
    send_texts(wo, gid, ["old news"], type_=2)
    answer(owner.post("/contact/addMember", comId=gid, userId=friend.id), 200)
    assert contents(listing(friend.get("/message/history", type=2, targetId=gid))["Rows"]) == ["old news"]
    row = my_group(friend, gid)
    assert row["Unread"] == 0 and row["LastMessage"]["Content"] == "old news"


def test_a_rejoin_does_not_reveal_the_gap(api):
    owner, member = api.user("o"), api.user("m")
    gid = create(owner, history="join")["ID"]  # open: anyone may join (and leave)
    wo = owner.ws()
    answer(member.post("/contact/joinGroup", comId=gid), 200)
    send_texts(wo, gid, ["while in"], type_=2)
    answer(member.post("/contact/quitGroup", comId=gid), 200)
    gap = send_texts(wo, gid, ["while away 1", "while away 2"], type_=2)
    answer(member.post("/contact/joinGroup", comId=gid), 200)
    send_texts(wo, gid, ["back again"], type_=2)
    seen = contents(listing(member.get("/message/history", type=2, targetId=gid))["Rows"])
    assert seen == ["back again"]
    synced = contents(group_rows(listing(member.get("/message/sync", since=0))["Rows"], gid))
    assert synced == ["back again"]
    replayed = member.ws(since=gap[0]["Id"] - 1).messages(1)
    assert contents(replayed) == ["back again"]
    assert my_group(member, gid)["Unread"] == 1


def test_live_delivery_skips_messages_from_before_the_join(api, owner_and_friend):
    """The map's new member gets no message stored before their join point,
    even when its delivery comes after the join (the engine's floors)."""
    owner, friend = owner_and_friend
    gid = create(owner, policy="invite", history="join")["ID"]
    engine = api.server.engine
    wo, wf = owner.ws(), friend.ws()
    old = send_texts(wo, gid, ["stored before"], type_=2)[0]
    answer(owner.post("/contact/addMember", comId=gid, userId=friend.id), 200)
    # A late copy of the old message, as a slow bus would bring it.
    engine.seen.pop(old["Id"], None)
    engine.deliver(old, json.dumps(old))
    assert [f for f in wf.quiet(0.4) if f.get("Type") == 2] == []
    send_texts(wo, gid, ["stored after"], type_=2)
    assert wf.messages(1)[0]["Content"] == "stored after"


# --- dissolving -------------------------------------------------------------------------------------
def test_a_dissolved_group_leaves_no_messages_or_cursors(api):
    from ginchat.extensions import db
    from ginchat.models.contact import Contact
    from ginchat.models.message import message_table
    from ginchat.models.read_cursor import read_cursor

    owner, member = api.user(), api.user()
    gid = create(owner)["ID"]
    answer(member.post("/contact/joinGroup", comId=gid), 200)
    wo = owner.ws()
    send_texts(wo, gid, ["one", "two"], type_=2)
    answer(owner.post("/message/read", type=2, targetId=gid), 200)
    answer(owner.post("/contact/removeMember", comId=gid, userId=member.id), 200)
    answer(owner.post("/contact/quitGroup", comId=gid), 200)
    conv = f"g:{gid}"
    with api.server.app.app_context():
        assert db.session.scalar(select(func.count()).where(message_table.c.conv == conv)) == 0
        assert db.session.scalar(select(func.count()).where(read_cursor.c.conv == conv)) == 0
        assert (
            db.session.scalar(
                select(func.count()).select_from(Contact).where(Contact.target_id == gid, Contact.type != 1)
            )
            == 0
        )
        db.session.remove()
    assert group_rows(listing(owner.get("/message/sync", since=0))["Rows"], gid) == []


# --- read receipts that say what happened ------------------------------------------------------------
def test_a_joiner_has_read_nothing_and_counts_unread_from_the_join(api):
    owner, reader, joiner = api.user("o"), api.user("r"), api.user("j")
    gid = create(owner)["ID"]
    answer(reader.post("/contact/joinGroup", comId=gid), 200)
    wo = owner.ws()
    sent = send_texts(wo, gid, ["a", "b"], type_=2)
    answer(joiner.post("/contact/joinGroup", comId=gid), 200)
    rows = listing(owner.get("/message/reads", type=2, targetId=gid))["Rows"]
    assert {r["UserId"]: r["Id"] for r in rows} == {owner.id: 0, reader.id: 0, joiner.id: 0}
    joins = {r["UserId"]: r["JoinId"] for r in rows}
    assert joins[owner.id] == 0 and joins[joiner.id] == sent[1]["Id"]
    mine = my_group(joiner, gid)
    assert mine["Unread"] == 0 and mine["ReadId"] == 0 and mine["LastMessage"]["Content"] == "b"
    send_texts(wo, gid, ["c"], type_=2)
    assert my_group(joiner, gid)["Unread"] == 1
    assert my_group(reader, gid)["Unread"] == 3
    # A real read counts.
    top = answer(joiner.post("/message/read", type=2, targetId=gid), 200)["Data"]["Id"]
    rows = listing(owner.get("/message/reads", type=2, targetId=gid))["Rows"]
    assert {r["UserId"]: r["Id"] for r in rows}[joiner.id] == top


def test_a_block_stops_read_receipts_both_ways(api):
    a, b = api.user("a"), api.user("b")
    api.befriend(a, b)
    wa, wb = a.ws(), b.ws()
    first = send_texts(wa, b.id, ["seen before the block"], type_=1)[0]
    wb.messages(1)
    wb.send(Type=10, ChatType=1, TargetId=a.id, Id=first["Id"])
    assert until(wa, lambda f: f.get("Type") == 10)["UserId"] == b.id
    second = send_texts(wa, b.id, ["sent just before"], type_=1)[0]
    wb.messages(1)
    answer(a.post("/contact/block", targetId=b.id), 200)
    # B reads on: their own devices follow, A hears nothing.
    wb.send(Type=10, ChatType=1, TargetId=a.id, Id=second["Id"])
    assert until(wb, lambda f: f.get("Type") == 10)["Id"] == second["Id"]
    assert frames_of(wa, 10) == []
    reads = {r["UserId"]: r["Id"] for r in listing(a.get("/message/reads", type=1, targetId=b.id))["Rows"]}
    assert reads[b.id] == 0
    # And A's reads do not reach B.
    answer(a.post("/message/read", type=1, targetId=b.id), 200)
    assert frames_of(wb, 10) == []
    reads = {r["UserId"]: r["Id"] for r in listing(b.get("/message/reads", type=1, targetId=a.id))["Rows"]}
    assert reads[a.id] == 0
    # Unblocked, the receipts flow again.
    answer(a.post("/contact/unblock", targetId=b.id), 200)
    assert {r["UserId"]: r["Id"] for r in listing(a.get("/message/reads", type=1, targetId=b.id))["Rows"]}[
        b.id
    ] == second["Id"]


def test_a_block_stops_read_receipts_in_a_shared_group(api):
    a, b, c = api.user("a"), api.user("b"), api.user("c")
    gid = create(c)["ID"]
    for user in (a, b):
        answer(user.post("/contact/joinGroup", comId=gid), 200)
    wa, wc = a.ws(), c.ws()
    msg = send_texts(wc, gid, ["to all"], type_=2)[0]
    wa.messages(1)
    answer(a.post("/contact/block", targetId=b.id), 200)
    answer(b.post("/message/read", type=2, targetId=gid, id=msg["Id"]), 200)
    assert until(wc, lambda f: f.get("Type") == 10)["UserId"] == b.id
    assert frames_of(wa, 10) == []
    seen_by_a = {r["UserId"]: r["Id"] for r in listing(a.get("/message/reads", type=2, targetId=gid))["Rows"]}
    seen_by_c = {r["UserId"]: r["Id"] for r in listing(c.get("/message/reads", type=2, targetId=gid))["Rows"]}
    assert seen_by_a[b.id] == 0 and seen_by_c[b.id] == msg["Id"]
    wb = b.ws()
    answer(a.post("/message/read", type=2, targetId=gid, id=msg["Id"]), 200)
    assert until(wc, lambda f: f.get("Type") == 10)["UserId"] == a.id
    assert frames_of(wb, 10) == []
    assert {r["UserId"]: r["Id"] for r in listing(b.get("/message/reads", type=2, targetId=gid))["Rows"]}[a.id] == 0


def test_a_message_checked_before_the_senders_removal_still_reaches_its_sender(api, server):
    """The check and the delivery are two moments: a member removed in between
    (on another node, say) still gets the copy of the message the group
    accepted, their acknowledgement, and nobody else's after that."""
    from ginchat.models.new_message import NewMessage

    owner, member = api.user("o"), api.user("m")
    gid = create(owner)["ID"]
    answer(member.post("/contact/joinGroup", comId=gid), 200)
    wm, wo = api.ws(member), api.ws(owner)
    send_texts(wm, gid, ["hello"], type_=2)
    wo.messages(1)
    answer(owner.post("/contact/removeMember", comId=gid, userId=member.id), 200)
    conn = next(iter(server.engine.client_map[member.id]))
    # What the receive loop queues once a frame passed the check.
    item = NewMessage(
        user_id=member.id,
        type=2,
        target_id=gid,
        content="checked before the removal",
        client_msg_id="late-1",
        conn=conn,
    )
    server.engine.store.queue.put(item)
    ack = until(wm, lambda f: f.get("ClientMsgId") == "late-1")
    assert (ack["Type"], ack["Content"]) == (2, "checked before the removal")
    assert until(wo, lambda f: f.get("ClientMsgId") == "late-1")["Content"] == "checked before the removal"
    wm.send(Type=2, TargetId=gid, Content="after", ClientMsgId="late-2")
    refused = until(wm, lambda f: f.get("ClientMsgId") == "late-2")
    assert (refused["Type"], refused["Code"]) == (-1, 403)
