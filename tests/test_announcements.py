"""Announcement groups and group notices (issue 28, item 5): with WhoMayWrite
admins only the owner and the admins write (the socket refuses members'
messages and edits with a clear 403; reactions stay), the rule follows
role and setting changes at once; the notice (群公告) is set by the owner
and admins, shown to members in loadcommunity and announced to them live."""

from helpers import send_texts, until, ws_events
from http_checks import answer, error, listing


def group_row(user, gid):
    rows = listing(user.post("/contact/loadcommunity"))["Rows"]
    return next(r for r in rows if r["ID"] == gid)


def refusal(conn):
    return until(conn, lambda f: f.get("Type") == -1)


def written(conn, gid, text):
    """Send a group text and wait for its own answer: the stored copy (else fail)."""
    cmid = "w-" + str(abs(hash(text)))
    conn.send(Type=2, TargetId=gid, Content=text, ClientMsgId=cmid)
    got = until(conn, lambda f: f.get("ClientMsgId") == cmid)
    assert got["Type"] == 2 and got["Content"] == text, got
    return got


def test_only_the_owner_and_admins_write_in_an_announcement_group(api):
    owner, admin, member = api.user(), api.user(), api.user()
    group = api.group(owner, admin, member)
    gid = group["ID"]
    assert group["WhoMayWrite"] == "members" and group["WhoMayPin"] == "members"
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="true"), 200)
    wo, wa, wm = owner.ws(), admin.ws(), member.ws()
    before = send_texts(wm, gid, ["a member's word"], type_=2)[0]
    wo.messages(1)
    wa.messages(1)
    body = answer(owner.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 200)
    assert body["Data"]["WhoMayWrite"] == "admins"
    assert group_row(member, gid)["WhoMayWrite"] == "admins"
    # The member is refused, clearly, and nothing is stored or delivered.
    wm.send(Type=2, TargetId=gid, Content="may I?", ClientMsgId="m-1")
    got = refusal(wm)
    assert got["Code"] == 403 and got["ClientMsgId"] == "m-1" and "admins" in got["Msg"]
    # Editing an old message is new text too: refused; a reaction is not.
    wm.send(Type=15, Id=before["Id"], Content="edited")
    assert refusal(wm)["Code"] == 403
    error(member.post("/message/edit", id=before["Id"], content="edited"), 403, "admins")
    answer(member.post("/message/react", id=before["Id"], emoji="👍"), 200)
    # The owner and the admin write.
    written(wo, gid, "from the owner")
    written(wa, gid, "from the admin")
    rows = listing(member.get("/message/history", type=2, targetId=gid))["Rows"]
    assert [r["Content"] for r in rows] == ["a member's word", "from the owner", "from the admin"]
    # Taking the admin's role away takes their voice at once; giving it back returns it.
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="false"), 200)
    wa.send(Type=2, TargetId=gid, Content="still me?")
    assert refusal(wa)["Code"] == 403
    answer(owner.post("/contact/setAdmin", comId=gid, userId=member.id, admin="true"), 200)
    written(wm, gid, "promoted")
    # Handing the group over: the old owner is a member now.
    answer(owner.post("/contact/transferGroup", comId=gid, userId=admin.id), 200)
    wo.send(Type=2, TargetId=gid, Content="old owner")
    assert refusal(wo)["Code"] == 403
    # Open again: everyone writes.
    answer(admin.post("/contact/updateGroup", comId=gid, whoMayWrite="members"), 200)
    written(wo, gid, "open again")
    # Bad values are 400 and change nothing; a plain member (the old owner
    # now) changes no setting (the admins may: tests/test_group_admin_settings.py).
    error(admin.post("/contact/updateGroup", comId=gid, whoMayWrite="nobody"), 400, "whoMayWrite")
    error(admin.post("/contact/updateGroup", comId=gid, whoMayPin="all"), 400, "whoMayPin")
    error(owner.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 403)
    assert group_row(owner, gid)["WhoMayWrite"] == "members"


def test_the_group_notice_is_set_by_admins_and_announced(api):
    owner, admin, member, outsider = api.user(), api.user(), api.user(), api.user()
    group = api.group(owner, admin, member)
    gid = group["ID"]
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="true"), 200)
    assert group_row(member, gid)["Notice"] == {"Text": "", "UserId": 0, "Time": 0, "Id": 0, "Seen": True}
    assert "Notice" not in group, "a group object that searches show carries no notice"
    events = ws_events(member)
    body = answer(admin.post("/contact/setNotice", comId=gid, notice="  周五下午三点开会  "), 200)
    notice = body["Data"]
    assert notice["Text"] == "周五下午三点开会" and notice["UserId"] == admin.id and notice["Time"] > 0
    frame = until(events, lambda f: f.get("Type") == 14 and f.get("Event") == "group_notice")
    assert frame["GroupId"] == gid and frame["ActorId"] == admin.id and frame["Notice"] == notice
    assert group_row(member, gid)["Notice"] == {**notice, "Seen": False}
    # The same text again changes nothing and announces nothing.
    assert answer(owner.post("/contact/setNotice", comId=gid, notice="周五下午三点开会"), 200)["Data"] == notice
    assert [f for f in events.quiet(0.4) if f.get("Event") == "group_notice"] == []
    # Refusals change nothing.
    error(member.post("/contact/setNotice", comId=gid, notice="mine now"), 403, "admins")
    error(outsider.post("/contact/setNotice", comId=gid, notice="hello"), 403)
    error(owner.post("/contact/setNotice", comId=10**9, notice="hello"), 404)
    error(owner.post("/contact/setNotice", notice="hello"), 400, "comId")
    error(owner.post("/contact/setNotice", comId=gid, notice="x" * 2001), 400, "2000")
    error(owner.post("/contact/setNotice", comId=gid, notice="bad\x00"), 400)
    assert group_row(owner, gid)["Notice"] == {**notice, "Seen": False}
    # The owner clears it; members hear that too.
    cleared = answer(owner.post("/contact/setNotice", comId=gid, notice=""), 200)["Data"]
    assert cleared["Text"] == "" and cleared["UserId"] == owner.id
    frame = until(events, lambda f: f.get("Event") == "group_notice")
    assert frame["Notice"]["Text"] == ""
    assert group_row(member, gid)["Notice"]["Text"] == ""


def test_an_admin_who_leaves_and_comes_back_is_a_member(api):
    owner, admin = api.user(), api.user()
    gid = api.group(owner, admin)["ID"]
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="true"), 200)
    answer(owner.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 200)
    written(admin.ws(), gid, "as an admin")  # the node's map of writers knows them now
    answer(admin.post("/contact/quitGroup", comId=gid), 200)
    answer(admin.post("/contact/joinGroup", comId=gid), 200)
    assert group_row(admin, gid)["Role"] == "member"
    again = admin.ws()
    again.send(Type=2, TargetId=gid, Content="back as a member", ClientMsgId="b-1")
    assert refusal(again)["Code"] == 403
