"""Administrators across two nodes: a deactivation on one node closes the
account's sockets on the other (the sessions_ended bus event alone: the
periodic SQL check is set far off), and every node follows the registration
setting one switched."""

import pytest
from test_sessions_multinode import alive, closed

from helpers import PASSWORD, unique_name, until, wait_for, ws_events
from http_checks import answer, error, listing
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


def test_nodes_view_lists_every_node_and_a_dead_one_goes_stale_then_away(app, cluster):
    # HEARTBEAT_TIMEOUT=3: a snapshot a second, stale after three missed;
    # forgotten after NODES_FORGET_AFTER=8 s of silence.
    n1, n2, n3 = cluster(3, "redis", HEARTBEAT_TIMEOUT=3, NODES_FORGET_AFTER=8)
    boss = n1.api.user("b")
    assert app.test_cli_runner().invoke(args=["ginchat", "make-admin", boss.name]).exit_code == 0
    boss = n1.api.login(boss.name)
    ids = [n.health()["Node"] for n in (n1, n2, n3)]
    watcher = n2.api.ws(boss)  # one connection on node 2, seen from node 1

    def board():
        return {row["Node"]: row for row in listing(boss.get("/admin/nodes"))["Rows"]}

    def everyone():
        rows = board()
        return rows if all(i in rows for i in ids) and rows[ids[1]]["Connections"] == 1 else None

    rows = until_true(everyone)
    assert rows[ids[0]]["This"] and not rows[ids[1]]["This"]
    for node_id in ids:
        row = rows[node_id]
        assert row["State"] == "up" and row["Database"]["Ok"] and row["Redis"]["Ok"], row
        assert row["Bus"] == "redis" and "sent" in row["BusStats"] and row["LastSeen"] > 0
        assert "@" not in row["Database"]["Url"] and "@" not in row["Redis"]["Url"]
    watcher.close()

    n2.kill()  # no goodbye: its entry ages
    stale = until_true(lambda: board().get(ids[1], {}).get("State") == "stale" or None)
    assert stale
    n3.stop()  # a clean shutdown says so
    assert until_true(lambda: board().get(ids[2], {}).get("State") == "stopped" or None)
    assert until_true(lambda: ids[1] not in board() or None, timeout=30)  # forgotten
    error(n1.api.user("m").get("/admin/nodes"), 403)
    assert "Traceback" not in n1.log(), n1.log()[-3000:]


def until_true(probe, timeout=20):
    """``probe()``'s first true answer (polled: nodes publish every second here)."""
    found = []
    assert wait_for(lambda: found.append(probe()) or found[-1], timeout=timeout, interval=0.3), "not seen in time"
    return found[-1]
