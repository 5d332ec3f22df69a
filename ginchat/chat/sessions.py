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

from ginchat.extensions import db
from ginchat.models.user_basic import AuthToken
from ginchat.signals import sessions_ended

log = logging.getLogger("ginchat.chat")

CLOSE_CODE = 1008  # policy violation: the credential is no longer valid
CLOSE_REASON = "the session has ended: log in again"
REMEMBER = 120.0  # seconds a rule is kept for sockets still registering
CHECK_CHUNK = 500  # session ids per SQL query of the periodic check


def install(engine):
    engine.session_check_interval = float(engine.app.config.get("SESSION_CHECK_INTERVAL") or 30)
    engine.ended_sessions = {}  # user id -> [(monotonic time, rule)] heard lately
    sessions_ended.connect(lambda sender, **rule: end(engine, **rule), sender=engine.app, weak=False)


def end(engine, user_id, sessions=None, keep=None, up_to=None):
    """Sessions ended here (committed): close their sockets here and on every node."""
    rule = {"UserId": int(user_id), "Sessions": None if sessions is None else sorted(int(s) for s in sessions),
            "Keep": keep, "UpTo": up_to}
    apply(engine, rule)
    engine.bus.publish_event(dict(rule, Event="sessions_ended"))


def apply_event(engine, event):
    """The same, heard from another node."""
    try:
        rule = {
            "UserId": int(event["UserId"]),
            "Sessions": None if event.get("Sessions") is None else [int(s) for s in event["Sessions"]],
            "Keep": None if event.get("Keep") is None else int(event["Keep"]),
            "UpTo": None if event.get("UpTo") is None else int(event["UpTo"]),
        }
    except (KeyError, TypeError, ValueError):
        log.warning("malformed sessions_ended event dropped: %r", event)
        return
    apply(engine, rule)


def matches(rule, session_id):
    if rule["Sessions"] is not None:
        return session_id in rule["Sessions"]
    if session_id is None:
        return True
    return session_id != rule["Keep"] and (rule["UpTo"] is None or session_id <= rule["UpTo"])


def apply(engine, rule):
    user_id = rule["UserId"]
    now = time.monotonic()
    heard = [(t, r) for t, r in engine.ended_sessions.get(user_id, ()) if now - t < REMEMBER]
    heard.append((now, rule))
    engine.ended_sessions[user_id] = heard
    if len(engine.ended_sessions) > 10000:  # forget users whose rules are all old
        for uid in [u for u, rules in engine.ended_sessions.items() if now - rules[-1][0] >= REMEMBER]:
            del engine.ended_sessions[uid]
    for node in tuple(engine.client_map.get(user_id, ())):
        if matches(rule, node.session_id):
            close(node)


def on_attach(engine, node):
    """A socket registering now whose session ended while its handshake ran."""
    now = time.monotonic()
    for heard_at, rule in engine.ended_sessions.get(node.user_id, ()):
        if now - heard_at < REMEMBER and matches(rule, node.session_id):
            close(node)
            return


def close(node):
    if not node.closed:
        log.info("%r: its session ended, closing", node)
        gevent.spawn(node.close, CLOSE_CODE, CLOSE_REASON)


def check_loop(engine):
    while True:
        gevent.sleep(engine.session_check_interval)
        try:
            check(engine)
        except Exception:  # SQL down, say: the next round tries again
            log.exception("checking the sockets' sessions failed")


def check(engine):
    """Close every local socket whose session has ended in SQL."""
    by_session = {}
    for nodes in list(engine.client_map.values()):
        for node in nodes:
            if node.session_id is not None and not node.closed:
                by_session.setdefault(node.session_id, []).append(node)
    ids = list(by_session)
    with engine.app.app_context():
        try:
            for start in range(0, len(ids), CHECK_CHUNK):
                for session_id in AuthToken.ended_among(ids[start:start + CHECK_CHUNK]):
                    for node in by_session[session_id]:
                        close(node)
        finally:
            db.session.remove()
