"""Threads (issue 28 item 1): a reply carries its root's Id (RootId) over the
socket, in history, sync, search and `since` replay; the conversation shows
only the root's line (Thread) unless a reply is also sent to it; each user
has per thread a follow mark, a read position and an unread count, the same
on all their devices; the Threads view lists followed threads, unread ones
first, paged; and every bad input is a 4xx that stores nothing."""

from helpers import send_texts, until
from http_checks import answer, error, listing


def reply(conn, chat_type, target, root_id, text, **more):
    conn.send(Type=chat_type, TargetId=target, Content=text, RootId=root_id, **more)
    return until(conn, lambda f: f.get("Type") == chat_type and f.get("Content") == text)


def thread(user, root_id, **params):
    return answer(user.get("/message/thread", rootId=root_id, **params), 200)


def followed(user, **params):
    return answer(user.get("/message/threads", **params), 200)


def history(user, chat_type, target, **params):
    return listing(user.get("/message/history", type=chat_type, targetId=target, **params))


def group_unread(user, gid):
    rows = listing(user.post("/contact/loadcommunity"))["Rows"]
    return next(r for r in rows if r["ID"] == gid)


def test_replies_carry_the_root_and_the_conversation_shows_its_line(api):
    owner, member, third = api.user("o"), api.user("m"), api.user("t")
    gid = api.group(owner, member, third)["ID"]
    wo, wm, wt = owner.ws(), member.ws(), third.ws()
    root, after = send_texts(wo, gid, ["plan the offsite?", "unrelated"], type_=2)
    wm.messages(2), wt.messages(2)
    got = reply(wm, 2, gid, root["Id"], "yes, in May")
    assert got["RootId"] == root["Id"] and "AlsoInChat" not in got
    for conn in (wo, wt):
        assert until(conn, lambda f: f.get("Content") == "yes, in May")["RootId"] == root["Id"]
    also = reply(wt, 2, gid, root["Id"], "May works", AlsoInChat=True)
    assert also["AlsoInChat"] is True
    # History: everything by default (older clients see replies as messages);
    # inChat leaves the thread-only reply out, and the root has its line.
    everything = history(owner, 2, gid)
    assert [r["Content"] for r in everything["Rows"]] == ["plan the offsite?", "unrelated", "yes, in May", "May works"]
    shown = history(owner, 2, gid, inChat="true")
    assert [r["Content"] for r in shown["Rows"]] == ["plan the offsite?", "unrelated", "May works"]
    assert shown["Total"] == 3 and everything["Total"] == 4
    line = shown["Rows"][0]["Thread"]
    assert line == {"Replies": 2, "LastId": also["Id"], "LastTime": also["CreateTime"]}
    assert "Thread" not in shown["Rows"][1]
    # The thread itself: root, then replies oldest first; paged.
    body = thread(third, root["Id"])
    assert body["Data"]["Root"]["Id"] == root["Id"] and body["Total"] == 2
    assert [r["Content"] for r in body["Rows"]] == ["yes, in May", "May works"]
    assert [r["Content"] for r in thread(third, root["Id"], limit=1)["Rows"]] == ["May works"]
    assert [r["Content"] for r in thread(third, root["Id"], before=also["Id"])["Rows"]] == ["yes, in May"]
    assert [r["Content"] for r in thread(third, root["Id"], after=got["Id"])["Rows"]] == ["May works"]
    # The group's unread count and last message are the conversation's: a
    # thread-only reply counts in its thread, not in the group.
    row = group_unread(owner, gid)
    assert row["Unread"] == 1 and row["LastMessage"]["Content"] == "May works"
    reply(wm, 2, gid, root["Id"], "booked")
    row = group_unread(owner, gid)
    assert row["Unread"] == 1 and row["LastMessage"]["Content"] == "May works"
    assert after["Id"] < got["Id"]
    # Sync and search carry RootId, so a search hit opens the thread.
    synced = listing(third.get("/message/sync", since=after["Id"]))["Rows"]
    assert [(r["Content"], r.get("RootId")) for r in synced] == [
        ("yes, in May", root["Id"]),
        ("May works", root["Id"]),
        ("booked", root["Id"]),
    ]
    hits = answer(third.get("/message/search", q="booked"), 200)["Rows"]
    assert hits and hits[0]["RootId"] == root["Id"]


def test_unread_counts_follow_the_user_across_two_devices(api, pair):
    a, b = pair
    b_phone = api.login(b.name)
    wa, wb, wphone = a.ws(), b.ws(), b_phone.ws()
    root = send_texts(wb, a.id, ["lunch?"])[0]
    wa.messages(1), wphone.messages(1)
    first = reply(wa, 1, b.id, root["Id"], "sure")
    second = reply(wa, 1, b.id, root["Id"], "12:30?")
    until(wphone, lambda f: f.get("Id") == second["Id"])
    # B started it, A replied: both follow. B has two unread replies, A none.
    mine = followed(b)
    assert mine["Total"] == 1 and mine["Data"] == {"Unread": 1}
    state = mine["Rows"][0]
    assert (state["RootId"], state["ChatType"], state["TargetId"]) == (root["Id"], 1, a.id)
    assert (state["Unread"], state["ReadId"], state["Following"], state["Replies"]) == (2, 0, True, 2)
    assert followed(a)["Rows"][0]["Unread"] == 0 and followed(a)["Data"]["Unread"] == 0
    # The laptop reads up to the first reply: the phone hears it and counts 1.
    done = answer(b.post("/message/thread/read", rootId=root["Id"], id=first["Id"]), 200)["Data"]
    assert (done["Unread"], done["ReadId"]) == (1, first["Id"])
    heard = until(wphone, lambda f: f.get("Type") == 23)
    assert heard == {"Type": 23, **done}
    assert until(wb, lambda f: f.get("Type") == 23) == heard
    assert followed(b_phone)["Rows"][0]["Unread"] == 1
    # Forward only: an older position changes nothing; no id reads it all.
    assert answer(b_phone.post("/message/thread/read", rootId=root["Id"], id=1), 200)["Data"]["ReadId"] == first["Id"]
    assert answer(b_phone.post("/message/thread/read", rootId=root["Id"]), 200)["Data"]["Unread"] == 0
    assert followed(b)["Data"]["Unread"] == 0 and followed(b)["Rows"][0]["Unread"] == 0
    assert thread(b, root["Id"])["Data"]["Unread"] == 0
    # A new reply counts again; one's own reply reads the thread up to it.
    reply(wa, 1, b.id, root["Id"], "see you")
    assert followed(b)["Rows"][0]["Unread"] == 1
    reply(wb, 1, a.id, root["Id"], "ok")
    assert followed(b)["Rows"][0]["Unread"] == 0
    assert followed(a)["Rows"][0]["Unread"] == 1


def test_follow_unfollow_mentions_and_the_list_order(api):
    owner, member, watcher = api.user("o"), api.user("m"), api.user("w")
    gid = api.group(owner, member, watcher)["ID"]
    wo, wm = owner.ws(), member.ws()
    old, new, quiet = send_texts(wo, gid, ["old topic", "new topic", "quiet topic"], type_=2)
    reply(wm, 2, gid, old["Id"], "on the old one")
    # A mention makes the watcher follow; they did not start or reply.
    reply(wm, 2, gid, new["Id"], f"@{watcher.name} have a look")
    rows = followed(watcher)["Rows"]
    assert [r["RootId"] for r in rows] == [new["Id"]] and rows[0]["Unread"] == 1
    # Following by hand, even a thread with no replies yet.
    state = answer(watcher.post("/message/thread/follow", rootId=quiet["Id"]), 200)["Data"]
    assert state["Following"] is True and state["Replies"] == 0
    answer(watcher.post("/message/thread/follow", rootId=old["Id"], follow="true"), 200)
    listed = followed(watcher)
    assert listed["Total"] == 3 and listed["Data"]["Unread"] == 2
    # Unread first (newest reply first among them), then the rest.
    assert [r["RootId"] for r in listed["Rows"]] == [new["Id"], old["Id"], quiet["Id"]]
    assert [r["RootId"] for r in followed(watcher, page=2, size=1)["Rows"]] == [old["Id"]]
    assert followed(watcher, page=4, size=1)["Rows"] == []
    answer(watcher.post("/message/thread/read", rootId=new["Id"]), 200)
    assert [r["RootId"] for r in followed(watcher)["Rows"]] == [old["Id"], new["Id"], quiet["Id"]]
    # Leaving: off the list, and its replies no longer count there.
    left = answer(watcher.post("/message/thread/follow", rootId=old["Id"], follow="false"), 200)["Data"]
    assert left["Following"] is False
    assert [r["RootId"] for r in followed(watcher)["Rows"]] == [new["Id"], quiet["Id"]]
    assert thread(watcher, old["Id"])["Data"]["Following"] is False
    # The owner follows what they started; leaving it stays until they reply.
    assert {r["RootId"] for r in followed(owner)["Rows"]} == {old["Id"], new["Id"]}
    answer(owner.post("/message/thread/follow", rootId=old["Id"], follow="false"), 200)
    reply(wm, 2, gid, old["Id"], "still on the old one")
    assert {r["RootId"] for r in followed(owner)["Rows"]} == {new["Id"]}
    reply(wo, 2, gid, old["Id"], "fine")
    assert {r["RootId"] for r in followed(owner)["Rows"]} == {old["Id"], new["Id"]}
    # Who leaves the group no longer sees its threads.
    answer(watcher.post("/contact/quitGroup", comId=gid), 200)
    assert followed(watcher)["Total"] == 0
    error(watcher.get("/message/thread", rootId=new["Id"]), 403)


def test_bad_thread_replies_are_refused_and_store_nothing(api, pair):
    a, b = pair
    owner, member = api.user("o"), api.user("m")
    group = api.group(owner, member)
    gid = group["ID"]
    wa, wo, wm = a.ws(), owner.ws(), member.ws()
    private_root = send_texts(wa, b.id, ["private root"])[0]
    root = send_texts(wo, gid, ["group root"], type_=2)[0]
    wm.messages(1)
    child = reply(wm, 2, gid, root["Id"], "a reply")
    before = history(owner, 2, gid)["Total"]

    def refused(conn, code, **frame):
        conn.send(Type=2, TargetId=gid, Content="nope", ClientMsgId="bad-1", **frame)
        got = until(conn, lambda f: f.get("Type") == -1)
        assert got["Code"] == code and got["ClientMsgId"] == "bad-1", got
        return got["Msg"]

    assert "no message of this conversation" in refused(wm, 400, RootId=private_root["Id"])
    assert "threads are one level" in refused(wm, 400, RootId=child["Id"])
    assert "no message" in refused(wm, 400, RootId=10**12)
    assert "RootId" in refused(wm, 400, RootId="abc")
    assert "RootId" in refused(wm, 400, RootId=-3)
    assert "AlsoInChat" in refused(wm, 400, AlsoInChat=True)
    assert "AlsoInChat" in refused(wm, 400, RootId=root["Id"], AlsoInChat="yes")
    # A root one may not read: before one's history (History join), or recalled.
    answer(owner.post("/contact/updateGroup", comId=gid, history="join"), 200)
    late = api.user("late")
    answer(late.post("/contact/joinGroup", comId=gid), 200)
    wl = late.ws()
    wl.send(Type=2, TargetId=gid, Content="hi", RootId=root["Id"])
    assert until(wl, lambda f: f.get("Type") == -1)["Code"] == 403
    error(late.get("/message/thread", rootId=root["Id"]), 403)
    error(late.post("/message/thread/follow", rootId=root["Id"]), 403)
    error(late.post("/message/thread/read", rootId=root["Id"]), 403)
    # An outsider: not a member (the write rule), and no reading either.
    outsider = api.user("x")
    wx = outsider.ws()
    wx.send(Type=2, TargetId=gid, Content="hi", RootId=root["Id"])
    assert until(wx, lambda f: f.get("Type") == -1)["Code"] == 403
    error(outsider.get("/message/thread", rootId=root["Id"]), 403)
    error(outsider.get("/message/thread", rootId=private_root["Id"]), 404)
    error(outsider.post("/message/thread/follow", rootId=private_root["Id"]), 404)
    # Malformed or pointless HTTP input.
    error(owner.get("/message/thread", rootId=child["Id"]), 400, "reply")
    error(owner.get("/message/thread"), 400, "rootId")
    error(owner.get("/message/thread", rootId="x"), 400)
    error(owner.get("/message/thread", rootId=10**12), 404)
    error(owner.get("/message/threads", size=1000), 400)
    error(owner.post("/message/thread/read", rootId=root["Id"], id="x"), 400)
    error(owner.post("/message/thread/follow", rootId=root["Id"], follow="maybe"), 400)
    error(owner.get("/message/history", type=2, targetId=gid, inChat="maybe"), 400)
    assert history(owner, 2, gid)["Total"] == before
    assert thread(owner, root["Id"])["Total"] == 1
    assert followed(outsider)["Total"] == 0 and followed(late)["Total"] == 0


def test_a_recalled_root_keeps_its_thread_readable(api, pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    root = send_texts(wa, b.id, ["to take back"])[0]
    wb.messages(1)
    kept = reply(wb, 1, a.id, root["Id"], "an answer")
    answer(a.post("/message/recall", id=root["Id"]), 200)
    body = thread(b, root["Id"])
    assert body["Data"]["Root"]["Recalled"] is True and body["Data"]["Root"]["Thread"]["Replies"] == 1
    assert [r["Id"] for r in body["Rows"]] == [kept["Id"]]
    shown = history(a, 1, b.id, inChat="1")["Rows"]
    assert shown[0]["Recalled"] is True and shown[0]["Thread"]["LastId"] == kept["Id"]
    # Closed to new replies, still followed and listed.
    wb.send(Type=1, TargetId=a.id, Content="more", RootId=root["Id"])
    assert until(wb, lambda f: f.get("Type") == -1)["Code"] == 409
    assert followed(a)["Rows"][0]["RootId"] == root["Id"]


def test_since_replays_thread_replies_once(pair):
    a, b = pair
    wa, wb = a.ws(), b.ws()
    root = send_texts(wa, b.id, ["root"])[0]
    wb.messages(1)
    got = [reply(wa, 1, b.id, root["Id"], f"r{n}") for n in range(3)]
    replay = [f for f in b.ws(since=root["Id"]).quiet(0.6) if f.get("Type") == 1]
    assert [(f["Id"], f["RootId"]) for f in replay] == [(g["Id"], root["Id"]) for g in got]
    assert b.ws(since=got[-1]["Id"]).quiet(0.4) == []


def test_a_thread_shows_no_quote_from_before_the_reader_s_history(api):
    owner = api.user("o")
    gid = api.group(owner)["ID"]
    answer(owner.post("/contact/updateGroup", comId=gid, history="join"), 200)
    wo = owner.ws()
    secret = send_texts(wo, gid, ["before you came"], type_=2)[0]
    late = api.user("late")
    answer(late.post("/contact/joinGroup", comId=gid), 200)
    root = send_texts(wo, gid, ["welcome"], type_=2)[0]
    quoting = reply(wo, 2, gid, root["Id"], "as I said", ReplyTo=secret["Id"])
    assert quoting["Reply"]["Id"] == secret["Id"]
    body = thread(late, root["Id"])
    assert body["Rows"][0]["Reply"] == {"Id": secret["Id"], "Unavailable": True}
    assert thread(owner, root["Id"])["Rows"][0]["Reply"]["Snippet"] == "before you came"


def test_a_private_chat_whose_newest_message_is_a_thread_reply_lists_its_last_shown_line(pair):
    """The friend list's LastMessage of a private chat whose newest message is
    a thread-only reply is the last message the chat shows (the root), as for
    a group; its look-up once passed a bare 0 as a condition (a 500)."""
    a, b = pair
    wa, wb = a.ws(), b.ws()
    root = send_texts(wb, a.id, ["lunch?"])[0]
    wa.messages(1)
    reply(wa, 1, b.id, root["Id"], "sure")
    rows = listing(b.post("/searchFriends"))["Rows"]
    row = next(r for r in rows if r["ID"] == a.id)
    assert row["LastMessage"]["Id"] == root["Id"] and row["Unread"] == 0
