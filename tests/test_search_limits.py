"""Message search and sync cannot be used to stall a node (issue 24, item 2):
each counts against a per-user limit held in Redis (so across nodes), a
SQLite search runs off the event loop within a time budget, and the read
rule stays in the index however many groups the searcher is in."""

import secrets

import gevent
import pytest

from conftest import DB_KIND
from helpers import Api, User, send_texts
from http_checks import answer, error


def on(server, user):
    """``user`` as a client of another node (the same account and token)."""
    return User(Api(server), {"ID": user.id, "Name": user.name, "Token": user.token}, user.password)


def test_message_search_and_sync_count_per_user_across_nodes(make_server):
    first = make_server(MESSAGE_SEARCHES_PER_MINUTE=3, SYNCS_PER_MINUTE=4)
    second = make_server(MESSAGE_SEARCHES_PER_MINUTE=3, SYNCS_PER_MINUTE=4)
    api = Api(first)
    me, other = api.user(), api.user()
    there = on(second, me)
    error(me.get("/message/search", q="!!"), 400)  # a bad q is refused before it counts
    answer(me.get("/message/search", q="hello"), 200)
    answer(there.get("/message/search", q="hello"), 200)
    answer(me.post("/message/search", q="hello"), 200)
    r = there.get("/message/search", q="hello")
    error(r, 429, "searches", "3 per minute")
    assert int(r.headers["Retry-After"]) >= 1
    error(me.get("/message/search", q="hello"), 429, "searches")
    answer(other.get("/message/search", q="hello"), 200)  # another user has a count of their own
    # People search keeps its own count.
    answer(me.get("/user/search", q="x"), 200)

    error(me.get("/message/sync", since="x"), 400)  # a bad parameter is refused before it counts
    for client in (me, there, me, there):
        answer(client.get("/message/sync", since=0), 200)
    r = me.get("/message/sync", since=0)
    error(r, 429, "sync", "4 per minute")
    assert int(r.headers["Retry-After"]) >= 1
    error(there.get("/message/sync", since=0), 429, "sync")
    answer(other.get("/message/sync", since=0), 200)


SLOW = "zzslowsearch"  # the word that makes a search slow on the test servers below


@pytest.mark.skipif(DB_KIND != "sqlite", reason="the SQLite search runs in a thread of its own")
def test_a_slow_search_does_not_stop_anyone_elses_chat(make_server):
    """While a search that takes long is running, another user's message goes
    round: the search does not hold the event loop."""
    server = make_server(SEARCH_TEST_SLOW_WORD=SLOW, SEARCH_BUDGET=30)
    api = Api(server)
    searcher, a, b = api.user(), api.user(), api.user()
    api.befriend(a, b)
    wa, wb = a.ws(), b.ws()
    send_texts(wa, b.id, ["warm up"])
    wb.messages(1)
    slow = gevent.spawn(searcher.get, "/message/search", q=SLOW)
    started = gevent.spawn(lambda: wait_until_searching(server))
    started.join(10)
    assert started.value, "the slow search did not start"
    sent = send_texts(wa, b.id, ["while someone searches"])
    assert wb.messages(1)[0]["Id"] == sent[0]["Id"]
    assert not slow.ready(), "the message went round only after the search ended"
    stop_slow_searches(server)
    slow.join(15)
    answer(slow.value, 200)


@pytest.mark.skipif(DB_KIND != "sqlite", reason="the SQLite search runs in a thread of its own")
def test_a_search_past_its_budget_stops_with_a_clear_answer(make_server):
    server = make_server(SEARCH_TEST_SLOW_WORD=SLOW, SEARCH_BUDGET=0.2)
    api = Api(server)
    a, b = api.user(), api.user()
    api.befriend(a, b)
    w = "zq" + secrets.token_hex(4)
    sent = send_texts(a.ws(), b.id, [f"{w} found"])
    r = b.get("/message/search", q=SLOW)
    error(r, 503, "narrow")
    # The reader is free again: the next search answers.
    assert [h["Id"] for h in answer(b.get("/message/search", q=w), 200)["Rows"]] == [sent[0]["Id"]]


def wait_until_searching(server):
    while not getattr(server.app.extensions.get("search_reader"), "started", 0):
        gevent.sleep(0.01)
    return True


def stop_slow_searches(server):
    server.app.extensions["search_reader"].release_slow()


def test_a_member_of_many_groups_finds_exactly_what_they_may_read(api):
    """Past 200 groups the read rule still decides (and, on SQLite, still
    runs in the index: the reader tokens of every group)."""
    a, b = api.user(), api.user()
    api.befriend(a, b)
    w = "zq" + secrets.token_hex(4)
    groups = [
        answer(b.post("/contact/createCommunity", name="g" + secrets.token_hex(5)), 201)["Data"]["ID"]
        for _ in range(204)
    ]
    groups.append(api.group(a, b)["ID"])  # one b joined (and leaves below)
    wb = b.ws()
    mine = send_texts(wb, groups[0], [f"{w} first group"], type_=2)
    mine += send_texts(wb, groups[-1], [f"{w} last group"], type_=2)
    mine += send_texts(wb, a.id, [f"{w} private"])
    stranger = api.user()
    theirs = answer(stranger.post("/contact/createCommunity", name="g" + secrets.token_hex(5)), 201)["Data"]["ID"]
    send_texts(stranger.ws(), theirs, [f"{w} not b's group"], type_=2)
    got = [h["Id"] for h in answer(b.get("/message/search", q=w), 200)["Rows"]]
    assert got == [m["Id"] for m in reversed(mine)]
    answer(b.post("/contact/quitGroup", comId=groups[-1]), 200)
    got = [h["Id"] for h in answer(b.get("/message/search", q=w), 200)["Rows"]]
    assert got == [mine[2]["Id"], mine[0]["Id"]]


@pytest.fixture
def statements(server):
    """The SQL the shared server sends while the test runs (text of each statement)."""
    from sqlalchemy import event

    from ginchat.extensions import db

    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    with server.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.skipif(DB_KIND != "mysql", reason="MariaDB's FULLTEXT index reads every message holding the words")
def test_mariadb_searches_from_what_a_light_reader_may_read(api, pair, statements):
    """A searcher who may read few messages is searched from them: the
    FULLTEXT index (every message of anyone holding the words) is not asked."""
    a, b = pair
    w = "zq" + secrets.token_hex(4)
    sent = send_texts(a.ws(), b.id, [f"{w} here"])
    del statements[:]
    assert [h["Id"] for h in answer(b.get("/message/search", q=w), 200)["Rows"]] == [sent[0]["Id"]]
    searches = [s for s in statements if "message.content" in s]
    assert searches and not [s for s in searches if "MATCH" in s.upper()], searches


def test_both_plans_answer_alike(make_server):
    """MariaDB searches a light reader from their messages and a heavy one
    from the FULLTEXT index (SEARCH_SCAN_READABLE 0: always): the same hits
    either way (and on the other databases, trivially)."""
    scan = make_server()
    index = make_server(SEARCH_SCAN_READABLE=0)
    api = Api(scan)
    a, b = api.user(), api.user()
    api.befriend(a, b)
    w = "zq" + secrets.token_hex(4)
    texts = [
        f"{w} Déploiement done",
        f"{w} deployment of v2",
        f"{w} ok the plan",
        f"{w} okay, book a token",
        f"{w}-redeploy; x ok",
        f"the end {w}",
    ]
    wa = a.ws()
    send_texts(wa, b.id, texts)
    gid = api.group(a, b)["ID"]
    send_texts(wa, gid, [f"{w} in the group, deploy", f"{w} OK in caps"], type_=2)
    queries = [
        w,
        f"{w} DÉPLOI",
        f"{w} deploy",
        f"{w} ok",
        f"{w} the",
        f"{w} v2",
        f"{w} dep",
        f"{w} oka",
        f"{w} x",
        f"{w} score",
        f"{w} end the",
    ]
    for q in queries:
        got = [
            [h["Id"] for h in answer(on(server, b).get("/message/search", q=q), 200)["Rows"]]
            for server in (scan, index)
        ]
        assert got[0] == got[1], (q, got)
    paged = [answer(on(server, b).get("/message/search", q=w, size=3), 200) for server in (scan, index)]
    assert paged[0]["Rows"] == paged[1]["Rows"] and paged[0]["Data"] == paged[1]["Data"]
