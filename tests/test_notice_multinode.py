"""The group notice across real node processes (issue 28): set on node 1,
its Type 24 frame reaches a member's connection on node 2 once, in its place
in the Id sequence, even from a node whose bus packets are all lost (the
catch-up reads it from SQL); a member who was away reconnects on node 2 with
``since`` and gets it exactly once; read on node 2, the other device of the
member on node 1 hears it is seen."""

import pytest

from helpers import until, ws_events
from multinode import cluster, one_bus, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


def ok(r):
    assert r.status_code == 200, r.text
    return r.json()["Data"]


def test_the_notice_crosses_nodes_once_and_replays_once(cluster):
    extra = one_bus("udp")
    n1, n2 = cluster(2, "udp", **extra)
    (lossy,) = cluster(1, "udp", BUS_DROP_RATE=1, BUS_CATCHUP_INTERVAL=0.3, **extra)
    owner, member, away = n1.api.user("own"), n1.api.user("mem"), n1.api.user("away")
    gid = n1.api.group(owner, member, away)["ID"]
    wo = n1.api.ws(owner)
    wm = n2.api.ws(member)
    wl = lossy.api.ws(member)
    wo.send(Type=2, TargetId=gid, Content="before", ClientMsgId="b-1")
    since = until(wo, lambda f: f.get("ClientMsgId") == "b-1")["Id"]
    assert until(wm, lambda f: f.get("Type") == 2)["Id"] == since
    assert until(wl, lambda f: f.get("Type") == 2)["Id"] == since

    ok(n1.api.post("/contact/setNotice", token=owner.token, comId=gid, notice="第一版"))
    last = ok(n1.api.post("/contact/setNotice", token=owner.token, comId=gid, notice="第二版"))
    for conn in (wm, wl):
        got = [until(conn, lambda f: f.get("Type") == 24)]
        got += [f for f in conn.quiet(1.0) if f.get("Type") == 24]
        assert [f["Notice"]["Text"] for f in got] == ["第一版", "第二版"]  # each once, in order
        assert got[-1]["Id"] == last["Id"] and got[-1]["GroupId"] == gid
    # Away meanwhile: on node 2 with since, the notice as it is now, once.
    replay = [f for f in n2.api.ws(away, since=since).quiet(1.5) if f.get("Type") == 24]
    assert [(f["Id"], f["Notice"]["Text"], f["Seen"]) for f in replay] == [(last["Id"], "第二版", False)]
    assert [f for f in n2.api.ws(away, since=last["Id"]).quiet(1.0) if f.get("Type") == 24] == []

    # Seen on node 2: the member's device on node 1 hears it.
    events = ws_events(away, n1)
    ok(n2.api.post("/contact/seeNotice", token=away.token, comId=gid, id=last["Id"]))
    told = until(events, lambda f: f.get("Type") == 14 and f.get("Event") == "notice_seen")
    assert (told["GroupId"], told["NoticeId"]) == (gid, last["Id"])
    rows = n1.api.post("/contact/loadcommunity", token=away.token).json()["Rows"]
    assert next(r for r in rows if r["ID"] == gid)["Notice"]["Seen"] is True
    for node in (n1, n2, lossy):
        assert "Traceback" not in node.log(), node.log()[-3000:]
