"""Issue 15 across real node processes: whoever is added (instantly, or by a
request with FRIEND_ADD=request) hears it at once on another node, with the
adder's card; a mute set on one node reaches the user's devices on another."""

import secrets
import socket

import pytest

from helpers import until, ws_events
from multinode import cluster, free_port, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


def test_adding_requests_and_mutes_are_heard_on_the_other_node(cluster):
    port = free_port(socket.SOCK_DGRAM)
    key = "test-" + secrets.token_hex(16)
    n1, n2 = cluster(2, "udp", UDP_PORT=port, SECRET_KEY=key, FRIEND_ADD="request")
    asker, asked = n1.api.user("ask"), n1.api.user("asked")
    r = asker.post("/user/updateUser", displayName="The Asker")
    assert r.status_code == 200, r.text
    watch = ws_events(asked, n2)  # the one asked lives on node 2
    r = asker.post("/contact/addfriend", targetId=asked.id)  # on node 1
    assert r.status_code == 202, r.text
    note = until(watch, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["RequestId"]) == ("friend_request", r.json()["Data"]["ID"])
    assert note["User"] == {"ID": asker.id, "Name": asker.name, "DisplayName": "The Asker", "Avatar": ""}

    # The asker hears the yes on node 2 while the answer is given on node 1.
    mine = ws_events(asker, n2)
    r = n1.api.post("/contact/answerRequest", token=asked.token, requestId=note["RequestId"], accept="true")
    assert r.status_code == 200, r.text
    note = until(mine, lambda f: f.get("Type") == 14 and f["Event"] == "friend_added")
    assert note["ActorId"] == asked.id and note["User"]["ID"] == asked.id

    # A mute set through node 1 reaches the asker's socket on node 2.
    r = asker.post("/contact/mute", type=1, targetId=asked.id)
    assert r.status_code == 200, r.text
    note = until(mine, lambda f: f.get("Type") == 14 and f["Event"] == "muted")
    assert (note["UserId"], note["Muted"]) == (asked.id, True)
    rows = n2.api.post("/searchFriends", token=asker.token).json()["Rows"]
    assert [(f["ID"], f["Muted"]) for f in rows] == [(asked.id, True)]
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]
