"""Issue 27 across real node processes: colleagues on two nodes write to
each other, see each other online and are stopped by a block made on the
other node (DIRECT_MESSAGES=members); the friends rule holds on every node
(friends); nodes that start together make a default group once."""

import secrets
import socket
import time

import pytest

from helpers import PASSWORD, frames_of, unique_name, until, ws_events
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus

PRESENCE, TYPING, NOTICE = 12, 11, 14


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def refused_soon(conn, target, seconds=10):
    """Send to ``target`` until the node refuses (a removal event reaching
    it takes a moment); returns the error frame."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        cmid = f"try-{n}"
        conn.send(Type=1, TargetId=target, Content=cmid, ClientMsgId=cmid)
        frame = until(conn, lambda f, cmid=cmid: f.get("Type") == -1 or f.get("ClientMsgId") == cmid)
        if frame.get("Type") == -1:
            return frame
        time.sleep(0.1)
    raise AssertionError("never refused")


def test_colleagues_write_see_each_other_and_a_block_holds_across_nodes(cluster):
    port = free_port(socket.SOCK_DGRAM)
    n1, n2 = cluster(2, "udp", UDP_PORT=port, SECRET_KEY="test-" + secrets.token_hex(16))
    a, b, c = n1.api.user("a"), n1.api.user("b"), n1.api.user("c")
    watcher = ws_events(c, n2)
    wa, wb = n1.api.ws(a), n2.api.ws(b)
    # Presence of a colleague (no friendship) reaches node 2.
    assert until(watcher, lambda f: f.get("Type") == PRESENCE and f["UserId"] == a.id)["Online"] is True
    found = ok(n2.api.post("/user/find", token=c.token, userId=a.id))["Data"]
    assert found["Online"] is True
    # A message and typing from node 1 to a colleague on node 2, and back.
    wa.send(Type=1, TargetId=b.id, Content="hello across")
    assert wb.messages(1)[0]["Content"] == "hello across"
    wb.send(Type=TYPING, TargetId=a.id)
    assert until(wa, lambda f: f.get("Type") == TYPING)["UserId"] == b.id
    # A group made on node 1 with people on node 2 opens for them at once.
    b_events = ws_events(b, n2)
    body = ok(n1.api.post("/contact/createCommunity", token=a.token, name=unique_name("t"), members=f"{b.id}"), 201)
    note = until(b_events, lambda f: f.get("Type") == NOTICE, timeout=10)
    assert (note["Event"], note["GroupId"]) == ("member_added", body["Data"]["ID"])
    # b blocks a on node 2: node 1 refuses a's messages and hides the presence.
    ok(n2.api.post("/contact/block", token=b.token, targetId=a.id))
    err = refused_soon(wa, b.id)
    assert err["Code"] == 403 and "blocked you" in err["Msg"], err
    wb.send(Type=1, TargetId=a.id, Content="no", ClientMsgId="b-1")
    assert until(wb, lambda f: f.get("Type") == -1)["Code"] == 403
    frames_of(b_events, PRESENCE, 0.3)  # what came before
    wa.close()  # a goes offline: the colleague hears it, b (who blocked a) does not
    assert until(watcher, lambda f: f.get("Type") == PRESENCE and f["UserId"] == a.id and not f["Online"])
    assert [f for f in frames_of(b_events, PRESENCE, 1.0) if f["UserId"] == a.id] == []
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]


def test_the_friends_rule_holds_on_every_node(cluster):
    n1, n2 = cluster(2, "redis", DIRECT_MESSAGES="friends")
    a, b = n1.api.user("a"), n1.api.user("b")
    watcher = ws_events(b, n2)  # not a's friend: hears nothing of a
    wa, wb = n1.api.ws(a), n2.api.ws(b)
    wa.send(Type=1, TargetId=b.id, Content="psst", ClientMsgId="f-1")
    assert until(wa, lambda f: f.get("Type") == -1)["Msg"] == f"user {b.id} is not your friend"
    assert [f for f in frames_of(watcher, PRESENCE, 1.0) if f["UserId"] == a.id] == []
    assert ok(n2.api.post("/user/find", token=b.token, userId=a.id))["Data"]["Online"] is False
    r = n2.api.post("/contact/addfriend", token=b.token, targetId=a.id)
    assert r.status_code == 200, r.text
    wa.send(Type=1, TargetId=b.id, Content="now friends")
    assert wb.messages(1)[0]["Content"] == "now friends"


def test_nodes_starting_together_make_a_default_group_once(cluster, shared, app):
    from ginchat.domain.accounts import register
    from ginchat.domain.admin import make_admin_by_name
    from ginchat.extensions import db
    from ginchat.models.community import Community
    from ginchat.models.user_basic import UserBasic
    from ginchat.utils.names import name_key

    with app.app_context():  # the shared database needs an administrator to own it
        boss = register(unique_name("boss"), PASSWORD)
        make_admin_by_name(boss.name)
        boss_id, before = boss.id, len(db.session.scalars(UserBasic.active()).all())
    name = unique_name("Everyone")
    try:
        nodes = cluster(3, "udp", DEFAULT_GROUPS=name)  # started at once
        with app.app_context():
            groups = db.session.scalars(db.select(Community).where(Community.name_key == name_key(name))).all()
            assert len(groups) == 1 and groups[0].is_default == 1
            gid = groups[0].id
        newcomer = nodes[1].api.user("new")
        rows = ok(nodes[2].api.post("/contact/groupMembers", token=newcomer.token, comId=gid))["Rows"]
        ids = [r["ID"] for r in rows]
        assert len(ids) == len(set(ids)) >= before + 1 and boss_id in ids and newcomer.id in ids
        for node in nodes:
            assert "Traceback" not in node.log(), node.log()[-3000:]
    finally:
        with app.app_context():
            for group in db.session.scalars(db.select(Community).where(Community.name_key == name_key(name))):
                group.dissolve()


def test_default_groups_chosen_on_one_node_hold_on_the_other(cluster, app):
    """Issue 27's admin page: a group marked default on node 1 is listed by
    GET /admin/defaultGroups on node 2 and joined by a newcomer there; the
    heartbeat's Echo is answered on either node."""
    from ginchat.domain.admin import make_admin_by_name

    n1, n2 = cluster(2, "udp", UDP_PORT=free_port(socket.SOCK_DGRAM), SECRET_KEY="test-" + secrets.token_hex(16))
    boss = n1.api.user("boss")
    with app.app_context():
        make_admin_by_name(boss.name)
    made = ok(n1.api.post("/contact/createCommunity", token=boss.token, name=unique_name("Hall")), 201)
    gid = made["Data"]["ID"]
    try:
        ok(n1.api.post("/admin/defaultGroups", token=boss.token, comId=gid))
        rows = ok(n2.api.get("/admin/defaultGroups", token=boss.token))["Rows"]
        assert gid in [r["ID"] for r in rows]
        newcomer = n2.api.user("new")
        assert gid in [g["ID"] for g in ok(n2.api.post("/contact/loadcommunity", token=newcomer.token))["Rows"]]
        for node in (n1, n2):
            ws = node.api.ws(newcomer)
            ws.send(Type=3, Echo=9)
            assert until(ws, lambda f: f.get("Type") == 3) == {"Type": 3, "Echo": 9}
            ws.close()
        for node in (n1, n2):
            assert "Traceback" not in node.log(), node.log()[-3000:]
    finally:
        ok(n1.api.post("/admin/dissolveGroup", token=boss.token, comId=gid))
