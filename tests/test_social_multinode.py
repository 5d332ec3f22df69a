"""Issue 9 across real node processes: read receipts, recall, presence and
notices reach users on another node; a removal reaches every node's map,
even when its bus event is lost."""

import secrets
import socket

import pytest

from helpers import until, wait_for, ws_events
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


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

    watcher = ws_events(member, n2)  # the member lives on node 2
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
    answers = []

    def refused():
        watcher.send(Type=2, TargetId=gid, Content="after the kick", ClientMsgId="k-2")
        answers.append(until(watcher, lambda f: f.get("Type") in (-1, 2)))
        return answers[-1]["Type"] == -1

    assert wait_for(refused, timeout=15, interval=0.3), "the removal never reached node 2"
    frame = answers[-1]
    assert frame["Code"] == 403 and frame["ClientMsgId"] == "k-2"
    assert "relations changed elsewhere" in n2.log()
    for node in (n1, n2, lossy):
        assert "Traceback" not in node.log(), node.log()[-3000:]
