"""Administrators across two nodes: a deactivation on one node closes the
account's sockets on the other (the sessions_ended bus event alone: the
periodic SQL check is set far off), and every node follows the registration
setting one switched."""

import pytest
from test_sessions_multinode import alive, closed

from helpers import PASSWORD, unique_name, until, ws_events
from http_checks import answer, error
from multinode import cluster, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


@pytest.mark.parametrize("bus", ["udp", "redis"])
def test_deactivation_on_one_node_closes_sockets_on_another(app, cluster, bus):
    n1, n2 = cluster(2, bus, SESSION_CHECK_INTERVAL=3600)
    api1, api2 = n1.api, n2.api
    boss, victim, friend = api1.user("b"), api1.user("v"), api1.user("f")
    assert app.test_cli_runner().invoke(args=["ginchat", "make-admin", boss.name]).exit_code == 0
    api1.befriend(victim, friend)
    victim_ws, friend_ws = api2.ws(victim), api2.ws(friend)
    assert alive(victim_ws, friend)

    answer(api1.post("/admin/deactivate", token=boss.token, userId=victim.id), 200)
    assert closed(victim_ws)
    error(api2.post("/user/find", token=victim.token, userId=victim.id), 401)
    error(api2.post("/user/findUserByNameAndPwd", name=victim.name, password=PASSWORD), 403, "deactivated")
    answer(api2.post("/admin/reactivate", token=boss.token, userId=victim.id), 200)
    back = api1.login(victim.name)
    assert alive(api1.ws(back), friend)

    # Registration switched on node 2 holds on node 1.
    try:
        answer(api2.post("/admin/registration", token=boss.token, registration="closed"), 200)
        error(api1.post("/user/createUser", name=unique_name(), password=PASSWORD), 403, "closed")
    finally:
        answer(api2.post("/admin/registration", token=boss.token, registration="open"), 200)
    answer(api1.post("/user/createUser", name=unique_name(), password=PASSWORD), 201)

    # A group an administrator dissolves on node 1: its member on node 2 hears it.
    gid = api1.group(back, friend)["ID"]
    events = ws_events(friend, n2)
    answer(api1.post("/admin/dissolveGroup", token=boss.token, comId=gid), 200)
    note = until(events, lambda f: f.get("Type") == 14 and f.get("Event") == "group_dissolved")
    assert note["GroupId"] == gid
    events.close()
    friend_ws.close()
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]
