"""Login sessions on the chat side: a socket belongs to the session it was
opened with, and closes when that session ends, on whichever node it lives.

A session ends in SQL first (logout, a password change, "log out everywhere
else", a deleted account); then ``sessions_ended`` is signalled and this
node closes its matching sockets and tells the other nodes with a bus event
``{"Event": "sessions_ended", "UserId", "Sessions"}`` (those ids) or
``{"Event": "sessions_ended", "UserId", "Keep", "UpTo"}`` (every session of
the user but Keep, up to id UpTo; UpTo null: all of them).

Two gaps are closed too: a socket whose handshake passed just before its
session ended, but which registers after the event, is checked against the
rules heard in the last REMEMBER seconds; and every SESSION_CHECK_INTERVAL
each node asks SQL whether its sockets' sessions still live, which catches
an event the bus lost and sessions that expired (TOKEN_TTL_DAYS)."""

import logging
import time

import gevent

from ginchat.chat.events import SessionsEnded
from ginchat.extensions import db
from ginchat.models.auth_token import AuthToken
from ginchat.settings import settings
from ginchat.signals import sessions_ended

log = logging.getLogger("ginchat.chat")

CLOSE_CODE = 1008  # policy violation: the credential is no longer valid
CLOSE_REASON = "the session has ended: log in again"
REMEMBER = 120.0  # seconds a rule is kept for sockets still registering
CHECK_CHUNK = 500  # session ids per SQL query of the periodic check


class Sessions:
    """The login sessions of this node's sockets, and the end-of-session
    rules heard lately (user id -> [(monotonic time, rule)])."""

    def __init__(self, app, client_map, relations, publish_event):
        """``client_map`` is the engine's (user id -> connections);
        ``publish_event(event)`` tells the other nodes."""
        self.app = app
        self.client_map = client_map
        self.relations = relations
        self.publish_event = publish_event
        self.check_interval = settings(app).session_check_interval or 30.0
        self.ended = {}
        sessions_ended.connect(lambda sender, **rule: self.end(**rule), sender=app, weak=False)

    def end(self, user_id, sessions=None, keep=None, up_to=None):
        """Sessions ended here (committed): close their sockets here and on every node."""
        rule = SessionsEnded(int(user_id), None if sessions is None else sorted(int(s) for s in sessions), keep, up_to)
        self.apply(rule)
        self.publish_event(rule)

    def apply_event(self, rule):
        """The same, heard from another node (a SessionsEnded)."""
        self.apply(rule)

    def apply(self, rule):
        user_id = rule.user_id
        # Deactivated or deleted, maybe: DIRECT_MESSAGES=members asks SQL again.
        self.relations.accounts.discard(0, user_id)
        now = time.monotonic()
        ended = self.ended
        heard = [(t, r) for t, r in ended.get(user_id, ()) if now - t < REMEMBER]
        heard.append((now, rule))
        ended[user_id] = heard
        if len(ended) > 10000:  # forget users whose rules are all old
            for uid in [u for u, rules in ended.items() if now - rules[-1][0] >= REMEMBER]:
                del ended[uid]
        for conn in tuple(self.client_map.get(user_id, ())):
            if matches(rule, conn.session_id):
                close(conn)

    def on_attach(self, conn):
        """A socket registering now whose session ended while its handshake ran."""
        now = time.monotonic()
        for heard_at, rule in self.ended.get(conn.user_id, ()):
            if now - heard_at < REMEMBER and matches(rule, conn.session_id):
                close(conn)
                return

    def check_loop(self):
        while True:
            gevent.sleep(self.check_interval)
            try:
                self.check()
            except Exception:  # SQL down, say: the next round tries again
                log.exception("checking the sockets' sessions failed")

    def check(self):
        """Close every local socket whose session has ended in SQL."""
        by_session = {}
        for conns in list(self.client_map.values()):
            for conn in conns:
                if conn.session_id is not None and not conn.closed:
                    by_session.setdefault(conn.session_id, []).append(conn)
        ids = list(by_session)
        with self.app.app_context():
            try:
                for start in range(0, len(ids), CHECK_CHUNK):
                    for session_id in AuthToken.ended_among(ids[start : start + CHECK_CHUNK]):
                        for conn in by_session[session_id]:
                            close(conn)
            finally:
                db.session.remove()


def matches(rule, session_id):
    if rule.sessions is not None:
        return session_id in rule.sessions
    if session_id is None:
        return True
    return session_id != rule.keep and (rule.up_to is None or session_id <= rule.up_to)


def close(conn):
    if not conn.closed:
        log.info("%r: its session ended, closing", conn)
        gevent.spawn(conn.close, CLOSE_CODE, CLOSE_REASON)
