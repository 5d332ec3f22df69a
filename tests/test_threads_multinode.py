"""Threads across real node processes: a reply sent on one node reaches the
people on the others exactly once with its RootId (also when its bus packet
is lost: the catch-up reads it from SQL), a reconnect with ``since`` on
another node replays the replies once, and marking a thread read on one
node tells the reader's connections on the others (Type 23)."""

import pytest

from helpers import until
from multinode import cluster, one_bus, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


@pytest.mark.parametrize("bus", ["udp", "redis"])
def test_thread_replies_cross_nodes_once_and_replay_with_since(cluster, bus):
    extra = one_bus(bus)
    n1, n2 = cluster(2, bus, **extra)
    (lossy,) = cluster(1, bus, BUS_DROP_RATE=1, BUS_CATCHUP_INTERVAL=0.3, **extra)
    owner, member = n1.api.user("own"), n1.api.user("mem")
    gid = n1.api.group(owner, member)["ID"]
    wo = n1.api.ws(owner)
    wm = n2.api.ws(member)
    member_phone = n1.api.ws(member)

    wo.send(Type=2, TargetId=gid, Content="root")
    root = wm.messages(1)[0]
    wo.messages(1), member_phone.messages(1)
    # A reply on node 1 reaches node 2; one from node 2 reaches node 1.
    wo.send(Type=2, TargetId=gid, Content="first reply", RootId=root["Id"])
    first = wm.messages(1)[0]
    assert first["RootId"] == root["Id"]
    wo.messages(1), member_phone.messages(1)
    wm.send(Type=2, TargetId=gid, Content="second reply", RootId=root["Id"], AlsoInChat=True)
    second = wo.messages(1)[0]
    assert (second["RootId"], second["AlsoInChat"]) == (root["Id"], True)
    wm.messages(1), member_phone.messages(1)
    # From the node whose packets are all lost: SQL's catch-up delivers it.
    lost = lossy.api.ws(owner)
    lost.send(Type=2, TargetId=gid, Content="third reply", RootId=root["Id"])
    third = until(wm, lambda f: f.get("Content") == "third reply", timeout=15)
    assert third["RootId"] == root["Id"]
    assert until(member_phone, lambda f: f.get("Content") == "third reply", timeout=15) == third
    until(wo, lambda f: f.get("Content") == "third reply", timeout=15)
    assert [f for f in wm.quiet(1.0) if f.get("Type") in (1, 2)] == [], "nothing twice"

    # A reconnect on the other node replays the replies once, in Id order.
    replay = n1.api.ws(member, since=root["Id"])
    frames = [f for f in replay.quiet(1.5) if f.get("Type") in (1, 2)]
    assert [(f["Id"], f["RootId"]) for f in frames] == [(m["Id"], root["Id"]) for m in (first, second, third)]
    assert [f for f in n2.api.ws(member, since=third["Id"]).quiet(1.0) if f.get("Type") in (1, 2)] == []

    # The thread and its counts read the same on every node.
    r = n2.api.get("/message/threads", token=member.token)
    state = r.json()["Rows"][0]
    assert (state["RootId"], state["Unread"], state["Replies"]) == (root["Id"], 1, 3)
    # Read on node 1: the member's connection on node 2 hears it.
    r = n1.api.post("/message/thread/read", token=member.token, rootId=root["Id"])
    assert r.status_code == 200, r.text
    heard = until(wm, lambda f: f.get("Type") == 23, timeout=15)
    assert (heard["RootId"], heard["Unread"], heard["ReadId"]) == (root["Id"], 0, third["Id"])
    r = lossy.api.get("/message/thread", token=member.token, rootId=root["Id"])
    body = r.json()
    assert body["Data"]["Unread"] == 0 and [m["Id"] for m in body["Rows"]] == [first["Id"], second["Id"], third["Id"]]
    assert body["Data"]["Root"]["Thread"] == {"Replies": 3, "LastId": third["Id"], "LastTime": third["CreateTime"]}
