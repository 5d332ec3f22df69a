"""The group notice in the message Id sequence (issue 28): a change takes
the next Id, so a member who was away gets it from the replay of ``since``
(one Type 24 frame: the notice as it is now, however often it changed),
exactly once; and "seen" is a mark per user on the server, so the notice is
New on none of their devices once they read it on one."""

from helpers import until, ws_events
from http_checks import answer, error, listing


def group_row(user, gid):
    rows = listing(user.post("/contact/loadcommunity"))["Rows"]
    return next(r for r in rows if r["ID"] == gid)


def replayed(user, since, seconds=1.0):
    return [f for f in user.ws(since=since).quiet(seconds) if f.get("Type") in (2, 24)]


def test_a_member_who_was_away_gets_the_notice_once(api):
    owner, member = api.user(), api.user()
    gid = api.group(owner, member)["ID"]
    wo = owner.ws()
    wo.send(Type=2, TargetId=gid, Content="before", ClientMsgId="b-1")
    since = until(wo, lambda f: f.get("ClientMsgId") == "b-1")["Id"]
    # Away: the notice changes twice, a message comes between.
    answer(owner.post("/contact/setNotice", comId=gid, notice="first text"), 200)
    wo.send(Type=2, TargetId=gid, Content="between", ClientMsgId="b-2")
    between = until(wo, lambda f: f.get("ClientMsgId") == "b-2")["Id"]
    last = answer(owner.post("/contact/setNotice", comId=gid, notice="周五发版"), 200)["Data"]
    assert last["Id"] > between > since
    frames = replayed(member, since)
    assert [(f["Type"], f["Id"]) for f in frames] == [(2, between), (24, last["Id"])]
    notice = frames[1]
    assert notice == {
        "Type": 24,
        "Id": last["Id"],
        "ChatType": 2,
        "TargetId": gid,
        "GroupId": gid,
        "UserId": owner.id,
        "Notice": last,
        "Seen": False,
    }
    # Once: from its Id on, nothing comes again; /message/sync says the same.
    assert replayed(member, last["Id"], 0.6) == []
    rows = listing(member.get("/message/sync", since=since, updates="true"))["Rows"]
    assert [(r["Type"], r["Id"]) for r in rows] == [(2, between), (24, last["Id"])]
    assert listing(member.get("/message/sync", since=last["Id"], updates="true"))["Rows"] == []
    # The setter's own notice is no news to the setter; a cleared notice replays too.
    assert replayed(owner, between)[-1]["Seen"] is True
    cleared = answer(owner.post("/contact/setNotice", comId=gid, notice=""), 200)["Data"]
    again = replayed(member, last["Id"])
    assert [(f["Id"], f["Notice"]["Text"]) for f in again] == [(cleared["Id"], "")]


def test_a_connected_member_gets_it_live_in_the_id_order(api):
    owner, member, outsider = api.user(), api.user(), api.user()
    gid = api.group(owner, member)["ID"]
    wm, wx = member.ws(), outsider.ws()
    body = answer(owner.post("/contact/setNotice", comId=gid, notice="开会"), 200)["Data"]
    live = until(wm, lambda f: f.get("Type") == 24)
    assert live["Id"] == body["Id"] and live["Notice"] == body and "Seen" not in live
    owner.ws().send(Type=2, TargetId=gid, Content="after")
    after = until(wm, lambda f: f.get("Type") == 2)
    assert after["Id"] > live["Id"]
    assert [f for f in wx.quiet(0.4) if f.get("Type") == 24] == []  # not a member: nothing


def test_seen_is_one_mark_for_all_of_a_members_devices(api):
    owner, member, outsider = api.user(), api.user(), api.user()
    gid = api.group(owner, member)["ID"]
    notice = answer(owner.post("/contact/setNotice", comId=gid, notice="请看公告"), 200)["Data"]
    assert group_row(member, gid)["Notice"]["Seen"] is False
    assert group_row(owner, gid)["Notice"]["Seen"] is True
    other_device = ws_events(member)
    owners_events = ws_events(owner)
    body = answer(member.post("/contact/seeNotice", comId=gid, id=notice["Id"]), 200)["Data"]
    assert body == {"GroupId": gid, "NoticeId": notice["Id"]}
    told = until(other_device, lambda f: f.get("Type") == 14 and f.get("Event") == "notice_seen")
    assert (told["GroupId"], told["NoticeId"], told["UserId"]) == (gid, notice["Id"], member.id)
    assert [f for f in owners_events.quiet(0.4) if f.get("Event") == "notice_seen"] == []  # mine alone
    assert group_row(member, gid)["Notice"]["Seen"] is True
    assert replayed(member, notice["Id"] - 1)[-1]["Seen"] is True
    # Again, or an older Id: nothing moves back, nobody is told again.
    answer(member.post("/contact/seeNotice", comId=gid, id=1), 200)
    answer(member.post("/contact/seeNotice", comId=gid), 200)
    assert [f for f in other_device.quiet(0.4) if f.get("Event") == "notice_seen"] == []
    # A new notice is New again.
    newer = answer(owner.post("/contact/setNotice", comId=gid, notice="新公告"), 200)["Data"]
    assert group_row(member, gid)["Notice"] == {**newer, "Seen": False}
    answer(member.post("/contact/seeNotice", comId=gid), 200)  # the current one
    assert group_row(member, gid)["Notice"]["Seen"] is True
    # Bad input: a clear 4xx, nothing changes.
    error(member.post("/contact/seeNotice", comId=gid, id=newer["Id"] + 1000), 400)
    error(member.post("/contact/seeNotice", comId=gid, id="x"), 400)
    error(member.post("/contact/seeNotice"), 400, "comId")
    error(outsider.post("/contact/seeNotice", comId=gid), 403)
    error(member.post("/contact/seeNotice", comId=10**9), 404)
    assert group_row(member, gid)["Notice"]["Seen"] is True
