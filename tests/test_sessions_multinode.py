"""Sessions that end on one node close their sockets on the others: the
sessions_ended bus event (the periodic SQL check is set far off here, so
the bus alone must do it)."""

import uuid

import pytest
import websocket

from helpers import PASSWORD
from http_checks import answer, error
from multinode import cluster, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


def closed(client, timeout=10):
    conn = client.conn
    conn.settimeout(timeout)
    while True:
        try:
            data = conn.recv()
        except websocket.WebSocketTimeoutException:
            return False
        except (websocket.WebSocketConnectionClosedException, OSError):
            return True
        if data == "" or not conn.connected:
            return True


def alive(client, friend):
    cmid = "alive-" + uuid.uuid4().hex[:8]
    client.send(Type=1, TargetId=friend.id, Media=1, Content="still here", ClientMsgId=cmid)
    frame, _ = client.recv_until(lambda f: f.get("ClientMsgId") == cmid, timeout=10)
    return frame.get("Type") == 1


@pytest.mark.parametrize("bus", ["udp", "redis"])
def test_sessions_ended_on_one_node_close_their_sockets_on_another(cluster, bus):
    n1, n2 = cluster(2, bus, SESSION_CHECK_INTERVAL=3600)
    api1, api2 = n1.api, n2.api
    me, friend = api1.user("m"), api1.user("m")
    api1.befriend(me, friend)
    second, third = api1.login(me.name), api1.login(me.name)  # three sessions of one user
    first_ws, second_ws, third_ws = api2.ws(me), api2.ws(second), api2.ws(third)
    for ws in (first_ws, second_ws, third_ws):
        assert alive(ws, friend)

    # Logout on node 1: that session's socket on node 2 closes, no other.
    answer(me.post("/user/logout"), 200)
    assert closed(first_ws)
    assert alive(second_ws, friend) and alive(third_ws, friend)

    # A password change on node 1 ends every other session's socket on node 2.
    answer(third.post("/user/updateUser", password="a-new-pw-2", oldPassword=PASSWORD), 200)
    assert closed(second_ws)
    assert alive(third_ws, friend)
    error(api2.post("/searchFriends", token=second.token), 401)

    # Log out everywhere else, from node 2, reaches a socket on node 1.
    fourth = api1.login(me.name, "a-new-pw-2")
    fourth_ws = api1.ws(fourth)
    assert alive(fourth_ws, friend)
    assert answer(api2.post("/user/logoutOthers", token=third.token), 200)["Data"] == {"Ended": 1}
    assert closed(fourth_ws)
    assert alive(third_ws, friend)
    third_ws.close()
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]
