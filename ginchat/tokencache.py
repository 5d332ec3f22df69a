"""A cache of bearer tokens in Redis, so that a request or a WebSocket
handshake with a known token needs no SQL to find its session.

An entry ``ginchat:tok:<SHA-256 of the token>`` holds
``user id:session id:expiry (epoch s):generation`` for TOKEN_CACHE_TTL
seconds at most (never past the session's expiry). SQL stays the truth:
a session ends in SQL first (logout, a password change, "log out
everywhere else", deactivation, deletion), then ``sessions_ended`` is
signalled, and here the user's generation ``ginchat:tokgen:<user id>`` is
incremented. Every node reads the same Redis, so from that moment every
entry of the user, on every node, fails the lookup (a Lua script compares
the entry's generation with the user's in one round trip) and the token
is read from SQL again, where it is revoked.

An entry is written only with the generation read *before* SQL said the
session was live (for an existing token a second, fresh SQL read follows
the generation's): a session that ends between the two reads has bumped
the generation past the entry's, so a stale entry can never be written.
Without Redis everything is read from SQL, as before; so it is on SQLite
unless TOKEN_CACHE_TTL says otherwise (see ``ttl``). A node
that does not cache still bumps the generations, so nodes that do stay
right."""

import itertools
import logging
import time
from datetime import UTC

import gevent
import redis
from flask import current_app

from ginchat.extensions import db
from ginchat.models.auth_token import AuthToken
from ginchat.settings import DEFAULT_TOKEN_CACHE_TTL, settings
from ginchat.signals import sessions_ended

log = logging.getLogger("ginchat.auth")

ENTRY = "ginchat:tok:"
GENERATION = "ginchat:tokgen:"
DEFAULT_TTL = DEFAULT_TOKEN_CACHE_TTL  # seconds (TOKEN_CACHE_TTL; 0 turns the cache off)

# KEYS: the entry. ARGV: the generation keys' prefix. The entry when its
# generation is the user's, else nothing (and a stale entry goes).
_LOOKUP = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
local uid, gen = string.match(v, '^(%d+):%d+:%d+:(%d+)$')
if not uid then return false end
local cur = redis.call('GET', ARGV[1] .. uid) or '0'
if cur ~= gen then
  redis.call('DEL', KEYS[1])
  return false
end
return v
"""


class CachedUser:
    """The user of a cached token where only the id is needed (the WebSocket
    handshake): what Flask-Login asks of a user, without a query."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user_id):
        self.id = user_id

    def get_id(self):
        return str(self.id)


def ttl():
    """TOKEN_CACHE_TTL, "auto" (the default) settled by ginchat.config.settle:
    the cache where the database is a server, none on SQLite. There a token's
    read from SQL is in-process and one indexed query (about 15-30 us), while
    the cache's look-up is a round trip to Redis (about 120 us), so it would
    cost every handshake more than it saves; the cache's own writes come on top."""
    return settings().token_cache_ttl


def _redis():
    return current_app.extensions.get("redis")


def _script(client):
    scripts = current_app.extensions.setdefault("tokencache_scripts", {})
    script = scripts.get(id(client))
    if script is None:
        script = scripts[id(client)] = client.register_script(_LOOKUP)
    return script


def lookup(token):
    """(user id, session id) of a cached live token, or None (not cached,
    invalidated, expired, or Redis unavailable)."""
    if not token or len(token) > 200 or not ttl():
        return None
    client = _redis()
    if client is None:
        return None
    try:
        value = _script(client)(keys=[ENTRY + AuthToken.digest_of(token)], args=[GENERATION])
    except redis.RedisError:
        return None
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    user_id, session_id, expires, _gen = (int(part) for part in value.split(":"))
    if expires < time.time():
        return None
    return user_id, session_id


def _live_sessions(session_ids):
    """Which of ``session_ids`` live, with their users active, read again now.
    On the request's own session: a second connection while holding one could
    empty the pool in a storm of handshakes; and every statement sees what
    was committed before it (READ COMMITTED on MySQL and PostgreSQL, no open
    read transaction on SQLite)."""
    return set(db.session.scalars(AuthToken.usable(AuthToken.id).where(AuthToken.id.in_(sorted(session_ids)))))


def remember(token, row, verify=True):
    """Cache ``token`` of the session ``row`` (SQL said it is live). With
    ``verify`` the session is read again after the generation (a token that
    was looked up in SQL: it may have ended meanwhile); a token just issued
    needs no second read, since no rule could name a session before it existed."""
    remember_many([(token, row)], verify)


def remember_many(items, verify=True):
    """``remember`` for many (token, session row) pairs in three round trips
    whatever their number: the users' generations (one MGET), then the
    sessions read again (one query), then the entries (one pipeline)."""
    seconds = ttl()
    client = _redis()
    items = [(token, row) for token, row in items if token]
    if not seconds or client is None or not items:
        return
    try:
        user_ids = sorted({int(row.user_id) for _, row in items})
        values = client.mget([GENERATION + str(user_id) for user_id in user_ids])
        generation = {user_id: int(value or 0) for user_id, value in zip(user_ids, values, strict=True)}
        live = _live_sessions({row.id for _, row in items}) if verify else None
        now = time.time()
        pipe = client.pipeline(transaction=False)
        for token, row in items:
            if live is not None and row.id not in live:
                continue
            expires = int(row.expires_at.replace(tzinfo=UTC).timestamp())  # stored as naive UTC
            left = min(seconds, int(expires - now))
            if left <= 0:
                continue
            value = f"{int(row.user_id)}:{int(row.id)}:{expires}:{generation[int(row.user_id)]}"
            pipe.set(ENTRY + AuthToken.digest_of(token), value, ex=left)
        if len(pipe):
            pipe.execute()
    except redis.RedisError as exc:
        log.debug("%d tokens not cached: %s", len(items), exc)


FILL_BATCH = 200  # tokens cached per round of the filler


def remember_later(token, row):
    """``remember`` after the request, by one filler greenlet per app: the
    request does not wait for Redis while it holds a database connection (a
    storm of handshakes would otherwise empty the pool), the second SQL read
    runs on the filler's own session, and a storm's tokens are cached in
    batches (``remember_many``) rather than three round trips each."""
    if not ttl() or _redis() is None:
        return
    app = current_app._get_current_object()
    state = app.extensions.setdefault("tokencache_fill", {"waiting": {}, "filler": None})
    state["waiting"][token] = SessionRow(row.id, row.user_id, row.expires_at)
    if state["filler"] is None:
        state["filler"] = gevent.spawn(_fill, app, state)


def _fill(app, state):
    waiting = state["waiting"]
    try:
        while waiting:
            batch = list(itertools.islice(waiting.items(), FILL_BATCH))
            for token, _ in batch:
                del waiting[token]
            with app.app_context():
                try:
                    remember_many(batch)
                except Exception:  # a cache left cold costs a query next time, nothing more
                    log.exception("%d tokens not cached", len(batch))
                finally:
                    db.session.remove()
    finally:
        state["filler"] = None


class SessionRow:
    """What ``remember`` reads of an AuthToken row, detached from any session."""

    __slots__ = ("expires_at", "id", "user_id")

    def __init__(self, session_id, user_id, expires_at):
        self.id = session_id
        self.user_id = user_id
        self.expires_at = expires_at


def invalidate(user_id):
    """Every cached token of ``user_id`` stops working, on every node."""
    client = _redis()
    if client is None:
        return
    key = GENERATION + str(int(user_id))
    try:
        pipe = client.pipeline(transaction=True)
        pipe.incr(key)
        # Outlives every entry made with an older generation, which would
        # otherwise match the "0" of a missing key again.
        pipe.expire(key, max(DEFAULT_TTL, ttl()) * 2 + 60)
        pipe.execute()
    except redis.RedisError as exc:
        # The entries are short-lived; the sockets close by the signal anyway.
        log.error("cached tokens of user %s not invalidated (Redis: %s)", user_id, exc)


def init_app(app):
    sessions_ended.connect(lambda sender, user_id, **_: invalidate(user_id), sender=app, weak=False)
