"""Edits, reactions, replies and mentions across real node processes: a
change made on one node reaches the others in its place in the Id sequence,
exactly once, even when its bus packet is lost (the catch-up reads it from
SQL), and a reconnect with ``since`` on another node replays it."""

import secrets
import socket

import pytest

from helpers import until
from multinode import cluster, free_port, one_bus, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


@pytest.mark.parametrize("bus", ["udp", "redis"])
def test_changes_cross_nodes_exactly_once_and_replay(cluster, bus):
    extra = one_bus(bus)
    n1, n2 = cluster(2, bus, **extra)
    # A node whose every bus packet is lost: its changes must arrive all the same.
    (lossy,) = cluster(1, bus, BUS_DROP_RATE=1, BUS_CATCHUP_INTERVAL=0.3, **extra)
    owner, member = n1.api.user("own"), n1.api.user("mem")
    group = n1.api.group(owner, member)
    gid = group["ID"]
    wo = n1.api.ws(owner)
    wm = n2.api.ws(member)

    wo.send(Type=2, TargetId=gid, Content="first")
    first = wm.messages(1)[0]
    wo.messages(1)
    # A reply with a mention, from node 1 to node 2.
    wo.send(Type=2, TargetId=gid, Content=f"@{member.name} see this", ReplyTo=first["Id"])
    reply = wm.messages(1)[0]
    wo.messages(1)
    assert reply["Mentions"] == [member.id]
    assert reply["Reply"] == {"Id": first["Id"], "UserId": owner.id, "Media": 1, "Snippet": "first"}
    r = n2.api.get("/message/mentions", token=member.token)
    assert [row["Id"] for row in r.json()["Rows"]] == [reply["Id"]]

    # A reaction on node 2 over the socket reaches node 1.
    wm.send(Type=16, Id=first["Id"], Emoji="🎉")
    reacted = until(wo, lambda f: f.get("Type") == 15)
    assert reacted["Reactions"] == [{"Emoji": "🎉", "Count": 1, "UserIds": [member.id]}]
    assert until(wm, lambda f: f.get("Type") == 15) == reacted

    # An edit on the lossy node over HTTP: the others learn it from SQL.
    r = lossy.api.post("/message/edit", token=owner.token, id=first["Id"], content="first, edited")
    assert r.status_code == 200, r.text
    edited = r.json()["Data"]
    assert edited["Id"] > reacted["Id"]
    for conn in (wo, wm):
        got = until(conn, lambda f: f.get("Type") == 15, timeout=15)
        assert got == edited
    # The next message is not held up, and nothing came twice.
    wo.send(Type=2, TargetId=gid, Content="after the edit")
    after = wm.messages(1)[0]
    assert after["Id"] > edited["Id"]
    assert [f for f in wm.quiet(1.0) if f.get("Type") in (1, 2, 15)] == []

    # A reconnect on node 1 that had seen everything up to the reply: the
    # reaction and the edit come as one change (the latest state), then the message.
    replay = n1.api.ws(member, since=reply["Id"])
    frames = [f for f in replay.quiet(1.5) if f.get("Type") in (1, 2, 15)]
    assert [(f["Type"], f["Id"]) for f in frames] == [(15, edited["Id"]), (2, after["Id"])]
    assert frames[0]["Content"] == "first, edited" and frames[0]["Reactions"][0]["Emoji"] == "🎉"
    rows = n2.api.get("/message/history", token=member.token, type=2, targetId=gid).json()["Rows"]
    assert rows[0]["Content"] == "first, edited" and rows[0]["Edited"] and rows[0]["Reactions"][0]["Count"] == 1


def test_search_on_one_node_finds_what_another_stored_and_edited(cluster):
    """Search reads SQL: a message sent through node 1 is found through node 2,
    and an edit made on node 2 is what node 1's search matches next."""
    extra = {"SECRET_KEY": "test-" + secrets.token_hex(16), "UDP_PORT": free_port(socket.SOCK_DGRAM)}
    n1, n2 = cluster(2, "udp", **extra)
    a, b = n1.api.user("sa"), n1.api.user("sb")
    n1.api.befriend(a, b)
    word = "zq" + secrets.token_hex(4)  # a word no other test writes
    wa, wb = n1.api.ws(a), n2.api.ws(b)
    wa.send(Type=1, TargetId=b.id, Content=f"the {word} plan")
    sent = wb.messages(1)[0]

    def hits(node, user, q):
        r = node.api.get("/message/search", token=user.token, q=q)
        assert r.status_code == 200, r.text
        return [(row["Id"], row["ConvId"]) for row in r.json()["Rows"]]

    assert hits(n2, b, word) == [(sent["Id"], a.id)]
    r = n2.api.post("/message/edit", token=a.token, id=sent["Id"], content="the renamed plan")
    assert r.status_code == 200, r.text
    assert hits(n1, a, word) == []
    assert hits(n1, b, "renamed") == [(sent["Id"], a.id)]
