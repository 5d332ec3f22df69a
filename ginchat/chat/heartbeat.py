"""Presence and the heartbeat sweeper.

``online_<userId>`` lives in Redis with a TTL of HEARTBEAT_TIMEOUT: set on
connect, refreshed by heartbeats (and any other frame), deleted when the
user's last connection here closes. The sweeper closes connections silent
for longer than HEARTBEAT_TIMEOUT.
"""

import logging
import time

import gevent
import redis

from ginchat.utils.presence import online_key

log = logging.getLogger("ginchat.heartbeat")


def _ttl(engine):
    return max(1, int(engine.heartbeat_timeout))


def mark_online(engine, node):
    node.presence_refreshed = time.monotonic()
    try:
        engine.redis.set(online_key(node.user_id), "1", ex=_ttl(engine))
    except redis.RedisError as exc:
        log.warning("could not mark user %s online: %s", node.user_id, exc)


def refresh(engine, node):
    """A heartbeat: the connection is alive. Redis is written at most twice a
    heartbeat interval per connection."""
    now = time.monotonic()
    node.heartbeat_time = now
    if now - node.presence_refreshed >= min(engine.heartbeat_interval, engine.heartbeat_timeout) / 2:
        mark_online(engine, node)


def mark_offline(engine, user_id):
    try:
        engine.redis.delete(online_key(user_id))
    except redis.RedisError as exc:
        log.warning("could not mark user %s offline: %s", user_id, exc)


def sweep_loop(engine):
    """Close connections whose client went silent (the original's timeout check)."""
    period = max(0.2, min(5.0, engine.heartbeat_timeout / 3))
    while True:
        gevent.sleep(period)
        try:
            sweep(engine)
        except Exception:
            log.exception("heartbeat sweep failed")


def sweep(engine):
    deadline = time.monotonic() - engine.heartbeat_timeout
    for nodes in list(engine.client_map.values()):
        for node in list(nodes):
            if node.heartbeat_time < deadline:
                log.info("%r: no heartbeat for %.0f s, closing", node, engine.heartbeat_timeout)
                gevent.spawn(node.close, 1001, "heartbeat timeout")
            elif time.monotonic() - node.presence_refreshed >= engine.heartbeat_timeout / 2:
                # A live connection keeps its user online even between heartbeats.
                mark_online(engine, node)
