"""Issue 27, a team's private chats with colleagues (people who are not
friends) as the app lists them: /searchFriends with chats=true adds the
colleagues one has a private conversation with, and /contact/mute mutes a
private chat with a colleague. Each on both settings of DIRECT_MESSAGES: the
shared server runs members, ``friends_api`` a server of friends."""

from helpers import until, ws_events
from http_checks import answer, error, listing


def chat_rows(user, **params):
    return listing(user.post("/searchFriends", **params))["Rows"]


def write(sender, target, text):
    conn = sender.ws()
    conn.send(Type=1, TargetId=target.id, Content=text, ClientMsgId=f"t-{target.id}")
    assert conn.messages(1)[0]["Content"] == text


# --- the chat list: colleagues one has a conversation with ----------------------------------
def test_chats_lists_the_colleagues_one_writes_with_beside_the_friends(api):
    lead, colleague, friend, quiet = api.user("lead"), api.user("col"), api.user("fr"), api.user("quiet")
    api.befriend(lead, friend)
    write(colleague, lead, "first words")
    # Without chats: friends only, as before.
    assert [r["ID"] for r in chat_rows(lead)] == [friend.id]
    rows = {r["ID"]: r for r in chat_rows(lead, chats="true")}
    assert set(rows) == {friend.id, colleague.id}  # never someone with no conversation
    row = rows[colleague.id]
    assert (row["Relation"], row["Unread"], row["LastMessage"]["Content"]) == ("", 1, "first words")
    assert row["Muted"] is False and (row["Phone"], row["Email"]) == ("", "")  # no contact details
    assert rows[friend.id]["Relation"] == "friend"
    # The writer lists the reader too; a block (either way) takes the row away.
    assert [r["ID"] for r in chat_rows(colleague, chats="true")] == [lead.id]
    answer(lead.post("/contact/block", targetId=colleague.id), 200)
    assert [r["ID"] for r in chat_rows(colleague, chats="true")] == []
    assert colleague.id not in {r["ID"] for r in chat_rows(lead, chats="true")}
    assert quiet.id not in {r["ID"] for r in chat_rows(lead, chats="true")}
    error(lead.post("/searchFriends", chats="maybe"), 400, "chats")


def test_chats_lists_friends_only_on_a_server_of_friends(friends_api):
    a, b = friends_api.user(), friends_api.user()
    friends_api.befriend(a, b)
    write(a, b, "hello")
    answer(a.post("/contact/removeFriend", targetId=b.id), 200)
    # The old conversation stays readable, but it is no chat one may write in.
    assert chat_rows(a, chats="true") == []


# --- muting a colleague's chat ------------------------------------------------------------
def test_mute_a_private_chat_with_a_colleague(api):
    a, b = api.user("a"), api.user("b")
    write(b, a, "a question")
    other_device = ws_events(a)
    data = answer(a.post("/contact/mute", type=1, targetId=b.id), 200)["Data"]
    assert data == {"ChatType": 1, "TargetId": b.id, "Muted": True, "Completely": False}
    note = until(other_device, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["ChatType"], note["UserId"], note["Muted"]) == ("muted", 1, b.id, True)
    assert [r["Muted"] for r in chat_rows(a, chats="true")] == [True]
    assert [r["Muted"] for r in chat_rows(b, chats="true")] == [False]  # b's side is theirs
    # Becoming friends keeps the mute; unmuting clears it whichever row holds it.
    api.befriend(a, b)
    assert [r["Muted"] for r in chat_rows(a)] == [True]
    answer(a.post("/contact/mute", type=1, targetId=b.id, muted="false"), 200)
    assert [r["Muted"] for r in chat_rows(a, chats="true")] == [False]
    answer(a.post("/contact/removeFriend", targetId=b.id), 200)
    answer(a.post("/contact/mute", type=1, targetId=b.id), 200)
    answer(a.post("/contact/mute", type=1, targetId=b.id), 200)  # twice is once
    # Muted completely (not even @all or a mention alerts), a colleague's chat as a friend's.
    data = answer(a.post("/contact/mute", type=1, targetId=b.id, completely="true"), 200)["Data"]
    assert data == {"ChatType": 1, "TargetId": b.id, "Muted": True, "Completely": True}
    assert [(r["Muted"], r["MutedCompletely"]) for r in chat_rows(a, chats="true")] == [(True, True)]
    answer(a.post("/contact/mute", type=1, targetId=b.id), 200)
    assert [(r["Muted"], r["MutedCompletely"]) for r in chat_rows(a, chats="true")] == [(True, False)]
    assert [r["Muted"] for r in chat_rows(a, chats="true")] == [True]


def test_mute_refuses_a_chat_one_may_not_have(api, friends_api):
    a, b = api.user(), api.user()
    error(a.post("/contact/mute", type=1, targetId=2_000_000_000), 404)
    error(a.post("/contact/mute", type=1, targetId=a.id), 403)
    answer(b.post("/contact/block", targetId=a.id), 200)
    error(a.post("/contact/mute", type=1, targetId=b.id), 403, "blocked")
    # On a server of friends a colleague's chat is no chat of mine.
    fa, fb = friends_api.user(), friends_api.user()
    error(fa.post("/contact/mute", type=1, targetId=fb.id), 404, "friend")
    friends_api.befriend(fa, fb)
    answer(fa.post("/contact/mute", type=1, targetId=fb.id), 200)
    assert [r["Muted"] for r in chat_rows(fa, chats="true")] == [True]


# --- the directory says whom one may message -------------------------------------------------
def test_directory_and_search_say_whom_one_may_message(api, friends_api):
    for kind, server_api in (("members", api), ("friends", friends_api)):
        me, friend, colleague, blocked = (server_api.user(n) for n in ("me", "fr", "col", "blk"))
        server_api.befriend(me, friend)
        answer(me.post("/contact/block", targetId=blocked.id), 200)
        rows = {r["ID"]: r for r in directory_rows(me)}
        found = {r["ID"]: r for r in listing(me.get("/user/search", q=colleague.name))["Rows"]}
        assert found[colleague.id]["MayMessage"] is (kind == "members")
        assert rows[friend.id]["MayMessage"] is True, kind
        assert rows[colleague.id]["MayMessage"] is (kind == "members"), kind
        assert rows[blocked.id]["MayMessage"] is False, kind
        assert rows[blocked.id]["Relation"] == "blocked"


def directory_rows(user):
    rows, page = [], 1
    while True:
        body = listing(user.get("/user/search", page=page, size=50))
        rows += body["Rows"]
        if len(rows) >= body["Total"] or not body["Rows"]:
            return rows
        page += 1
