"""A request past a rate limit waits RATE_LIMIT_DELAY before its 429 (issue
24: a client flooding a limited route sent 120-200 refused requests a second,
and the refusals alone slowed everyone else on the node). The wait holds only
the flooding connection: everyone else is answered meanwhile."""

import time

import gevent

from helpers import Api
from http_checks import answer, error


def test_a_request_past_a_limit_waits_before_its_429(make_server):
    api = Api(make_server(MESSAGE_SEARCHES_PER_MINUTE=1, RATE_LIMIT_DELAY=0.5))
    user = api.user()
    answer(user.get("/message/search", q="pace"), 200)
    started = time.monotonic()
    r = user.get("/message/search", q="pace")
    error(r, 429, "message searches")
    assert time.monotonic() - started >= 0.5, "refused at once"
    assert int(r.headers["Retry-After"]) >= 1


def test_a_held_refusal_keeps_nobody_else_waiting(make_server):
    api = Api(make_server(MESSAGE_SEARCHES_PER_MINUTE=1, RATE_LIMIT_DELAY=30))
    flooder, other = api.user(), api.user()
    answer(flooder.get("/message/search", q="pace"), 200)
    held = [gevent.spawn(flooder.get, "/message/search", q="pace") for _ in range(5)]
    gevent.sleep(0.2)  # the five are in and waiting
    answer(other.get("/message/search", q="pace"), 200)
    a, b = other, api.user()
    api.befriend(a, b)
    ws = b.ws()
    a.ws().send(Type=1, TargetId=b.id, Content="still here")
    assert ws.messages(1)[0]["Content"] == "still here"
    assert not any(g.ready() for g in held), "the refusals are still held"
    gevent.killall(held)
