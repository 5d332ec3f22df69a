"""Issue 27 across two node processes: a colleague's chat made on one node
is in the chat list (/searchFriends chats=true) asked of the other, and a
mute of it made on one node reaches the user's connection on the other."""

import secrets
import socket

import pytest

from helpers import until, ws_events
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus

NOTICE = 14


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def test_a_colleagues_chat_is_listed_and_muted_across_nodes(cluster):
    port = free_port(socket.SOCK_DGRAM)
    n1, n2 = cluster(2, "udp", UDP_PORT=port, SECRET_KEY="test-" + secrets.token_hex(16))
    a, b = n1.api.user("a"), n1.api.user("b")
    wa, wb = n1.api.ws(a), n2.api.ws(b)
    wa.send(Type=1, TargetId=b.id, Content="first words")
    assert wb.messages(1)[0]["Content"] == "first words"
    rows = ok(n2.api.post("/searchFriends", token=b.token, chats="true"))["Rows"]
    assert [(r["ID"], r["Relation"], r["Unread"]) for r in rows] == [(a.id, "", 1)]
    # b mutes on node 1; b's connection on node 2 hears it, node 2 lists it.
    b_events = ws_events(b, n2)
    ok(n1.api.post("/contact/mute", token=b.token, type=1, targetId=a.id))
    note = until(b_events, lambda f: f.get("Type") == NOTICE and f.get("Event") == "muted")
    assert (note["ChatType"], note["UserId"], note["Muted"]) == (1, a.id, True)
    assert [r["Muted"] for r in ok(n2.api.post("/searchFriends", token=b.token, chats="true"))["Rows"]] == [True]
