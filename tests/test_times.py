"""Times (issue 13, item 9): stored times are UTC and every time in an answer
is Unix milliseconds, whatever time zone the server runs in."""

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select

from http_checks import answer, listing
from multinode import cluster, shared  # noqa: F401  (fixtures)

from ginchat.models.friend_request import FriendRequest

pytestmark = pytest.mark.slow  # a node process in another time zone


MINUTE_MS = 60_000


def test_a_server_in_tokyo_answers_utc_milliseconds(cluster, shared, monkeypatch):
    # The node process inherits the environment: its local time is UTC+9.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    (node,) = cluster(1, "none", FRIEND_ADD="request")
    api = node.api
    a, b = api.user("tz"), api.user("tz")
    before = int(time.time() * 1000)
    req = answer(a.post("/contact/requestFriend", targetId=b.id), 201)["Data"]
    listed = listing(b.post("/contact/friendRequests"))["Rows"][0]
    after = int(time.time() * 1000)
    for when in (req["CreateTime"], listed["CreateTime"]):
        assert before - MINUTE_MS <= when <= after + MINUTE_MS, (when - before) / 3_600_000
    # Stored as UTC: the row's naive time is the UTC wall clock, not Tokyo's.
    engine = create_engine(shared["db"])
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(FriendRequest.created_at).where(FriendRequest.id == req["ID"])).scalar()
    finally:
        engine.dispose()
    assert abs(int(stored.replace(tzinfo=UTC).timestamp() * 1000) - req["CreateTime"]) < 1000
    # Messages carry milliseconds since the epoch too.
    answer(b.post("/contact/answerRequest", requestId=req["ID"], accept="true"), 200)
    wa = a.ws()
    wa.send(Type=1, TargetId=b.id, Content="what time is it?")
    sent = wa.messages(1)[0]
    assert before - MINUTE_MS <= sent["CreateTime"] <= int(time.time() * 1000) + MINUTE_MS
    wa.close()


def test_utc_ms_reads_a_naive_time_as_utc():
    from ginchat.models.user_basic import utc_ms

    assert utc_ms(datetime(1970, 1, 1, 0, 0, 1)) == 1000
    assert utc_ms(datetime(2026, 1, 1, 9, 0, tzinfo=UTC)) == utc_ms(datetime(2026, 1, 1, 9, 0))
    assert utc_ms(None) == 0
