"""The server view of the admin page: every node, seen from any node.

Each node publishes what its /health knows (connections, bus counters, store
queue, whether its database and Redis answer) every few seconds into the
Redis hash ``ginchat:nodes`` (field: node id, value: JSON) and the time it
did so, by Redis's clock, into the sorted set ``ginchat:nodes:seen``: one
clock for every host, so a skewed one cannot make a live node look stale.
A node that missed three publications is shown as stale; one silent for
NODES_FORGET_AFTER seconds is removed by whichever node publishes next.
A clean shutdown publishes a last snapshot that says so ("stopped").

Nothing secret goes into a snapshot: database and Redis URLs lose their user,
password and query (redact_url), and the rest are counters and names."""

import json
import logging
import os
import socket
import time

import gevent
import redis
from sqlalchemy import text

from ginchat.extensions import db
from ginchat.settings import settings
from ginchat.utils.redact import redact_url
from ginchat.utils.wire import dumps

log = logging.getLogger("ginchat.chat")

NODES_KEY = "ginchat:nodes"
SEEN_KEY = "ginchat:nodes:seen"

# KEYS: the nodes hash, the seen set; ARGV: node id, snapshot JSON, forget after (ms).
_PUBLISH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local horizon = now - tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', horizon)
for _, id in ipairs(gone) do redis.call('HDEL', KEYS[1], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', horizon)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return now
"""

# KEYS as _PUBLISH. Returns {now (ms), {id, json, ...}, {id, seen, ...}}.
_READ = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('HGETALL', KEYS[1]), redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}
"""


class NodeBoard:
    """This node's entry on the board, and the reading of the whole board."""

    def __init__(self, app, redis, heartbeat_timeout, node_id, health):
        """``node_id`` is the bus's; ``health()`` the engine's report, the
        heart of the snapshot."""
        self.app = app
        self.redis = redis
        self.node_id = node_id
        self.health = health
        self.period = max(0.2, min(5.0, heartbeat_timeout / 3))  # the presence sweeper's
        self.stale_after = 3 * self.period
        self.forget_after = max(self.stale_after * 2, settings(self.app).nodes_forget_after or 600.0)
        self.started = int(time.time() * 1000)
        self.host = socket.gethostname()
        self._publish = self.redis.register_script(_PUBLISH)
        self._read = self.redis.register_script(_READ)
        self.greenlet = None

    # --- what this node says about itself -----------------------------------------
    def database_status(self):
        uri = self.app.config.get("SQLALCHEMY_DATABASE_URI") or ""
        status = {"Backend": uri.split(":", 1)[0].split("+", 1)[0], "Url": redact_url(uri), "Ok": True}
        try:
            with self.app.app_context():
                db.session.execute(text("SELECT 1"))
                db.session.remove()
        except Exception as exc:  # a status reports, it does not raise
            status.update(Ok=False, Error=exc.__class__.__name__)
        return status

    def redis_status(self):
        status = {"Url": redact_url(self.app.extensions.get("redis_where")), "Ok": True}
        try:
            self.redis.ping()
        except redis.RedisError as exc:
            status.update(Ok=False, Error=exc.__class__.__name__)
        return status

    def snapshot(self, stopped=False):
        data = self.health()
        data.update(
            Host=self.host,
            Pid=os.getpid(),
            Worker=settings(self.app).worker_index,
            Started=self.started,
            Database=self.database_status(),
            Redis=self.redis_status(),
            Stopped=stopped,
        )
        return data

    def publish(self, stopped=False):
        payload = dumps(self.snapshot(stopped))
        keys = [NODES_KEY, SEEN_KEY]
        return self._publish(keys=keys, args=[self.node_id, payload, int(self.forget_after * 1000)])

    def start(self):
        self.greenlet = gevent.spawn(self.publish_loop)

    def stop(self):
        """The loop ends first, so its last round cannot land after "stopped"."""
        if self.greenlet is not None:
            self.greenlet.kill(block=True, timeout=2)
            self.greenlet = None
        try:
            self.publish(stopped=True)
        except Exception as exc:
            log.debug("last node snapshot not published: %s", exc)

    def publish_loop(self):
        while True:
            try:
                self.publish()
            except redis.RedisError as exc:
                log.debug("node snapshot not published: %s", exc)
            except Exception:
                log.exception("node snapshot not published")
            gevent.sleep(self.period)

    # --- the whole board ------------------------------------------------------------
    def listing(self):
        """Every node on the board, this one first and fresh (it is asked now),
        each with State up | stale | stopped and LastSeen (ms, Redis's clock).
        With Redis down, only this node, which says so."""
        mine = self.node_id
        fresh = dict(self.snapshot(), State="up", This=True, LastSeen=int(time.time() * 1000), Age=0.0)
        try:
            now, flat, seen_flat = self._read(keys=[NODES_KEY, SEEN_KEY])
        except redis.RedisError:
            return [fresh]
        now = int(now)
        seen = {seen_flat[i]: int(float(seen_flat[i + 1])) for i in range(0, len(seen_flat), 2)}
        rows = [fresh]
        for i in range(0, len(flat), 2):
            node_id, payload = flat[i], flat[i + 1]
            if node_id == mine or node_id not in seen:
                continue
            try:
                data = json.loads(payload)
            except ValueError:
                continue
            age = max(0.0, (now - seen[node_id]) / 1000)
            state = "stopped" if data.get("Stopped") else ("stale" if age > self.stale_after else "up")
            rows.append(dict(data, State=state, This=False, LastSeen=seen[node_id], Age=round(age, 1)))
        rows[1:] = sorted(rows[1:], key=lambda r: (r["State"] != "up", r.get("Host", ""), r.get("Node", "")))
        return rows
