"""Presence frames of a burst of arrivals (issue 30 item 4): gathered per
loop turn and written to each ``?events=1`` connection together, they still
reach each watcher whole, once each, in order, and never a connection that
did not ask for events."""

import gevent

from helpers import until, ws_events

PRESENCE = 12


def presence_of(conn, users, count):
    """The next ``count`` presence frames about ``users`` on ``conn``, in order."""
    got = []
    while len(got) < count:
        got.append(until(conn, lambda f: f.get("Type") == PRESENCE and f.get("UserId") in users, timeout=15))
    return got


def test_a_burst_of_arrivals_reaches_each_watcher_whole_once_and_in_order(api):
    watchers = [api.user("w"), api.user("w")]
    events = [ws_events(w) for w in watchers]
    plain = api.user("p").ws()  # no ?events=1
    people = [api.user("c") for _ in range(12)]
    ids = {p.id for p in people}
    jobs = [gevent.spawn(p.ws) for p in people]  # all at once
    gevent.joinall(jobs, raise_error=True)
    for conn in events:
        online = presence_of(conn, ids, len(people))
        assert sorted(f["UserId"] for f in online) == sorted(ids)
        assert all(f == {"Type": PRESENCE, "UserId": f["UserId"], "Online": True} for f in online)
    for job in jobs:
        job.value.close()
    for conn in events:
        offline = presence_of(conn, ids, len(people))
        assert sorted(f["UserId"] for f in offline) == sorted(ids)
        assert not any(f["Online"] for f in offline)
        assert [f for f in conn.quiet(0.3) if f.get("Type") == PRESENCE and f.get("UserId") in ids] == []
    assert [f for f in plain.quiet(0.3) if f.get("Type") == PRESENCE] == []
