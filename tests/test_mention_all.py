"""@all and @here in groups (issue 28 item 4): @all alerts every member,
@here the members online when it is sent (a mention row each: the Mentions
view and its unread counts); the group's WhoMayMentionAll (members, admins,
nobody) decides who may write them, and a message that may not is refused
with a clear 403 and not stored; a mute "completely" silences them too."""

import pytest

from helpers import send_texts, until, wait_for
from http_checks import answer, error, listing

from ginchat.domain.mentions import broadcast_of
from ginchat.models.message import MENTION_ALL, MENTION_HERE


@pytest.mark.parametrize(
    "text, kind",
    [
        ("@all meeting at 3", MENTION_ALL),
        ("meeting @ALL, now", MENTION_ALL),
        ("@所有人 开会", MENTION_ALL),
        ("@所有人开会", MENTION_ALL),
        ("@here anyone?", MENTION_HERE),
        ("who is @here!", MENTION_HERE),
        ("@here and @all", MENTION_ALL),
        ("@allen look", None),
        ("@hereford", None),
        ("mail@all.example", None),
        ("all here", None),
        ("@ all", None),
        ("", None),
    ],
)
def test_broadcast_words(text, kind):
    assert broadcast_of(text) == kind


def test_the_words_are_read_in_bounded_work():
    # Only the first 50 @ are read, as for names: an @all after them is text.
    assert broadcast_of("@x " * 50 + "@all") is None
    assert broadcast_of("@x " * 49 + "@all") == MENTION_ALL


def mentions_of(user):
    return [row["Id"] for row in answer(user.get("/message/mentions"), 200)["Rows"]]


def group_with(api, *members, **settings):
    owner = api.user("own")
    r = owner.post("/contact/createCommunity", name=f"g{owner.id}x", **settings)
    gid = answer(r, 201)["Data"]["ID"]
    for member in members:
        answer(member.post("/contact/joinGroup", comId=gid), 200)
    return owner, gid


def online(viewer, user):
    return answer(viewer.post("/user/find", userId=user.id), 200)["Data"]["Online"]


def test_all_alerts_every_member_and_here_those_online(api):
    b, c = api.user("b"), api.user("c")
    owner, gid = group_with(api, b, c)
    wo, wb = owner.ws(), b.ws()
    assert wait_for(lambda: online(owner, b), timeout=10)
    assert not online(owner, c)
    sent = send_texts(wo, gid, [f"@all standup, @{b.name} first"], type_=2)[0]
    assert sent["MentionAll"] == "all" and sent["Mentions"] == [b.id]
    got = wb.messages(1)[0]
    assert got == sent
    for member in (b, c):
        assert mentions_of(member) == [sent["Id"]], "every member is alerted by @all, once"
    assert mentions_of(owner) == [], "not the sender"
    here = send_texts(wo, gid, ["anyone @here?"], type_=2)[0]
    assert here["MentionAll"] == "here" and "Mentions" not in here
    assert wb.messages(1)[0]["MentionAll"] == "here"
    assert mentions_of(b) == [here["Id"], sent["Id"]]
    assert mentions_of(c) == [sent["Id"]], "c was offline: @here is not for them"
    # History, sync and replay carry it; the unread mention counts follow.
    rows = listing(c.get("/message/history", type=2, targetId=gid))["Rows"]
    assert [r.get("MentionAll") for r in rows] == ["all", "here"]
    replay = c.ws(since=0)
    assert [f.get("MentionAll") for f in replay.messages(2)] == ["all", "here"]
    assert answer(c.get("/message/mentions"), 200)["Data"] == {"Unread": 1, "Groups": [{"GroupId": gid, "Unread": 1}]}
    # An edit keeps who was alerted.
    answer(owner.post("/message/edit", id=sent["Id"], content="@all standup moved"), 200)
    assert mentions_of(c) == [sent["Id"]] and mentions_of(b) == [here["Id"], sent["Id"]]
    # In a private chat @all is only text.
    api.befriend(owner, b)
    private = send_texts(wo, b.id, ["@all hello"])[0]
    assert "MentionAll" not in private


def test_who_may_mention_all(api):
    b, c = api.user("b"), api.user("c")
    owner, gid = group_with(api, b, c)
    wo, wb = owner.ws(), b.ws()
    before = len(listing(owner.get("/message/history", type=2, targetId=gid))["Rows"])
    # The default: the owner and the admins.
    group = answer(owner.post("/contact/loadcommunity"), 200)["Rows"][0]
    assert group["WhoMayMentionAll"] == "admins"
    wb.send(Type=2, TargetId=gid, Content="@all free pizza", ClientMsgId="p-1")
    err = until(wb, lambda f: f.get("Type") == -1)
    assert (err["Code"], err["ClientMsgId"]) == (403, "p-1") and "@all" in err["Msg"]
    wb.send(Type=2, TargetId=gid, Content="@here free pizza", ClientMsgId="p-2")
    assert until(wb, lambda f: f.get("Type") == -1)["Code"] == 403
    assert len(listing(owner.get("/message/history", type=2, targetId=gid))["Rows"]) == before, "nothing stored"
    assert mentions_of(c) == []
    # A member made admin may.
    answer(owner.post("/contact/setAdmin", comId=gid, userId=b.id, admin="true"), 200)
    assert send_texts(wb, gid, ["@all from an admin"], type_=2)[0]["MentionAll"] == "all"
    answer(owner.post("/contact/setAdmin", comId=gid, userId=b.id, admin="false"), 200)
    # Everyone.
    data = answer(owner.post("/contact/updateGroup", comId=gid, whoMayMentionAll="members"), 200)["Data"]
    assert data["WhoMayMentionAll"] == "members"
    assert send_texts(wb, gid, ["@here from a member"], type_=2)[0]["MentionAll"] == "here"
    # Nobody, not even the owner.
    answer(owner.post("/contact/updateGroup", comId=gid, whoMayMentionAll="nobody"), 200)
    wo.send(Type=2, TargetId=gid, Content="@所有人 test", ClientMsgId="o-1")
    err = until(wo, lambda f: f.get("Type") == -1)
    assert (err["Code"], err["ClientMsgId"]) == (403, "o-1") and "nobody" in err["Msg"]
    # A plain message still goes; bad settings are 400, a member's 403.
    assert "MentionAll" not in send_texts(wo, gid, ["all of you, here"], type_=2)[0]
    error(owner.post("/contact/updateGroup", comId=gid, whoMayMentionAll="everyone"), 400, "whoMayMentionAll")
    error(b.post("/contact/updateGroup", comId=gid, whoMayMentionAll="members"), 403)
    group = answer(owner.post("/contact/loadcommunity"), 200)["Rows"][0]
    assert group["WhoMayMentionAll"] == "nobody"


def test_mute_completely(api, pair):
    a, b = pair
    grp = api.group(a, b)
    data = answer(a.post("/contact/mute", type=2, targetId=grp["ID"], completely="true"), 200)["Data"]
    assert data == {"ChatType": 2, "TargetId": grp["ID"], "Muted": True, "Completely": True}
    row = [g for g in listing(a.post("/contact/loadcommunity"))["Rows"] if g["ID"] == grp["ID"]][0]
    assert (row["Muted"], row["MutedCompletely"]) == (True, True)
    # Muted, but not completely: @all still alerts.
    data = answer(a.post("/contact/mute", type=2, targetId=grp["ID"]), 200)["Data"]
    assert (data["Muted"], data["Completely"]) == (True, False)
    row = [g for g in listing(a.post("/contact/loadcommunity"))["Rows"] if g["ID"] == grp["ID"]][0]
    assert (row["Muted"], row["MutedCompletely"]) == (True, False)
    data = answer(a.post("/contact/mute", type=1, targetId=b.id, muted="false", completely="true"), 200)["Data"]
    assert (data["Muted"], data["Completely"]) == (False, False), "unmuting wins"
    friend = listing(a.post("/searchFriends"))["Rows"][0]
    assert (friend["Muted"], friend["MutedCompletely"]) == (False, False)
    error(a.post("/contact/mute", type=2, targetId=grp["ID"], completely="very"), 400, "completely")
