"""Closed groups across real node processes: a member added on node 1 gets
the group's messages on node 2 (and none from before their join), and a
removed member can neither write nor rejoin on node 2."""

import secrets
import socket

import pytest

from helpers import until, wait_for, ws_events
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


def test_added_on_one_node_reads_on_another_and_removed_stays_out(cluster):
    n1, n2 = cluster(2, "udp", UDP_PORT=free_port(socket.SOCK_DGRAM), SECRET_KEY="test-" + secrets.token_hex(16))
    owner, friend = n1.api.user("o"), n1.api.user("f")
    n1.api.befriend(owner, friend)
    r = n1.api.post(
        "/contact/createCommunity",
        token=owner.token,
        name=f"club{secrets.token_hex(3)}",
        policy="invite",
        history="join",
    )
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]

    wo = n1.api.ws(owner)
    wo2 = n2.api.ws(owner)  # node 2 learns the group (its map) from this delivery
    watcher = ws_events(friend, n2)
    wo.send(Type=2, TargetId=gid, Content="before the add")
    assert wo2.messages(1)[0]["Content"] == "before the add"

    r = n1.api.post("/contact/addMember", token=owner.token, comId=gid, userId=friend.id)
    assert r.status_code == 200, r.text
    note = until(watcher, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["UserId"], note["ActorId"]) == ("member_added", friend.id, owner.id)
    wo.send(Type=2, TargetId=gid, Content="after the add")
    got = watcher.messages(1)[0]
    assert got["Content"] == "after the add"
    replayed = [f for f in n2.api.ws(friend, since=0).quiet(1.0) if f.get("Type") == 2]
    assert [f["Content"] for f in replayed] == ["after the add"]
    rows = n2.api.get("/message/history", token=friend.token, type=2, targetId=gid).json()["Rows"]
    assert [m["Content"] for m in rows] == ["after the add"]

    # The friend writes from node 2; then the owner removes them on node 1.
    watcher.send(Type=2, TargetId=gid, Content="hello from node 2", ClientMsgId="n2-1")
    assert until(wo, lambda f: f.get("ClientMsgId") == "n2-1")["Content"] == "hello from node 2"
    r = n1.api.post("/contact/removeMember", token=owner.token, comId=gid, userId=friend.id)
    assert r.status_code == 200, r.text
    answers = []

    def refused():
        watcher.send(Type=2, TargetId=gid, Content="still in?", ClientMsgId="n2-2")
        answers.append(until(watcher, lambda f: f.get("Type") in (-1, 2) and f.get("ClientMsgId") == "n2-2"))
        return answers[-1]["Type"] == -1

    assert wait_for(refused, timeout=15, interval=0.3), "the removal never reached node 2"
    frame = answers[-1]
    assert frame["Code"] == 403
    # Even with the group opened, no rejoining on their own, on any node.
    r = n1.api.post("/contact/updateGroup", token=owner.token, comId=gid, policy="open")
    assert r.status_code == 200, r.text
    r = n2.api.post("/contact/joinGroup", token=friend.token, comId=gid)
    assert r.status_code == 403 and "removed" in r.json()["Msg"], r.text
    # Added back on node 2, they write again.
    r = n2.api.post("/contact/addMember", token=owner.token, comId=gid, userId=friend.id)
    assert r.status_code == 200, r.text
    watcher.send(Type=2, TargetId=gid, Content="back", ClientMsgId="n2-3")
    assert until(wo, lambda f: f.get("ClientMsgId") == "n2-3")["Content"] == "back"
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]


def test_an_admin_on_one_node_makes_the_group_read_only_on_another(cluster):
    """Group admins choose who may write (issue 28): an admin's change on node 1
    reaches a member's events and the writers map on node 2."""
    n1, n2 = cluster(2, "udp", UDP_PORT=free_port(socket.SOCK_DGRAM), SECRET_KEY="test-" + secrets.token_hex(16))
    owner, admin, member = n1.api.user("o"), n1.api.user("a"), n1.api.user("m")
    gid = n1.api.group(owner, admin, member)["ID"]
    r = n1.api.post("/contact/setAdmin", token=owner.token, comId=gid, userId=admin.id, admin="true")
    assert r.status_code == 200, r.text
    events = ws_events(member, n2)
    wm = n2.api.ws(member)
    wm.send(Type=2, TargetId=gid, Content="open for now", ClientMsgId="m-0")
    assert until(wm, lambda f: f.get("ClientMsgId") == "m-0")["Type"] == 2  # node 2 maps the group's writers
    r = n1.api.post("/contact/updateGroup", token=admin.token, comId=gid, whoMayWrite="admins")
    assert r.status_code == 200, r.text
    # (The owner's setAdmin sends a group_updated too, which may reach node 2
    # after this socket opened: the admin's is the one to wait for.)
    note = until(
        events, lambda f: f.get("Type") == 14 and f.get("Event") == "group_updated" and f.get("ActorId") == admin.id
    )
    assert note["GroupId"] == gid
    answers = []

    def refused():
        cmid = f"m-{len(answers) + 1}"
        wm.send(Type=2, TargetId=gid, Content="still open?", ClientMsgId=cmid)
        answers.append(until(wm, lambda f: f.get("Type") in (-1, 2) and f.get("ClientMsgId") == cmid))
        return answers[-1]["Type"] == -1

    assert wait_for(refused, timeout=15, interval=0.3), "the admin's change never reached node 2"
    assert answers[-1]["Code"] == 403
    # What stays the owner's is refused on node 2 as on node 1.
    r = n2.api.post("/contact/updateGroup", token=admin.token, comId=gid, policy="invite")
    assert r.status_code == 403 and "only the owner" in r.json()["Msg"], r.text
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]
