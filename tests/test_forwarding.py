"""Forwarding (issue 28 item 3) over HTTP and the socket: one by one (each a
new message with ``Forward``) or merged into a chat record (Media 6, its
items read by GET /message/record); only what one may read, only where one
may write; live to the conversation, in history, replayed by ``since``; a
forwarded file is the same upload, kept while anything points at it; every
bad input a 4xx that stores nothing."""

import json

import requests

from helpers import send_texts, until
from http_checks import answer, error, listing

FILE = "/attach/file"


def history(user, chat_type, target):
    return listing(user.get("/message/history", type=chat_type, targetId=target))["Rows"]


def stored_file(user, content, filename="notes.txt"):
    files = {"file": (filename, content, "application/octet-stream")}
    r = requests.post(user.api.url + FILE, files=files, headers=user.auth, timeout=30)
    return answer(r, 200)["Data"]


def fetch(user, url):
    return requests.get(user.api.url + url, headers=user.auth, timeout=30)


def trio(api):
    """a and b chat privately; a and c share a group."""
    a, b, c = api.user("a"), api.user("b"), api.user("c")
    group = api.group(a, c)
    return a, b, c, group["ID"]


def test_one_by_one_to_a_group_live_in_history_and_replayed(api):
    a, b, c, gid = trio(api)
    wa, wb, wc = a.ws(), b.ws(), c.ws()
    hello, world = send_texts(wa, b.id, ["hello", "world"])
    wb.messages(2)
    wb.send(Type=1, TargetId=a.id, Media=2, Content="👍")
    thumbs = wb.messages(1)[0]
    wa.messages(1)
    before = c.ws()  # c's place before the forward: since replays from here
    top = thumbs["Id"]
    body = answer(
        a.post("/message/forward", ids=f"{thumbs['Id']},{hello['Id']}", type=2, targetId=gid, clientMsgId="f-1"),
        201,
    )
    rows = body["Rows"]
    assert [(r["Type"], r["TargetId"], r["UserId"], r["Media"], r["Content"]) for r in rows] == [
        (2, gid, a.id, 1, "hello"),
        (2, gid, a.id, 2, "👍"),
    ], "oldest first, whatever order the ids came in"
    assert rows[0]["Forward"] == {"UserId": a.id, "Name": a.name, "CreateTime": hello["CreateTime"]}
    assert rows[1]["Forward"] == {"UserId": b.id, "Name": b.name, "CreateTime": thumbs["CreateTime"]}
    assert [r["ClientMsgId"] for r in rows] == ["f-1", "f-1~1"]
    assert "Mentions" not in rows[0] and "ReplyTo" not in rows[0]
    # Live to every member (the sender's copy too), in history, and by since.
    assert wc.messages(2) == rows
    assert wa.messages(2) == rows
    assert history(c, 2, gid) == rows
    assert [f for f in c.ws(since=top).quiet(0.6) if f.get("Type") == 2] == rows
    assert before.messages(2) == rows
    # A resend stores nothing new and answers the stored ones.
    again = answer(
        a.post("/message/forward", ids=f"{hello['Id']},{thumbs['Id']}", type=2, targetId=gid, clientMsgId="f-1"),
        200,
    )
    assert again["Rows"] == rows
    assert len(history(c, 2, gid)) == 2
    # A forward of a forward keeps who first wrote it.
    wc.send(Type=22, Ids=[rows[1]["Id"]], ChatType=1, TargetId=a.id, ClientMsgId="c-1")
    (onward,) = wc.messages(1)
    assert onward["ClientMsgId"] == "c-1" and onward["Type"] == 1 and onward["TargetId"] == a.id
    assert onward["Forward"] == rows[1]["Forward"]
    assert world["Id"] < onward["Id"]


def test_a_chat_record_over_the_socket_and_its_items(api):
    a, b, c, gid = trio(api)
    wa, wb, wc = a.ws(), b.ws(), c.ws()
    sent = send_texts(wa, b.id, ["first line", "second   line\nwrapped", "third", "fourth", "fifth"])
    wb.messages(5)
    data = stored_file(b, b"minutes", "Minutes.txt")
    wb.send(Type=1, TargetId=a.id, Media=5, Url=data["Url"])
    minutes = wb.messages(1)[0]
    wa.messages(1)
    ids = [m["Id"] for m in sent] + [minutes["Id"]]
    wa.send(Type=22, Ids=ids, ChatType=2, TargetId=gid, Merge=True, ClientMsgId="r-1")
    (record,) = wc.messages(1)
    assert wa.messages(1) == [record]
    assert record["Media"] == 6 and record["Type"] == 2 and record["ClientMsgId"] == "r-1"
    card = record["Record"]
    assert card["Title"] == f"{a.name}, {b.name}", "the two people of the private chat"
    assert card["Count"] == 6
    assert card["Preview"] == [
        {"Name": a.name, "Media": 1, "Snippet": "first line"},
        {"Name": a.name, "Media": 1, "Snippet": "second line wrapped"},
        {"Name": a.name, "Media": 1, "Snippet": "third"},
        {"Name": a.name, "Media": 1, "Snippet": "fourth"},
    ]
    assert record["Content"].startswith("[Chat record] ") and "first line" in record["Content"]
    assert "Forward" not in record
    # The items, for whoever may read the record.
    got = answer(c.get("/message/record", id=record["Id"]), 200)
    assert got["Data"] == card and got["Total"] == 6
    items = got["Rows"]
    assert [(i["UserId"], i["Name"], i["Media"], i["Content"]) for i in items[:5]] == [
        (a.id, a.name, 1, m["Content"]) for m in sent
    ]
    assert [i["CreateTime"] for i in items] == [m["CreateTime"] for m in sent] + [minutes["CreateTime"]]
    assert items[5]["Media"] == 5 and items[5]["Url"] == data["Url"]
    assert items[5]["File"] == {"Name": "Minutes.txt", "Size": 7, "Mime": minutes["File"]["Mime"]}
    error(b.get("/message/record", id=record["Id"]), 404), "b is not in the group"
    error(c.get("/message/record", id=sent[0]["Id"]), 404)
    error(a.get("/message/record", id=sent[0]["Id"]), 400, "no chat record")
    error(a.get("/message/record", id="x"), 400)
    error(a.get("/message/record"), 400)
    # A title of one's own; a record forwarded on its own stays a record.
    body = answer(
        a.post("/message/forward", ids=str(sent[0]["Id"]), type=1, targetId=b.id, merge="true", title="  Plan  B "),
        201,
    )
    assert body["Rows"][0]["Record"]["Title"] == "Plan B"
    again = answer(c.post("/message/forward", ids=str(record["Id"]), type=1, targetId=a.id), 201)["Rows"][0]
    assert again["Media"] == 6 and again["Record"] == card
    assert answer(a.get("/message/record", id=again["Id"]), 200)["Rows"] == items
    # Replayed and synced like any message.
    assert [f["Id"] for f in c.ws(since=minutes["Id"]).quiet(0.6) if f.get("Type") in (1, 2)] == [
        record["Id"],
        again["Id"],
    ]
    synced = listing(c.get("/message/sync", since=minutes["Id"]))["Rows"]
    assert [r["Record"] for r in synced] == [card, card]


def test_refusals_are_4xx_and_store_nothing(api):
    a, b, c, gid = trio(api)
    stranger = api.user("s")
    other = api.group(stranger)["ID"]
    wa, wb = a.ws(), b.ws()
    mine, gone = send_texts(wa, b.id, ["keep", "recall me"])
    wb.messages(2)
    ws_ = stranger.ws()
    secret = send_texts(ws_, other, ["group secret"], type_=2)[0]
    wa.send(Type=2, TargetId=gid, Content="in the group")
    in_group = wa.messages(1)[0]
    answer(a.post("/message/recall", id=gone["Id"]), 200)
    record = answer(a.post("/message/forward", ids=str(mine["Id"]), type=1, targetId=b.id, merge="1"), 201)["Rows"][0]
    assert wb.messages(1) == [record]
    counts = {(1, b.id): len(history(a, 1, b.id)), (2, gid): len(history(a, 2, gid))}

    def refused(status, *words, **data):
        data.setdefault("type", 2)
        data.setdefault("targetId", gid)
        return error(a.post("/message/forward", **data), status, *words)

    refused(400, "ids")
    refused(400, "ids", ids="abc")
    refused(400, "ids", ids="1,,2")
    refused(400, "ids", ids="0")
    refused(400, "100", ids=",".join(str(n) for n in range(1, 102)))
    refused(400, "20", ids=",".join(str(mine["Id"]) + str(n) for n in range(21)))
    refused(400, "type", ids=str(mine["Id"]), type=3)
    refused(400, "targetId", ids=str(mine["Id"]), targetId="")
    refused(400, "merge", ids=str(mine["Id"]), merge="maybe")
    refused(400, "title", ids=str(mine["Id"]), merge="true", title="t" * 65)
    refused(400, "clientMsgId", ids=str(mine["Id"]), clientMsgId="has space")
    refused(404, str(secret["Id"]), ids=str(secret["Id"]))  # a group a is not in
    refused(404, ids=str(10**15))
    refused(409, "recalled", ids=f"{mine['Id']},{gone['Id']}")
    refused(400, "one conversation", ids=f"{mine['Id']},{in_group['Id']}")
    refused(400, "chat record", ids=f"{mine['Id']},{record['Id']}", merge="true")
    refused(403, "member", ids=str(mine["Id"]), targetId=other)
    refused(404, ids=str(mine["Id"]), type=1, targetId=10**9)
    refused(403, ids=str(mine["Id"]), type=1, targetId=a.id)  # oneself
    # A JSON body with a list works; a list of strings does not.
    error(a.post("/message/forward", json_body={"ids": ["1"], "type": 2, "targetId": gid}), 400, "ids")
    # b may read a's private messages but not write into a group b is not in.
    error(b.post("/message/forward", ids=str(mine["Id"]), type=2, targetId=gid), 403)
    # The socket says the same, with the ClientMsgId.
    for frame, code in (
        ({"Ids": "x"}, 400),
        ({"Ids": [mine["Id"]], "Merge": "yes"}, 400),
        ({"Ids": [mine["Id"]], "ChatType": 3}, 400),
        ({"Ids": [secret["Id"]]}, 404),
        ({"Ids": [gone["Id"]]}, 409),
        ({"Ids": [mine["Id"]], "TargetId": other}, 403),
    ):
        wa.send(**{"Type": 22, "ChatType": 2, "TargetId": gid, "ClientMsgId": "bad", **frame})
        got = until(wa, lambda f: f.get("Type") == -1)
        assert (got["Code"], got["ClientMsgId"]) == (code, "bad"), (frame, got)
    assert {(1, b.id): len(history(a, 1, b.id)), (2, gid): len(history(a, 2, gid))} == counts
    assert [f for f in wb.quiet(0.3) if f.get("Type") in (1, 2)] == []


def test_a_newcomer_cannot_forward_what_came_before_them(api):
    owner, late = api.user("o"), api.user("l")
    r = owner.post("/contact/createCommunity", name=f"hist{owner.id}", history="join")
    gid = answer(r, 201)["Data"]["ID"]
    old = send_texts(owner.ws(), gid, ["before you"], type_=2)[0]
    answer(late.post("/contact/joinGroup", comId=gid), 200)
    error(late.post("/message/forward", ids=str(old["Id"]), type=1, targetId=owner.id), 404)
    new = send_texts(owner.ws(), gid, ["after you"], type_=2)[0]
    answer(late.post("/message/forward", ids=str(new["Id"]), type=1, targetId=owner.id), 201)


def test_a_forwarded_file_stays_until_nothing_points_at_it(api):
    a, b, c, gid = trio(api)
    wa, wb = a.ws(), b.ws()
    data = stored_file(a, b"the only copy", "plan.txt")
    wa.send(Type=1, TargetId=b.id, Media=5, Url=data["Url"])
    original = wa.messages(1)[0]
    wb.messages(1)
    one = answer(a.post("/message/forward", ids=str(original["Id"]), type=2, targetId=gid), 201)["Rows"][0]
    assert one["Url"] == data["Url"] and one["File"] == original["File"] and one["Media"] == 5
    merged = answer(a.post("/message/forward", ids=str(original["Id"]), type=2, targetId=gid, merge="true"), 201)
    record = merged["Rows"][0]
    # The original is recalled: the forward and the record still point at the file.
    answer(a.post("/message/recall", id=original["Id"]), 200)
    assert fetch(c, data["Url"]).content == b"the only copy"
    # The single forward goes too: the record still holds it.
    answer(a.post("/message/recall", id=one["Id"]), 200)
    r = fetch(c, data["Url"])
    assert r.status_code == 200 and r.content == b"the only copy"
    # The record is recalled: nothing points at the file, it is deleted.
    answer(a.post("/message/recall", id=record["Id"]), 200)
    assert fetch(c, data["Url"]).status_code == 404
    error(c.get("/message/record", id=record["Id"]), 409, "recalled")
    assert json.loads(json.dumps(history(c, 2, gid)))[-1]["Recalled"] is True


def test_forwarding_is_in_swagger(api):
    spec = api.get("/swagger/apispec.json").json()
    forward = spec["paths"]["/message/forward"]["post"]
    assert {p["name"] for p in forward["parameters"]} >= {"ids", "type", "targetId", "merge", "title", "clientMsgId"}
    assert "/message/record" in spec["paths"]
    message = spec["definitions"]["Message"]["properties"]
    assert {"Forward", "Record"} <= set(message)


def test_only_where_one_may_write(api, friends_api):
    a, b, c, gid = trio(api)
    mine = send_texts(a.ws(), gid, ["for the record"], type_=2)[0]
    answer(b.post("/contact/block", targetId=a.id), 200)
    error(a.post("/message/forward", ids=str(mine["Id"]), type=1, targetId=b.id), 403, "blocked")
    answer(a.post("/message/forward", ids=str(mine["Id"]), type=1, targetId=c.id), 201)
    # DIRECT_MESSAGES=friends: only to a friend.
    d, e = friends_api.user("d"), friends_api.user("e")
    grp = friends_api.group(d, e)["ID"]
    said = send_texts(d.ws(), grp, ["hi all"], type_=2)[0]
    error(e.post("/message/forward", ids=str(said["Id"]), type=1, targetId=d.id), 403, "friend")
    friends_api.befriend(d, e)
    answer(e.post("/message/forward", ids=str(said["Id"]), type=1, targetId=d.id), 201)
