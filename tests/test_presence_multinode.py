"""Presence across real node processes when a node dies without a word.

A module of its own: the cluster fixture keeps a module's nodes running
until the module ends, and any node on the shared Redis may be the one
that notices the death, so only this test's nodes may be around."""

import time

import pytest

from helpers import ws_events
from multinode import cluster, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes, one of them killed


def frames_while_beating(conn, beating, seconds):
    """What ``conn`` receives in ``seconds``, every connection in ``beating``
    sending heartbeats and answering pings meanwhile (the timeout is short)."""
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        for other in beating:
            other.send(Type=3)
            if other is not conn:
                other.quiet(0.02)
        frames += conn.quiet(0.3)
    return frames


def test_a_dead_nodes_users_go_offline_for_their_friends(cluster):
    """A node killed outright cannot say goodbye: a surviving node notices its
    liveness key expire and sends the offline events in its stead, only for
    users no other node serves."""
    n1, n2 = cluster(2, "udp", HEARTBEAT_TIMEOUT=4)
    gone, moved, watcher_user = n1.api.user("g"), n1.api.user("v"), n1.api.user("w")
    n1.api.befriend(watcher_user, gone)
    n1.api.befriend(watcher_user, moved)
    watcher = ws_events(watcher_user, n2)
    on_n1 = [n1.api.ws(gone), n1.api.ws(moved)]
    also_on_n2 = n2.api.ws(moved)  # a second device on the surviving node
    beating = [watcher, also_on_n2]
    events = [f for f in frames_while_beating(watcher, beating + on_n1, 2.0) if f.get("Type") == 12]
    assert {(f["UserId"], f["Online"]) for f in events} == {(gone.id, True), (moved.id, True)}

    n1.kill()
    started = time.monotonic()
    events = []
    while not events and time.monotonic() - started < 20:
        events = [f for f in frames_while_beating(watcher, beating, 0.6) if f.get("Type") == 12]
    waited = time.monotonic() - started
    assert events == [{"Type": 12, "UserId": gone.id, "Online": False}]
    # The user still served by node 2 stays online: no event for them.
    assert [f for f in frames_while_beating(watcher, beating, 2.0) if f.get("Type") == 12] == []
    rows = {r["ID"]: r["Online"] for r in n2.api.post("/searchFriends", token=watcher_user.token).json()["Rows"]}
    assert rows == {gone.id: False, moved.id: True}
    assert "stopped answering: taking its 2 users offline" in n2.log()
    assert "Traceback" not in n2.log(), n2.log()[-3000:]
    print(f"offline event {waited:.1f} s after the kill (HEARTBEAT_TIMEOUT=4)")
