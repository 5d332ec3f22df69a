"""Edits, replies, reactions and mentions over HTTP and WebSocket: live to
everyone in the conversation, in history and sync, replayed by ``since``
(a change has its own place in the Id sequence), and every bad input a 4xx
that changes nothing."""

from helpers import Api, send_texts, until
from http_checks import answer, error, listing


def updates(conn, seconds=0.6):
    return [f for f in conn.quiet(seconds) if f.get("Type") == 15]


def history(user, chat_type, target):
    return listing(user.get("/message/history", type=chat_type, targetId=target))["Rows"]


# --- edit --------------------------------------------------------------------------------
def test_edit_live_in_history_and_replayed_by_since(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    first, keep = send_texts(wa, b.id, ["helo", "keep"])
    wb.messages(2)
    wa.send(Type=15, Id=first["Id"], Content="hello", ClientMsgId="e-1")
    seen = until(wb, lambda f: f.get("Type") == 15)
    assert seen["MsgId"] == first["Id"] and seen["Content"] == "hello" and seen["Edited"] > 0
    assert seen["Id"] > keep["Id"], "the edit has its own place in the Id sequence"
    assert (seen["ChatType"], seen["UserId"], seen["TargetId"]) == (1, a.id, b.id)
    assert until(wa, lambda f: f.get("Type") == 15) == seen, "the sender's other tabs follow"
    # History and sync give the latest text with the mark.
    for user, other in ((a, b), (b, a)):
        rows = history(user, 1, other.id)
        assert [(r["Content"], bool(r.get("Edited"))) for r in rows] == [("hello", True), ("keep", False)]
    synced = listing(b.get("/message/sync", since=0))["Rows"]
    assert synced[0]["Content"] == "hello" and synced[0]["Edited"] == seen["Edited"]
    # A reconnect that had seen both messages but not the edit gets the edit, once.
    replay = b.ws(since=keep["Id"])
    got = replay.quiet(0.6)
    assert got == [seen]
    assert b.ws(since=seen["Id"]).quiet(0.4) == [], "nothing twice"
    # Over HTTP too; a second edit moves the change further on.
    body = answer(a.post("/message/edit", id=first["Id"], content="hello again"), 200)
    assert body["Data"]["Content"] == "hello again" and body["Data"]["Id"] > seen["Id"]
    assert until(wb, lambda f: f.get("Type") == 15)["Content"] == "hello again"
    assert b.ws(since=keep["Id"]).quiet(0.6) == [body["Data"]], "only the latest state is replayed"


def test_edit_refusals_change_nothing(api, make_server):
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa, wb = a.ws(), b.ws()
    mine, other, emoji = send_texts(wa, b.id, ["mine", "to recall", "x"])
    wb.messages(3)
    wa.send(Type=1, TargetId=b.id, Media=2, Content="🙂")
    sticker = wa.messages(1)[0]
    wb.messages(1)
    error(b.post("/message/edit", id=mine["Id"], content="forged"), 404)
    wb.send(Type=15, Id=mine["Id"], Content="forged", UserId=a.id)
    assert until(wb, lambda f: f.get("Type") == -1)["Code"] == 404
    error(a.post("/message/edit", id=mine["Id"], content="   "), 400, "content")
    error(a.post("/message/edit", id=mine["Id"]), 400, "content")
    error(a.post("/message/edit", id=mine["Id"], content="x" * 5000), 413)
    error(a.post("/message/edit", id=sticker["Id"], content="text"), 400, "text")
    error(a.post("/message/edit", id=10**15, content="text"), 404)
    error(a.post("/message/edit", id="abc", content="text"), 400)
    wa.send(Type=15, Id=mine["Id"], Content=42)
    assert until(wa, lambda f: f.get("Type") == -1)["Code"] == 400
    answer(a.post("/message/recall", id=other["Id"]), 200)
    error(a.post("/message/edit", id=other["Id"], content="back"), 409, "recalled")
    rows = history(a, 1, b.id)
    assert [r["Content"] for r in rows] == ["mine", "", "x", "🙂"]
    assert not any(r.get("Edited") for r in rows)
    assert [f for f in wb.quiet(0.3) if f.get("Type") == 15] == []
    # EDIT_SECONDS: a window, like recall's.
    api2 = Api(make_server(EDIT_SECONDS=0.001))
    c, d = api2.user(), api2.user()
    api2.befriend(c, d)
    old = send_texts(c.ws(), d.id, ["old"])[0]
    error(c.post("/message/edit", id=old["Id"], content="new"), 403, "seconds")


# --- reactions ------------------------------------------------------------------------------
def test_reactions_live_idempotent_in_history_and_replay(api):
    owner, member, outsider = api.user(), api.user(), api.user()
    group = api.group(owner, member)
    gid = group["ID"]
    wo, wm = owner.ws(), member.ws()
    msg = send_texts(wo, gid, ["react to me"], type_=2)[0]
    wm.messages(1)
    wm.send(Type=16, Id=msg["Id"], Emoji="👍")
    frame = until(wo, lambda f: f.get("Type") == 15)
    assert frame["MsgId"] == msg["Id"]
    assert frame["Reactions"] == [{"Emoji": "👍", "Count": 1, "UserIds": [member.id]}]
    body = answer(owner.post("/message/react", id=msg["Id"], emoji="👍"), 200)
    assert body["Data"]["Reactions"] == [{"Emoji": "👍", "Count": 2, "UserIds": [member.id, owner.id]}]
    assert until(wm, lambda f: f.get("Type") == 15 and f["Id"] == body["Data"]["Id"])["Reactions"][0]["Count"] == 2
    # Adding again, or removing what is not there: nothing changes, nothing is sent.
    again = answer(owner.post("/message/react", id=msg["Id"], emoji="👍"), 200)["Data"]
    assert again == body["Data"]
    answer(owner.post("/message/react", id=msg["Id"], emoji="🎉", remove="true"), 200)
    assert updates(wm, 0.4) == []
    # Families, flags and skin tones are one emoji each; MariaDB keeps them apart.
    for emoji in ("👨‍👩‍👧‍👦", "🇫🇷", "👍🏽", "😂", "😀"):
        answer(member.post("/message/react", id=msg["Id"], emoji=emoji), 200)
    rows = history(owner, 2, gid)
    assert [(r["Emoji"], r["Count"]) for r in rows[0]["Reactions"]] == [
        ("👍", 2),
        ("👨‍👩‍👧‍👦", 1),
        ("🇫🇷", 1),
        ("👍🏽", 1),
        ("😂", 1),
        ("😀", 1),
    ]
    top = until(wo, lambda f: f.get("Type") == 15 and len(f["Reactions"]) == 6)["Id"]
    removed = answer(member.post("/message/react", id=msg["Id"], emoji="👍", remove="1"), 200)["Data"]
    assert removed["Reactions"][0] == {"Emoji": "👍", "Count": 1, "UserIds": [owner.id]}
    # Replay from before the removal: the state after it, once.
    got = owner.ws(since=top).quiet(0.6)
    assert [f["Reactions"] for f in got] == [removed["Reactions"]]
    # Refusals: not one emoji, a message one may not read, a recalled one.
    for bad in ("", "a", "👍👍", "<b>", "👍 x", "x" * 100):
        error(member.post("/message/react", id=msg["Id"], emoji=bad), 400)
    error(outsider.post("/message/react", id=msg["Id"], emoji="👍"), 404)
    wx = outsider.ws()
    wx.send(Type=16, Id=msg["Id"], Emoji="👍")
    assert until(wx, lambda f: f.get("Type") == -1)["Code"] == 404
    wm.send(Type=16, Id=msg["Id"], Emoji="👍", Add="yes")
    assert until(wm, lambda f: f.get("Type") == -1)["Code"] == 400
    answer(owner.post("/message/recall", id=msg["Id"]), 200)
    error(member.post("/message/react", id=msg["Id"], emoji="🎉"), 409)
    assert "Reactions" not in history(owner, 2, gid)[0]


def test_reactions_per_user_limit(make_server):
    api = Api(make_server(REACTIONS_PER_USER=2))
    a, b = api.user(), api.user()
    api.befriend(a, b)
    msg = send_texts(a.ws(), b.id, ["limit"])[0]
    answer(b.post("/message/react", id=msg["Id"], emoji="😀"), 200)
    answer(b.post("/message/react", id=msg["Id"], emoji="😂"), 200)
    error(b.post("/message/react", id=msg["Id"], emoji="🎉"), 400, "at most 2")
    answer(a.post("/message/react", id=msg["Id"], emoji="🎉"), 200)  # the limit is per person
    assert sum(r["Count"] for r in history(a, 1, b.id)[0]["Reactions"]) == 3


# --- reply -------------------------------------------------------------------------------
def test_reply_quotes_the_original_resolved_when_read(api):
    a, b, c = api.user(), api.user(), api.user()
    api.befriend(a, b)
    api.befriend(a, c)
    wa, wb = a.ws(), b.ws()
    original, doomed = send_texts(wa, b.id, ["the original text", "soon recalled"])
    wb.messages(2)
    wb.send(Type=1, TargetId=a.id, Content="a reply", ReplyTo=original["Id"])
    reply = wb.messages(1)[0]
    assert reply["ReplyTo"] == original["Id"]
    quote = {"Id": original["Id"], "UserId": a.id, "Media": 1, "Snippet": "the original text"}
    assert reply["Reply"] == quote
    assert wa.messages(1)[0]["Reply"] == quote
    wb.send(Type=1, TargetId=a.id, Content="to the doomed one", ReplyTo=doomed["Id"])
    second = wb.messages(1)[0]
    answer(a.post("/message/recall", id=doomed["Id"]), 200)
    rows = history(b, 1, a.id)
    assert rows[2]["Reply"] == quote
    assert rows[3]["Reply"] == {"Id": doomed["Id"], "Recalled": True}, "a recalled original shows only that"
    assert b.ws(since=second["Id"] - 1).messages(1)[0]["Reply"] == {"Id": doomed["Id"], "Recalled": True}
    # Refusals: another conversation, a recalled original, no such message, a bad Id.
    wc = c.ws()
    in_c = send_texts(wc, a.id, ["c's chat"])[0]
    for bad, code in ((in_c["Id"], 400), (doomed["Id"], 409), (10**15, 400), ("x", 400), (-1, 400)):
        wb.send(Type=1, TargetId=a.id, Content="sneaky", ReplyTo=bad, ClientMsgId="r-1")
        err = until(wb, lambda f: f.get("Type") in (-1, 1))
        assert err["Type"] == -1 and err["Code"] == code and err["ClientMsgId"] == "r-1", err
    assert [r["Content"] for r in history(b, 1, a.id)].count("sneaky") == 0


def test_reply_in_a_group_hides_what_a_late_member_may_not_read(api):
    owner, early, late = api.user(), api.user(), api.user()
    group = api.group(owner, early)
    gid = group["ID"]
    answer(owner.post("/contact/updateGroup", comId=gid, history="join"), 200)
    wo = owner.ws()
    before = send_texts(wo, gid, ["before the join"], type_=2)[0]
    answer(late.post("/contact/joinGroup", comId=gid), 200)
    wl = late.ws()
    wl.send(Type=2, TargetId=gid, Content="me too", ReplyTo=before["Id"])
    assert until(wl, lambda f: f.get("Type") == -1)["Code"] == 403
    wo.send(Type=2, TargetId=gid, Content="answering myself", ReplyTo=before["Id"])
    live = wl.messages(1)[0]
    assert live["Reply"] == {"Id": before["Id"], "Unavailable": True}, "the live frame holds for every member"
    assert history(late, 2, gid)[-1]["Reply"] == {"Id": before["Id"], "Unavailable": True}
    assert history(early, 2, gid)[-1]["Reply"]["Snippet"] == "before the join"


# --- mentions -----------------------------------------------------------------------------
def test_mentions_are_resolved_stored_and_listed(api):
    owner, ann, bob, outsider = api.user("own"), api.user("ann"), api.user("bob"), api.user("out")
    group = api.group(owner, ann, bob)
    gid = group["ID"]
    wo, wa = owner.ws(), ann.ws()
    text = f"hi @{ann.name}, and @{bob.name}! not @{outsider.name} nor @nobody or mail@{ann.name}"
    msg = send_texts(wo, gid, [text], type_=2)[0]
    assert msg["Mentions"] == [ann.id, bob.id]
    assert wa.messages(1)[0]["Mentions"] == [ann.id, bob.id]
    plain = send_texts(wo, gid, ["no mention"], type_=2)[0]
    assert "Mentions" not in plain
    body = answer(ann.get("/message/mentions"), 200)
    assert [r["Id"] for r in body["Rows"]] == [msg["Id"]] and body["Total"] == 1
    assert body["Data"] == {"Unread": 1, "Groups": [{"GroupId": gid, "Unread": 1}]}
    answer(ann.post("/message/read", type=2, targetId=gid), 200)
    assert answer(ann.get("/message/mentions"), 200)["Data"] == {"Unread": 0, "Groups": []}
    assert answer(outsider.get("/message/mentions"), 200)["Rows"] == []
    # An edit re-reads the mentions; one in a private chat is plain text.
    edited = answer(owner.post("/message/edit", id=msg["Id"], content=f"only @{bob.name.upper()}"), 200)["Data"]
    assert edited["Mentions"] == [bob.id]
    assert answer(ann.get("/message/mentions"), 200)["Rows"] == []
    assert [r["Id"] for r in answer(bob.get("/message/mentions"), 200)["Rows"]] == [msg["Id"]]
    # Paged newest first; a member who left reads nothing of the group.
    more = send_texts(wo, gid, [f"@{bob.name} {i}" for i in range(3)], type_=2)
    page = answer(bob.get("/message/mentions", limit=2), 200)
    assert [r["Id"] for r in page["Rows"]] == [more[2]["Id"], more[1]["Id"]] and page["Total"] == 4
    rest = answer(bob.get("/message/mentions", before=more[1]["Id"]), 200)["Rows"]
    assert [r["Id"] for r in rest] == [more[0]["Id"], msg["Id"]]
    error(bob.get("/message/mentions", limit=0), 400)
    answer(bob.post("/contact/quitGroup", comId=gid), 200)
    assert answer(bob.get("/message/mentions"), 200)["Rows"] == []


def test_a_dissolved_group_takes_its_reactions_and_mentions_along(api, app):
    from sqlalchemy import func, select

    from ginchat.extensions import db
    from ginchat.models.message_parts import message_mention, message_reaction

    owner, member = api.user("own"), api.user("mem")
    gid = api.group(owner, member)["ID"]
    msg = send_texts(owner.ws(), gid, [f"bye @{member.name}"], type_=2)[0]
    answer(member.post("/message/react", id=msg["Id"], emoji="👋"), 200)
    answer(member.post("/contact/quitGroup", comId=gid), 200)
    answer(owner.post("/contact/quitGroup", comId=gid), 200)  # alone: the group is dissolved

    def left(table):
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(table).where(table.c.message_id == msg["Id"]))

    assert left(message_reaction) == 0 and left(message_mention) == 0
