"""Issue 9 across real node processes: read receipts, recall, presence and
notices reach users on another node; a removal reaches every node's map,
even when its bus event is lost."""

import secrets
import socket
import time

import websocket

from helpers import WsClient
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)


def ws_events(node, user):
    return WsClient(websocket.create_connection(f"{node.ws_url}/chat?token={user.token}&events=1", timeout=10))


def until(conn, pred, timeout=10):
    return conn.recv_until(pred, timeout=timeout)[0]


def test_receipts_recall_presence_and_kick_across_nodes(cluster):
    port = free_port(socket.SOCK_DGRAM)
    key = "test-" + secrets.token_hex(16)
    n1, n2 = cluster(2, "udp", UDP_PORT=port, SECRET_KEY=key)
    # A third node whose every bus packet is lost: its removals must still hold.
    (lossy,) = cluster(1, "udp", UDP_PORT=port, SECRET_KEY=key, BUS_DROP_RATE=1, BUS_CATCHUP_INTERVAL=0.3)
    owner, member = n1.api.user("o"), n1.api.user("m")
    n1.api.befriend(owner, member)
    group = n1.api.group(owner, member)
    gid = group["ID"]

    watcher = ws_events(n2, member)  # the member lives on node 2
    wo = n1.api.ws(owner)
    # Presence: the owner came online on node 1.
    assert until(watcher, lambda f: f.get("Type") == 12 and f["UserId"] == owner.id)["Online"] is True

    wo.send(Type=2, TargetId=gid, Content="typo here")
    msg = watcher.messages(1)[0]
    # Read receipt from node 2 to node 1.
    watcher.send(Type=10, ChatType=2, TargetId=gid, Id=msg["Id"])
    assert until(wo, lambda f: f.get("Type") == 10)["UserId"] == member.id
    # Recall on node 1: gone for the member on node 2, live and in history.
    wo.send(Type=13, Id=msg["Id"])
    assert until(watcher, lambda f: f.get("Type") == 13)["Id"] == msg["Id"]
    rows = n2.api.get("/message/history", token=member.token, type=2, targetId=gid).json()["Rows"]
    assert [(r["Id"], r["Content"], r.get("Recalled")) for r in rows] == [(msg["Id"], "", True)]

    # Typing, private, from node 1 to node 2.
    wo.send(Type=11, TargetId=member.id)
    assert until(watcher, lambda f: f.get("Type") == 11)["UserId"] == owner.id

    # The member writes from node 2 (its map now holds them), then is removed
    # on the lossy node: no bus event arrives, the version in Redis tells.
    watcher.send(Type=2, TargetId=gid, Content="still here")
    watcher.messages(1)
    r = lossy.api.post("/contact/removeMember", token=owner.token, comId=gid, userId=member.id)
    assert r.status_code == 200, r.text
    # Node 2 looks at Redis at most once a second (RELATIONS_CHECK): one of
    # these attempts is refused, and from then on every one.
    deadline = time.monotonic() + 15
    while True:
        assert time.monotonic() < deadline, "the removal never reached node 2"
        watcher.send(Type=2, TargetId=gid, Content="after the kick", ClientMsgId="k-2")
        frame = until(watcher, lambda f: f.get("Type") in (-1, 2))
        if frame["Type"] == -1:
            break
        time.sleep(0.3)
    assert frame["Code"] == 403 and frame["ClientMsgId"] == "k-2"
    assert "relations changed elsewhere" in n2.log()
    for node in (n1, n2, lossy):
        assert "Traceback" not in node.log(), node.log()[-3000:]


def frames_while_beating(conn, beating, seconds):
    """What ``conn`` receives in ``seconds``, every connection in ``beating``
    sending heartbeats and answering pings meanwhile (the timeout is short)."""
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        for other in beating:
            other.send(Type=3)
            if other is not conn:
                other.quiet(0.02)
        frames += conn.quiet(0.3)
    return frames


def test_a_dead_nodes_users_go_offline_for_their_friends(cluster):
    """A node killed outright cannot say goodbye: a surviving node notices its
    liveness key expire and sends the offline events in its stead, only for
    users no other node serves."""
    n1, n2 = cluster(2, "udp", HEARTBEAT_TIMEOUT=4)
    gone, moved, watcher_user = n1.api.user("g"), n1.api.user("v"), n1.api.user("w")
    n1.api.befriend(watcher_user, gone)
    n1.api.befriend(watcher_user, moved)
    watcher = ws_events(n2, watcher_user)
    on_n1 = [n1.api.ws(gone), n1.api.ws(moved)]
    also_on_n2 = n2.api.ws(moved)  # a second device on the surviving node
    beating = [watcher, also_on_n2]
    events = [f for f in frames_while_beating(watcher, beating + on_n1, 2.0) if f.get("Type") == 12]
    assert {(f["UserId"], f["Online"]) for f in events} == {(gone.id, True), (moved.id, True)}

    n1.kill()
    started = time.monotonic()
    events = []
    while not events and time.monotonic() - started < 20:
        events = [f for f in frames_while_beating(watcher, beating, 0.6) if f.get("Type") == 12]
    waited = time.monotonic() - started
    assert events == [{"Type": 12, "UserId": gone.id, "Online": False}]
    # The user still served by node 2 stays online: no event for them.
    assert [f for f in frames_while_beating(watcher, beating, 2.0) if f.get("Type") == 12] == []
    rows = {r["ID"]: r["Online"] for r in n2.api.post("/searchFriends", token=watcher_user.token).json()["Rows"]}
    assert rows == {gone.id: False, moved.id: True}
    assert "stopped answering: taking its 2 users offline" in n2.log()
    assert "Traceback" not in n2.log(), n2.log()[-3000:]
    print(f"offline event {waited:.1f} s after the kill (HEARTBEAT_TIMEOUT=4)")
