"""SQLite connections for native threads (gevent's threadpool).

sqlite3 releases the GIL while a statement runs: a statement run on a native
thread costs the event loop nothing, where on the loop's thread it stops
every connection of the node for its whole length. Each such thread needs a
connection of its own, used by one thread at a time."""

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from ginchat.extensions import db


def thread_engine(app):
    """An engine of one SQLite connection, for one native thread at a time; None
    for the other databases (and for an in-memory SQLite, which a second
    connection would not see)."""
    with app.app_context():
        url = db.engine.url
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    connect_args = dict(options.get("connect_args") or {}, check_same_thread=False)
    connect_args.setdefault("timeout", 15)
    engine = create_engine(url, poolclass=StaticPool, connect_args=connect_args)
    with engine.connect():  # connect (and initialise the dialect) here, on the loop's thread
        pass
    return engine
