"""Forwarding and @all across real node processes (issue 28 items 3 and 4):
a message forwarded through one node (HTTP or its socket) reaches the
conversation's people on the other node exactly once, even from a node
whose every bus packet is lost (the catch-up reads it from SQL), and a
reconnect with ``since`` on the other node replays it; @here reaches the
members online on any node, and not the others."""

import pytest

from helpers import until, wait_for
from multinode import cluster, one_bus, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


@pytest.mark.parametrize("bus", ["udp", "redis"])
def test_forwards_and_mention_all_cross_nodes(cluster, bus):
    extra = one_bus(bus)
    n1, n2 = cluster(2, bus, **extra)
    (lossy,) = cluster(1, bus, BUS_DROP_RATE=1, BUS_CATCHUP_INTERVAL=0.3, **extra)
    owner, member, away = n1.api.user("own"), n1.api.user("mem"), n1.api.user("away")
    gid = n1.api.group(owner, member, away)["ID"]
    wo = n1.api.ws(owner)
    wm = n2.api.ws(member)

    # A private message, forwarded into the group over HTTP on node 1.
    wo.send(Type=1, TargetId=member.id, Content="from the side chat", ClientMsgId="s-1")
    side = wm.messages(1)[0]
    wo.messages(1)
    body = ok(n1.api.post("/message/forward", token=owner.token, ids=str(side["Id"]), type=2, targetId=gid), 201)
    (one,) = body["Rows"]
    assert wm.messages(1) == [one]
    assert one["Forward"]["UserId"] == owner.id
    wo.messages(1)

    # Merged into a chat record over the lossy node: the others read it from SQL.
    r = lossy.api.post(
        "/message/forward", token=member.token, ids=f"{side['Id']},{one['Id']}", type=2, targetId=gid, merge="true"
    )
    assert r.status_code == 400, "two conversations"
    record = ok(
        lossy.api.post("/message/forward", token=member.token, ids=str(one["Id"]), type=2, targetId=gid, merge="1"),
        201,
    )["Rows"][0]
    for conn in (wo, wm):
        got = conn.messages(1, timeout=15)
        assert got == [record]
    items = ok(n2.api.get("/message/record", token=owner.token, id=record["Id"]))["Rows"]
    assert [i["Content"] for i in items] == ["from the side chat"]

    # The socket's frame 22 on node 2, to node 1.
    wm.send(Type=22, Ids=[side["Id"]], ChatType=1, TargetId=owner.id, ClientMsgId="f-2")
    (back,) = wo.messages(1)
    assert back["Forward"] == one["Forward"] and back["ClientMsgId"] == "f-2"
    assert wm.messages(1) == [back]

    # @here from node 1: the member online on node 2 is alerted, the one away is not.
    assert wait_for(lambda: ok(n1.api.post("/user/find", token=owner.token, userId=member.id))["Data"]["Online"], 10)
    wo.send(Type=2, TargetId=gid, Content="@here quick sync", ClientMsgId="h-1")
    here = wm.messages(1)[0]
    assert here["MentionAll"] == "here"
    wo.messages(1)

    def mentioned(node, user):
        return [row["Id"] for row in ok(node.api.get("/message/mentions", token=user.token))["Rows"]]

    assert mentioned(n2, member) == [here["Id"]]
    assert mentioned(n1, away) == []
    # @all from node 2 (the owner lets every member): everyone.
    ok(n2.api.post("/contact/updateGroup", token=owner.token, comId=gid, whoMayMentionAll="members"))
    wm.send(Type=2, TargetId=gid, Content="@all done", ClientMsgId="a-1")
    done = wo.messages(1)[0]
    assert done["MentionAll"] == "all" and wm.messages(1)[0] == done
    assert mentioned(n1, away) == [done["Id"]] and mentioned(n1, owner) == [done["Id"]]

    # A reconnect on node 2 that had seen the side message replays the rest, once.
    replay = n2.api.ws(away, since=side["Id"])
    frames = [f for f in replay.quiet(1.5) if f.get("Type") in (1, 2)]
    assert [f["Id"] for f in frames] == [one["Id"], record["Id"], here["Id"], done["Id"]]
    assert [f for f in wm.quiet(0.8) if f.get("Type") in (1, 2)] == [], "nothing twice"
    assert until(n1.api.ws(owner, since=back["Id"] - 1), lambda f: f.get("Type") == 1)["Id"] == back["Id"]
