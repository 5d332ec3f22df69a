"""Search finds every stored message while SQLite's full-text index follows
the message table from behind (issue 30, migration 0016): a message just
delivered, edits and recalls before and after their message was indexed,
deletes; the store indexes by itself too. The first test runs on every
database; the others are of SQLite's index."""

import secrets

import gevent
import pytest
from sqlalchemy import text

from conftest import DB_KIND
from helpers import send_texts
from http_checks import answer

import ginchat.chat.store as store_module
from ginchat.extensions import db

sqlite_only = pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite's FTS5 index follows from behind")


def word():
    return "zx" + secrets.token_hex(4)


def ids(user, q):
    return [r["Id"] for r in answer(user.get("/message/search", q=q), 200)["Rows"]]


def sql(server, query, **params):
    with server.app.app_context():
        result = db.session.execute(text(query), params)
        rows = [tuple(r) for r in result.all()] if result.returns_rows else []
        db.session.commit()
        return rows


def mark(server):
    return sql(server, "SELECT upto FROM message_fts_upto")[0][0]


@pytest.fixture
def held(monkeypatch):
    """The store indexes nothing by itself while the test runs (searches still do)."""
    monkeypatch.setattr(store_module, "INDEX_EVERY", 10**9)
    monkeypatch.setattr(store_module, "INDEX_AT", 10**9)


def test_a_message_is_found_as_soon_as_it_is_delivered(api, pair, held):
    a, b = pair
    w = word()
    wb = b.ws()
    sent = send_texts(a.ws(), b.id, [f"{w} first", f"{w} second"])
    wb.recv_until(lambda f: f.get("Id") == sent[-1]["Id"])
    assert ids(b, w) == [sent[1]["Id"], sent[0]["Id"]]
    assert ids(a, f"{w} second") == [sent[1]["Id"]]


@sqlite_only
def test_the_search_indexes_what_waits_first(api, pair, server, held):
    a, b = pair
    w = word()
    sent = send_texts(a.ws(), b.id, [f"{w} waiting"])
    assert mark(server) < sent[0]["Id"], "the store indexed it in its insert"
    assert ids(b, w) == [sent[0]["Id"]]
    assert mark(server) >= sent[0]["Id"]
    assert ids(b, w) == [sent[0]["Id"]], "indexed once"


@sqlite_only
def test_edits_recalls_and_deletes_before_and_after_indexing(api, pair, server, held):
    a, b = pair
    w, old, new = word(), word(), word()
    texts = [f"{w} {old} edited early", f"{w} recalled early", f"{w} {old} edited late", f"{w} recalled late"]
    texts += [f"{w} deleted early", f"{w} deleted late", f"{w} kept"]
    sent = [m["Id"] for m in send_texts(a.ws(), b.id, texts)]
    edited_early, recalled_early, edited_late, recalled_late, deleted_early, deleted_late, kept = sent
    # Before the index holds them.
    answer(a.post("/message/edit", id=edited_early, content=f"{w} {new} edited early"), 200)
    answer(a.post("/message/recall", id=recalled_early), 200)
    sql(server, "DELETE FROM message WHERE id = :id", id=deleted_early)
    assert mark(server) < edited_early
    assert ids(b, w) == [kept, deleted_late, recalled_late, edited_late, edited_early]
    assert mark(server) >= kept
    # After: the triggers follow.
    answer(a.post("/message/edit", id=edited_late, content=f"{w} {new} edited late"), 200)
    answer(a.post("/message/recall", id=recalled_late), 200)
    sql(server, "DELETE FROM message WHERE id = :id", id=deleted_late)
    assert ids(b, w) == [kept, edited_late, edited_early]
    assert ids(b, old) == []
    assert ids(b, new) == [edited_late, edited_early]
    # The index holds exactly the table's text (FTS5 compares it with message_search).
    sql(server, "INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 1)")


@sqlite_only
def test_the_store_indexes_by_itself(api, pair, server):
    a, b = pair
    sent = send_texts(a.ws(), b.id, [f"{word()} on its own"])
    store = server.app.extensions["chat"].store
    for _ in range(300):  # the store indexes within INDEX_EVERY (0.5 s); the machine may be slow
        if mark(server) >= sent[0]["Id"]:
            break
        gevent.sleep(0.05)
    assert mark(server) >= sent[0]["Id"]
    assert store.indexed > 0
