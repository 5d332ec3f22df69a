"""Row ids are never given twice (issue 13, items 1 and 9): a dissolved
group's id, a declined friend request's id, any deleted row's id stays
unused, on SQLite (which reuses the highest rowid of a table without
AUTOINCREMENT), MariaDB and PostgreSQL alike, so an old id never names a newer
row and a new group never opens an old group's history."""

import pytest
from sqlalchemy import Integer, inspect, select, text

from conftest import DB_KIND
from helpers import Api
from http_checks import answer, error, listing

from ginchat.extensions import db
from ginchat.models.block import Block
from ginchat.models.contact import MEMBER, Contact


def _sql(server, query):
    with server.app.app_context():
        try:
            return db.session.execute(query).all()
        finally:
            db.session.remove()


def _old_group_frames(frames, old_ids, secret):
    return [f for f in frames if f.get("Id") in old_ids or secret in str(f.get("Content", ""))]


def test_a_dissolved_groups_id_and_history_never_reach_a_new_group(api):
    owner, member = api.user("old"), api.user("old")
    old = api.group(owner, member)
    secret = f"secret of group {old['ID']}"
    wo = owner.ws()
    for i in range(3):
        wo.send(Type=2, TargetId=old["ID"], Content=f"{secret} #{i}")
    old_ids = {f["Id"] for f in wo.messages(3)}
    wo.close()
    answer(member.post("/contact/quitGroup", comId=old["ID"]), 200)
    answer(owner.post("/contact/quitGroup", comId=old["ID"]), 200)  # the sole owner: dissolved

    founder, newcomer = api.user("new"), api.user("new")
    new = api.group(founder, newcomer)
    assert new["ID"] > old["ID"], f"group id {old['ID']} given again"
    for user in (founder, newcomer):
        history = listing(user.get("/message/history", type=2, targetId=new["ID"]))
        assert history["Rows"] == [] and history["Total"] == 0, history
        rows = listing(user.get("/message/sync", since=0))["Rows"]
        assert _old_group_frames(rows, old_ids, secret) == [], rows
    for user in (founder, newcomer):
        # The replay comes before live frames: everything before our own
        # marker message is what the replay gave.
        conn = user.ws(since=0)
        marker = f"marker of {user.name}"
        conn.send(Type=2, TargetId=new["ID"], Content=marker)
        mine, replayed = conn.recv_until(lambda f, marker=marker: f.get("Content") == marker)
        assert mine["Id"] > max(old_ids), "message ids are never given twice either"
        assert _old_group_frames(replayed, old_ids, secret) == [], replayed
        conn.close()


def test_a_declined_requests_id_never_names_a_newer_request(make_server):
    api = Api(make_server(FRIEND_ADD="request"))
    a, b = api.user("req"), api.user("req")
    first = answer(a.post("/contact/requestFriend", targetId=b.id), 201)["Data"]
    answer(b.post("/contact/answerRequest", requestId=first["ID"], accept="false"), 200)
    second = answer(a.post("/contact/requestFriend", targetId=b.id), 201)["Data"]
    assert second["ID"] > first["ID"], f"request id {first['ID']} given again"
    # The old id names nothing: answering it does not accept the new request.
    error(b.post("/contact/answerRequest", requestId=first["ID"], accept="true"), 404)
    assert [r["ID"] for r in listing(b.post("/contact/friendRequests"))["Rows"]] == [second["ID"]]
    assert listing(a.post("/searchFriends"))["Rows"] == []


def test_memberships_and_blocks_get_new_ids_after_a_delete(api, server):
    owner, member, other = api.user("row"), api.user("row"), api.user("row")
    group = api.group(owner, member)

    def membership():
        c = Contact
        return _sql(server, select(c.id).where(c.owner_id == member.id, c.target_id == group["ID"], c.type == MEMBER))

    ((first,),) = membership()
    answer(member.post("/contact/quitGroup", comId=group["ID"]), 200)
    answer(member.post("/contact/joinGroup", comId=group["ID"]), 200)
    ((second,),) = membership()
    assert second > first

    def block_id():
        return _sql(server, select(Block.id).where(Block.user_id == owner.id, Block.target_id == other.id))

    answer(owner.post("/contact/block", targetId=other.id), 200)
    ((first,),) = block_id()
    answer(owner.post("/contact/unblock", targetId=other.id), 200)
    answer(owner.post("/contact/block", targetId=other.id), 200)
    ((second,),) = block_id()
    assert second > first


def test_a_deleted_accounts_id_is_not_given_again(api):
    gone = api.user("gone")
    answer(gone.post("/user/deleteUser", password=gone.password), 200)
    assert api.user("after").id > gone.id


@pytest.mark.skipif(DB_KIND != "sqlite", reason="AUTOINCREMENT is SQLite's; the servers never reuse ids")
def test_every_sqlite_table_with_a_generated_id_has_autoincrement(server):
    """Each table whose one integer primary key the database generates is made
    with AUTOINCREMENT (the tables other modules add included)."""
    with server.app.app_context():
        generated = []
        for table in db.metadata.sorted_tables:
            keys = list(table.primary_key.columns)
            if len(keys) == 1 and keys[0].autoincrement is not False and isinstance(keys[0].type, Integer):
                generated.append(table.name)
        assert {"user_basic", "communities", "contact", "friend_request", "user_block", "auth_token"} <= set(generated)
        assert set(inspect(db.engine).get_table_names()) >= set(generated)
        for name in generated:
            sql = db.session.execute(
                text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:n"), {"n": name}
            ).scalar()
            assert "AUTOINCREMENT" in sql.upper(), f"{name}: {sql}"
        db.session.remove()
