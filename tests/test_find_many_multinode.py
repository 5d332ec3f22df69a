"""POST /user/findMany across real node processes (issue 27): a display name
set through one node and a presence held by a socket on that node are what a
viewer's lookup through the other node answers, as /user/find there does."""

import secrets
import socket

import pytest

from helpers import until, ws_events
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus
PRESENCE = 12


def test_find_many_on_one_node_sees_names_and_presence_from_the_other(cluster):
    port = free_port(socket.SOCK_DGRAM)
    key = "test-" + secrets.token_hex(16)
    n1, n2 = cluster(2, "udp", UDP_PORT=port, SECRET_KEY=key)
    viewer, ana, ben = n1.api.user("vw"), n1.api.user("ana"), n1.api.user("ben")
    r = ana.post("/user/updateUser", displayName="Ana Lima")  # on node 1
    assert r.status_code == 200, r.text
    watch = ws_events(viewer, n2)
    conn = ws_events(ana, n1)  # Ana comes online on node 1; the viewer hears it on node 2
    until(watch, lambda f: f.get("Type") == PRESENCE and f.get("UserId") == ana.id and f.get("Online"))
    try:
        ids = f"{ben.id},{ana.id}"
        r = n2.api.post("/user/findMany", token=viewer.token, userIds=ids)  # asked on node 2
        assert r.status_code == 200, r.text
        rows = r.json()["Rows"]
        assert [(u["ID"], u["DisplayName"]) for u in rows] == [(ben.id, ""), (ana.id, "Ana Lima")]
        each = [n2.api.post("/user/find", token=viewer.token, userId=i).json()["Data"] for i in (ben.id, ana.id)]
        assert rows == each
        assert rows[1]["Online"] is True and rows[0]["Online"] is False
    finally:
        conn.close()
        watch.close()
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]
