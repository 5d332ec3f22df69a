"""Schema migrations (migrations/, applied on start by ginchat/schema.py), on
the database the suite runs on (GINCHAT_TEST_DB), in a database of their own
next to the suite's: a new database upgrades to exactly the models' schema; a
database of the last release, at revision 1 or made by create_all before
migrations, keeps its rows; several nodes starting at once migrate once."""

import os
from datetime import datetime

import gevent
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import MetaData, create_engine, inspect, make_url, text

from conftest import DB_KIND, MYSQL_URL, PG_URL, _ensure_database

from ginchat import database_uri, engine_options, schema
from ginchat.extensions import db
from ginchat.models.search import in_models
from ginchat.utils.cjk import pair_tokens
from ginchat.utils.names import skeleton

NOW = datetime(2026, 11, 1, 12, 0, 0)
# The tables whose one integer key the database generates: never an id twice.
GENERATED_IDS = ("user_basic", "auth_token", "communities", "contact", "friend_request", "user_block")


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of this file's own on the suite's database server."""
    if DB_KIND == "sqlite":
        return "sqlite:///" + os.path.join(tmp_path, "migrations.db")
    url = make_url(MYSQL_URL if DB_KIND == "mysql" else PG_URL)
    url = url.set(database=url.database + "_migrations").render_as_string(hide_password=False)
    _ensure_database(url)
    engine = create_engine(url)
    try:
        found = MetaData()
        found.reflect(engine)
        found.drop_all(engine)
    finally:
        engine.dispose()
    return url


def schema_app(url):
    """The part of GinChat that migrations need: the database and Flask-Migrate."""
    app = Flask("ginchat-migrations-test")
    uri = database_uri(url, None)
    app.config.update(SQLALCHEMY_DATABASE_URI=uri, SQLALCHEMY_ENGINE_OPTIONS=engine_options(uri, None))
    db.init_app(app)
    schema.init_app(app)
    return app


def upgrade_to(app, revision):
    """Run the migrations up to ``revision`` only, as a build of that revision would have."""
    with app.app_context(), db.engine.connect() as conn:
        config = schema.migrate.get_config(schema.MIGRATIONS)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()


def head():
    return ScriptDirectory(schema.MIGRATIONS).get_current_head()


def differences(app):
    """What autogenerate would write to make the database match the models."""
    with app.app_context(), db.engine.connect() as conn:
        # The full-text engines' objects (FTS5 tables, FULLTEXT and GIN indexes) are no models of ours.
        opts = {"compare_type": True, "compare_server_default": True, "include_name": in_models}
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, db.metadata)


def revision_of(app):
    with app.app_context(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def rows(app, query, **params):
    with app.app_context(), db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params).all()]


def execute(app, statements):
    """Run SQL statements; ``{desc}`` stands for the column named desc, quoted as the database wants."""
    with app.app_context(), db.engine.begin() as conn:
        desc = conn.dialect.identifier_preparer.quote("desc")
        for query, params in statements:
            conn.execute(text(query.replace("{desc}", desc)), params)


def assert_like_the_models(app):
    assert differences(app) == [], "the migrated schema differs from the models: add a migration"
    assert revision_of(app) == head()
    if DB_KIND == "sqlite":
        with app.app_context(), db.engine.connect() as conn:
            for table in GENERATED_IDS:
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
                assert "AUTOINCREMENT" in sql.upper(), f"{table} may give a deleted row's id again: {sql}"


def message(msg_id, conv, user, target, kind, content):
    query = (
        "INSERT INTO message (id, conv, seq, user_id, target_id, type, media, content, url, amount, "
        "create_time) VALUES (:id, :conv, 1, :user, :target, :kind, 1, :content, '', 0, 1)"
    )
    return query, {"id": msg_id, "conv": conv, "user": user, "target": target, "kind": kind, "content": content}


def release_rows(app):
    """Users (two with names that pass for each other), a group with members,
    a friendship, messages and a login, as the last release stored them."""
    users = ["Alice", "bob", "paypal", "paypa1", "Zoë"]
    user = (
        "INSERT INTO user_basic (created_at, updated_at, name, name_key, password, phone, email, avatar, "
        "client_ip) VALUES (:now, :now, :name, :key, 'x', '', '', '', '')"
    )
    execute(app, [(user, {"now": NOW, "name": n, "key": n.casefold()}) for n in users])
    ids = dict(rows(app, "SELECT name, id FROM user_basic"))
    group = (
        "INSERT INTO communities (created_at, name, name_key, owner_id, img, {desc}) "
        "VALUES (:now, :name, :key, :owner, '', '')"
    )
    execute(app, [(group, {"now": NOW, "name": "Team Berlin", "key": "team berlin", "owner": ids["Alice"]})])
    gid = rows(app, "SELECT id FROM communities")[0][0]
    contact = (
        "INSERT INTO contact (created_at, owner_id, target_id, type, {desc}) VALUES (:now, :owner, :target, :type, '')"
    )
    execute(
        app,
        [
            (contact, {"now": NOW, "owner": ids["Alice"], "target": gid, "type": 2}),
            (contact, {"now": NOW, "owner": ids["bob"], "target": gid, "type": 2}),
            (contact, {"now": NOW, "owner": ids["Alice"], "target": ids["bob"], "type": 1}),
            (contact, {"now": NOW, "owner": ids["bob"], "target": ids["Alice"], "type": 1}),
            message(1, f"g:{gid}", ids["Alice"], gid, 2, "hello group"),
            message(2, f"p:{ids['Alice']}:{ids['bob']}", ids["bob"], ids["Alice"], 1, "hello Alice"),
            ("INSERT INTO msg_counter (name, value) VALUES ('message', 2)", {}),
            (
                "INSERT INTO auth_token (user_id, digest, created_at, expires_at, revoked) "
                "VALUES (:user, 'd1', :now, :now, :no)",
                {"user": ids["bob"], "now": NOW, "no": False},
            ),
        ],
    )
    return ids, gid


def assert_rows_kept(app, ids, gid):
    users = dict(rows(app, "SELECT name, name_skeleton FROM user_basic"))
    assert set(users) == {"Alice", "bob", "paypal", "paypa1", "Zoë"}
    assert dict(rows(app, "SELECT name, id FROM user_basic")) == ids
    for name in ("Alice", "bob", "paypal", "Zoë"):
        assert users[name] == skeleton(name)
    # An older look-alike pair keeps both names; the newer gets a skeleton of its own.
    assert users["paypa1"] != users["paypal"] and users["paypa1"].startswith(skeleton("paypa1"))
    assert rows(app, "SELECT name, name_skeleton, policy, history, who_may_add FROM communities") == [
        ("Team Berlin", skeleton("Team Berlin"), "open", "all", "members")
    ]
    members = rows(app, "SELECT owner_id, role, join_id, history_id FROM contact WHERE type = 2 ORDER BY owner_id")
    assert members == sorted([(ids["Alice"], 0, 0, 0), (ids["bob"], 0, 0, 0)])
    assert len(rows(app, "SELECT id FROM contact WHERE type = 1")) == 2
    assert rows(app, "SELECT id, content FROM message ORDER BY id") == [(1, "hello group"), (2, "hello Alice")]
    assert rows(app, "SELECT digest, cookie_digest FROM auth_token") == [("d1", None)]
    # Ids go on growing, and a deleted row's id (the newest) never comes back.
    user = (
        "INSERT INTO user_basic (created_at, updated_at, name, name_key, name_skeleton, password, phone, "
        "email, avatar, client_ip) VALUES (:now, :now, :name, :name, :name, 'x', '', '', '', '')"
    )
    execute(app, [(user, {"now": NOW, "name": "carol"})])
    carol = rows(app, "SELECT id FROM user_basic WHERE name = 'carol'")[0][0]
    assert carol > max(ids.values())
    execute(app, [("DELETE FROM user_basic WHERE id = :id", {"id": carol}), (user, {"now": NOW, "name": "dave"})])
    dave = rows(app, "SELECT id FROM user_basic WHERE name = 'dave'")[0][0]
    assert dave > carol, f"user id {carol} given again"
    execute(
        app,
        [
            (
                "INSERT INTO communities (created_at, name, name_key, name_skeleton, owner_id, img, {desc}) "
                "VALUES (:now, 'g2', 'g2', 'g2', :owner, '', '')",
                {"now": NOW, "owner": carol},
            )
        ],
    )
    assert rows(app, "SELECT id FROM communities WHERE name = 'g2'")[0][0] > gid


def test_a_new_database_upgrades_to_exactly_the_models(scratch_url):
    app = schema_app(scratch_url)
    schema.upgrade(app)
    assert_like_the_models(app)
    assert rows(app, "SELECT name, value FROM msg_counter") == [("message", 0)]
    schema.upgrade(app)  # every later start finds nothing to do
    assert_like_the_models(app)


def test_a_release_database_upgrades_and_keeps_its_rows(scratch_url):
    app = schema_app(scratch_url)
    upgrade_to(app, schema.FIRST_REVISION)
    ids, gid = release_rows(app)
    schema.upgrade(app)
    assert_like_the_models(app)
    assert_rows_kept(app, ids, gid)
    assert rows(app, "SELECT name, value FROM msg_counter") == [("message", 2)]


def test_a_database_made_before_migrations_is_stamped_then_upgraded(scratch_url):
    app = schema_app(scratch_url)
    upgrade_to(app, schema.FIRST_REVISION)  # what create_all made: revision 1 is that schema
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    ids, gid = release_rows(app)
    with app.app_context(), db.engine.connect() as conn:
        assert "alembic_version" not in inspect(conn).get_table_names()
    schema.upgrade(app)
    assert_like_the_models(app)
    assert_rows_kept(app, ids, gid)


def test_nodes_starting_at_once_migrate_once(scratch_url):
    apps = [schema_app(scratch_url) for _ in range(3)]
    jobs = [gevent.spawn(schema.upgrade, app) for app in apps]
    gevent.joinall(jobs, raise_error=True)
    assert_like_the_models(apps[0])
    assert rows(apps[0], "SELECT name, value FROM msg_counter") == [("message", 0)]


@pytest.mark.skipif(DB_KIND != "postgresql", reason="GIN's pending list is PostgreSQL's")
def test_postgresql_s_search_index_updates_without_a_pending_list(scratch_url):
    """Revision 0008: an insert never waits for GIN's pending list to be
    merged (the ~100 ms commits at the tail of PostgreSQL's latency)."""
    app = schema_app(scratch_url)
    upgrade_to(app, "0007")
    options = "SELECT reloptions FROM pg_class WHERE relname = 'ix_message_content_tsv'"
    assert rows(app, options) == [(None,)]  # PostgreSQL's default: fastupdate on
    schema.upgrade(app)
    assert rows(app, options) == [(["fastupdate=off"],)]
    assert_like_the_models(app)


def test_existing_accounts_get_their_search_words(scratch_url):
    """Revision 0009: the people search finds existing accounts by any word of
    their names and by pinyin, as it finds new ones."""
    app = schema_app(scratch_url)
    upgrade_to(app, "0008")
    user = (
        "INSERT INTO user_basic (created_at, updated_at, name, name_key, name_skeleton, display_name, display_key, "
        "password, phone, email, avatar, client_ip, role) "
        "VALUES (:now, :now, :name, :key, :key, :display, :display, 'x', '', '', '', '', '')"
    )
    execute(app, [(user, {"now": NOW, "name": "wei", "key": "wei", "display": "张伟"})])
    schema.upgrade(app)
    assert rows(app, "SELECT name_words FROM user_basic") == [(" wei 张伟 zhangwei zw",)]
    assert_like_the_models(app)


def test_messages_stored_before_are_found_by_a_word_inside_cjk_text(scratch_url):
    """Revision 0012: the messages already stored get their CJK search text,
    and the engine's index takes it."""
    app = schema_app(scratch_url)
    upgrade_to(app, ScriptDirectory(schema.MIGRATIONS).get_revision("0012").down_revision)
    execute(app, [message(1, "p:1:2", 1, 2, 1, "我们明天下午开会讨论预算"), message(2, "p:2:3", 2, 3, 1, "plain text")])
    schema.upgrade(app)
    assert_like_the_models(app)
    texts = dict(rows(app, "SELECT id, search_text FROM message"))
    assert texts[2] is None and texts[1].split()[:2] == pair_tokens("我们明天")[:2]
    phrase = " ".join(pair_tokens("开会讨论")[:-1])
    if DB_KIND == "sqlite":
        query = "SELECT rowid FROM message_fts WHERE message_fts MATCH :q"
        assert rows(app, query, q=f'content : "{phrase}"') == [(1,)]
    elif DB_KIND == "postgresql":
        query = (
            "SELECT id FROM message WHERE to_tsvector('simple'::regconfig, coalesce(search_text, content)) "
            "@@ to_tsquery('simple'::regconfig, :q)"
        )
        assert rows(app, query, q=phrase.replace(" ", " <-> ")) == [(1,)]
    else:
        query = "SELECT id FROM message WHERE MATCH (content, search_text) AGAINST (:q IN BOOLEAN MODE)"
        assert rows(app, query, q=f'+"{phrase}"') == [(1,)]


def downgrade_to(app, revision):
    with app.app_context(), db.engine.connect() as conn:
        config = schema.migrate.get_config(schema.MIGRATIONS)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        conn.commit()


@pytest.mark.skipif(DB_KIND != "sqlite", reason="the FTS5 index is SQLite's")
def test_the_sqlite_index_follows_from_behind_and_back(scratch_url):
    """Revision 0016: the messages indexed by the insert trigger stay found
    (the mark starts at the newest), a new message waits for the batch that
    indexes it; going back indexes what waited and brings the trigger back."""
    app = schema_app(scratch_url)
    upgrade_to(app, "0015")
    execute(app, [message(1, "p:1:2", 1, 2, 1, "alpha before")])
    schema.upgrade(app)
    assert_like_the_models(app)
    assert rows(app, "SELECT upto FROM message_fts_upto") == [(1,)]
    execute(app, [message(2, "p:2:3", 2, 3, 1, "bravo after")])
    match = "SELECT rowid FROM message_fts WHERE message_fts MATCH :q ORDER BY rowid"
    assert rows(app, match, q="alpha") == [(1,)]
    assert rows(app, match, q="bravo") == [], "no trigger indexes it"
    downgrade_to(app, "0015")
    assert rows(app, match, q="bravo") == [(2,)]
    execute(app, [message(3, "p:3:4", 3, 4, 1, "charlie trigger")])
    assert rows(app, match, q="charlie") == [(3,)]
    execute(app, [("INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 1)", {})])
    schema.upgrade(app)
    assert rows(app, "SELECT upto FROM message_fts_upto") == [(3,)]
    assert_like_the_models(app)
