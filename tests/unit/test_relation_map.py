"""A node's relation maps (ginchat/chat/relations.py) without a server: a
negative answer is checked in SQL, and that check yields to other greenlets,
so a bus event may forget the key meanwhile; the answer must stand and
nothing may raise (a KeyError there killed the sender's connection)."""

from flask import Flask

from ginchat.chat.relations import RelationMap


def test_a_key_forgotten_during_the_sql_check_answers_and_stays_forgotten():
    app = Flask("relation-map-test")
    box = {}

    def check(key, value):
        box["map"].forget(key)  # a "writers" event from another node, during the query
        return True

    rel = RelationMap(app, lambda key: {1}, check)
    box["map"] = rel
    assert rel.get(7) == {1}
    assert rel.has(7, 2) is True
    assert rel.get(7) == {1}, "forgotten: reloaded from SQL, not the stale set"
