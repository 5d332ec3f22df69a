"""Pinned and saved messages (issue 28, item 2) over HTTP and WebSocket: a
pin reaches everyone in the conversation live, takes its place in the Id
sequence and is replayed by ``since``; the Pinned list follows who may read;
saving is private to the saver and follows them to their other connections;
every bad input is a 4xx that changes nothing."""

from helpers import send_texts, until
from http_checks import answer, error, listing


def pins_of(user, chat_type, target):
    return listing(user.get("/message/pins", type=chat_type, targetId=target))["Rows"]


def saved_of(user, **page):
    return listing(user.get("/message/saved", **page))


def kinds(frames, *types):
    return [f for f in frames if f.get("Type") in types]


# --- pins -------------------------------------------------------------------------------
def test_pin_in_a_private_chat_live_listed_and_replayed_by_since(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    first, keep = send_texts(wa, b.id, ["the plan", "keep"])
    wb.messages(2)
    # Either side pins: the recipient here, over the socket.
    wb.send(Type=20, Id=first["Id"], ClientMsgId="p-1")
    seen = until(wa, lambda f: f.get("Type") == 20)
    assert seen["MsgId"] == first["Id"] and seen["Pinned"] is True and seen["PinnedBy"] == b.id
    assert (seen["ChatType"], seen["UserId"], seen["TargetId"]) == (1, a.id, b.id)
    assert seen["Id"] > keep["Id"], "a pin has its own place in the Id sequence"
    assert until(wb, lambda f: f.get("Type") == 20) == seen, "the pinner's connections hear it too"
    for user, other in ((a, b), (b, a)):
        rows = pins_of(user, 1, other.id)
        assert [r["Id"] for r in rows] == [first["Id"]]
        assert rows[0]["Content"] == "the plan"
        assert rows[0]["Pin"] == {"Id": seen["Id"], "UserId": b.id, "Time": seen["PinTime"]}
    # Pinning again changes nothing and announces nothing.
    again = answer(a.post("/message/pin", id=first["Id"]), 200)["Data"]
    assert again == seen
    assert kinds(wb.quiet(0.4), 20) == []
    # A reconnect that had seen both messages but not the pin gets it, once.
    assert kinds(b.ws(since=keep["Id"]).quiet(0.6), 20) == [seen]
    assert b.ws(since=seen["Id"]).quiet(0.4) == [], "nothing twice"
    # Sync with updates gives it too.
    synced = listing(b.get("/message/sync", since=keep["Id"], updates="true"))["Rows"]
    assert synced == [seen]
    # Unpin over HTTP: a new place; the list empties; the replay tells the latest state only.
    gone = answer(a.post("/message/pin", id=first["Id"], remove="true"), 200)["Data"]
    assert gone["Pinned"] is False and gone["Id"] > seen["Id"] and gone["PinnedBy"] == a.id
    assert until(wb, lambda f: f.get("Type") == 20 and f["Id"] == gone["Id"]) == gone
    assert pins_of(b, 1, a.id) == []
    assert kinds(b.ws(since=keep["Id"]).quiet(0.6), 20) == [gone]
    # Unpinning what is not pinned: 200, nothing sent.
    assert answer(a.post("/message/pin", id=keep["Id"], remove="1"), 200)["Data"]["Pinned"] is False
    assert kinds(wb.quiet(0.3), 20) == []


def test_pins_in_groups_follow_who_may_pin_and_who_may_read(api):
    owner, admin, member, outsider = api.user(), api.user(), api.user(), api.user()
    group = api.group(owner, admin, member)
    gid = group["ID"]
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="true"), 200)
    wo, wm = owner.ws(), member.ws()
    msg, other = send_texts(wm, gid, ["pin me", "second"], type_=2)
    wo.messages(2)
    # Members pin by default.
    frame = answer(member.post("/message/pin", id=msg["Id"]), 200)["Data"]
    assert until(wo, lambda f: f.get("Type") == 20) == frame
    assert [r["Id"] for r in pins_of(owner, 2, gid)] == [msg["Id"]]
    # whoMayPin=admins: the member is refused (HTTP and socket), the admin and owner may.
    body = answer(owner.post("/contact/updateGroup", comId=gid, whoMayPin="admins"), 200)
    assert body["Data"]["WhoMayPin"] == "admins"
    error(member.post("/message/pin", id=other["Id"]), 403, "admins")
    error(member.post("/message/pin", id=msg["Id"], remove="true"), 403, "admins")
    wm.send(Type=20, Id=other["Id"], ClientMsgId="p-2")
    refused = until(wm, lambda f: f.get("Type") == -1)
    assert refused["Code"] == 403 and refused["ClientMsgId"] == "p-2"
    answer(admin.post("/message/pin", id=other["Id"]), 200)
    assert [r["Id"] for r in pins_of(member, 2, gid)] == [other["Id"], msg["Id"]], "newest pin first"
    # Someone outside cannot pin, list or learn anything.
    error(outsider.post("/message/pin", id=msg["Id"]), 404)
    error(outsider.get("/message/pins", type=2, targetId=gid), 403)
    wx = outsider.ws()
    wx.send(Type=20, Id=msg["Id"])
    assert until(wx, lambda f: f.get("Type") == -1)["Code"] == 404
    # Bad input: 400, nothing changes.
    for bad in ({}, {"id": "abc"}, {"id": 0}, {"id": msg["Id"], "remove": "perhaps"}):
        error(admin.post("/message/pin", **bad), 400)
    error(admin.get("/message/pins", type=3, targetId=gid), 400)
    error(admin.get("/message/pins", type=2), 400)
    error(admin.post("/message/pin", id=10**15), 404)
    wm.send(Type=20, Id=msg["Id"], Pin="yes")
    assert until(wm, lambda f: f.get("Type") == -1)["Code"] == 400
    # A recalled message is not pinned; a pinned one that is recalled shows as recalled.
    late = send_texts(wo, gid, ["recall me"], type_=2)[0]
    answer(owner.post("/message/recall", id=late["Id"]), 200)
    error(owner.post("/message/pin", id=late["Id"]), 409, "recalled")
    assert len(pins_of(owner, 2, gid)) == 2


def test_a_pin_of_a_message_before_someones_join_is_not_theirs(api):
    owner, early, late = api.user(), api.user(), api.user()
    group = api.group(owner, early)
    gid = group["ID"]
    answer(owner.post("/contact/updateGroup", comId=gid, history="join"), 200)
    old = send_texts(owner.ws(), gid, ["before the join"], type_=2)[0]
    answer(late.post("/contact/joinGroup", comId=gid), 200)
    wl, we = late.ws(), early.ws()
    frame = answer(owner.post("/message/pin", id=old["Id"]), 200)["Data"]
    assert until(we, lambda f: f.get("Type") == 20) == frame
    assert kinds(wl.quiet(0.5), 20) == [], "a newcomer who may not read it hears nothing"
    assert pins_of(late, 2, gid) == []
    assert kinds(late.ws(since=0).quiet(0.6), 20) == []
    error(late.post("/message/pin", id=old["Id"], remove="true"), 404)


def test_a_block_stops_pins_in_a_private_chat(api):
    a, b = api.user(), api.user()
    msg = send_texts(a.ws(), b.id, ["hello"])[0]
    answer(b.post("/contact/block", targetId=a.id), 200)
    error(a.post("/message/pin", id=msg["Id"]), 403)
    error(b.post("/message/pin", id=msg["Id"]), 403)
    assert pins_of(a, 1, b.id) == []


# --- saved ------------------------------------------------------------------------------
def test_saved_messages_are_private_and_follow_the_saver(api):
    a, b, c = api.user(), api.user(), api.user()
    group = api.group(a, b)
    gid = group["ID"]
    wa = a.ws()
    private = send_texts(wa, b.id, ["private words"])[0]
    in_group = send_texts(wa, gid, ["group words"], type_=2)[0]
    phone, laptop, wa_other = b.ws(), b.ws(), a.ws()
    # Over the socket from one connection: the other hears it, the author does not.
    phone.send(Type=21, Id=private["Id"])
    frame = until(laptop, lambda f: f.get("Type") == 21)
    assert frame["MsgId"] == private["Id"] and frame["Saved"] is True and frame["SaveTime"] > 0
    assert until(phone, lambda f: f.get("Type") == 21) == frame
    answer(b.post("/message/save", id=in_group["Id"]), 200)
    assert until(laptop, lambda f: f.get("Type") == 21)["MsgId"] == in_group["Id"]
    assert kinds(wa_other.quiet(0.4), 21) == []
    body = saved_of(b)
    assert [r["Id"] for r in body["Rows"]] == [in_group["Id"], private["Id"]] and body["Total"] == 2
    assert body["Rows"][1]["Content"] == "private words" and body["Rows"][1]["SaveTime"] == frame["SaveTime"]
    assert saved_of(a)["Rows"] == [] and saved_of(a)["Total"] == 0
    # Idempotent; paged.
    again = answer(b.post("/message/save", id=private["Id"]), 200)["Data"]
    assert again == frame
    assert [r["Id"] for r in saved_of(b, page=2, size=1)["Rows"]] == [private["Id"]]
    # Saving what one cannot read is refused, and changes nothing.
    error(c.post("/message/save", id=in_group["Id"]), 404)
    error(c.post("/message/save", id=private["Id"]), 404)
    error(c.post("/message/save", id=private["Id"], remove="true"), 404)
    wc = c.ws()
    wc.send(Type=21, Id=private["Id"])
    assert until(wc, lambda f: f.get("Type") == -1)["Code"] == 404
    assert saved_of(c)["Total"] == 0
    for bad in ({}, {"id": "x"}, {"id": -1}):
        error(b.post("/message/save", **bad), 400)
    error(b.get("/message/saved", page=0), 400)
    error(b.get("/message/saved", size=1000), 400)
    # A group one left hides its saved messages; unsaving still works.
    answer(b.post("/contact/quitGroup", comId=gid), 200)
    assert [r["Id"] for r in saved_of(b)["Rows"]] == [private["Id"]]
    answer(b.post("/message/save", id=in_group["Id"], remove="true"), 200)
    gone = answer(b.post("/message/save", id=private["Id"], remove="true"), 200)["Data"]
    assert gone["Saved"] is False
    assert until(laptop, lambda f: f.get("Type") == 21 and f["Saved"] is False and f["MsgId"] == private["Id"])
    assert saved_of(b)["Total"] == 0
    # A recalled message cannot be saved.
    late = send_texts(wa, b.id, ["oops"])[0]
    answer(a.post("/message/recall", id=late["Id"]), 200)
    error(b.post("/message/save", id=late["Id"]), 409)


def test_a_dissolved_group_takes_its_pins_and_saves(api):
    owner = api.user()
    group = api.group(owner)
    gid = group["ID"]
    msg = send_texts(owner.ws(), gid, ["soon gone"], type_=2)[0]
    answer(owner.post("/message/pin", id=msg["Id"]), 200)
    answer(owner.post("/message/save", id=msg["Id"]), 200)
    answer(owner.post("/contact/quitGroup", comId=gid), 200)
    assert saved_of(owner)["Total"] == 0
    error(owner.get("/message/pins", type=2, targetId=gid), 403)
