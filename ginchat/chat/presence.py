"""Presence (who is online, on any node), the heartbeat sweeper, and the
reaping of nodes that died.

``online_<userId>`` lives in Redis with a TTL of HEARTBEAT_TIMEOUT: set on
connect, refreshed by heartbeats (and any other frame) and by the sweeper
while a connection lives. Several nodes may serve one user, so each node
also writes its own entry in the sorted set ``online_nodes_<userId>``
(member: node id, score: when the entry expires, by Redis's clock). When a
user's last connection on a node closes, the node removes its entry and
deletes ``online_<userId>`` only if no other node's entry is still alive;
both steps run in one Lua script, so a node coming online in between cannot
be overwritten. A node that dies stops refreshing: its entries expire, and
the user goes offline after HEARTBEAT_TIMEOUT unless another node serves
them. The sweeper closes connections silent for longer than HEARTBEAT_TIMEOUT.

So that friends also *hear* of it when a node dies, every node keeps
``presence_alive_<node>`` (TTL HEARTBEAT_TIMEOUT, refreshed by the sweeper)
and the set ``presence_users_<node>`` of the users it marked online, and
registers itself in ``presence_nodes_<bus scope>`` (the nodes of its own
bus: its UDP port or Redis channel, so the events reach the dead node's
peers). A sweeper that finds a registered node of its bus whose alive key
has expired claims it (one survivor wins) and takes
each of its users offline with the same script as a closing connection:
those no other node serves go offline, with a presence event to their
friends.
"""

import logging
import time

import gevent
import gevent.event
import gevent.queue
import redis

from ginchat.utils.presence import online_key

log = logging.getLogger("ginchat.heartbeat")

# KEYS: online_<id>, online_nodes_<id>, presence_users_<node>;
# ARGV: node id, TTL in seconds, user id.
# Returns 1 when the user was offline until now (a presence event is due).
_ONLINE = """
local was = redis.call('EXISTS', KEYS[1])
local now = tonumber(redis.call('TIME')[1])
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local keep = ttl
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] then keep = math.max(ttl, tonumber(newest[2]) - now) end
redis.call('EXPIRE', KEYS[2], keep)
redis.call('SET', KEYS[1], '1', 'EX', keep)
redis.call('SADD', KEYS[3], ARGV[3])
return 1 - was
"""

# KEYS as _ONLINE; ARGV: node id, user id. Returns 0 when nobody serves the
# user any more (a presence event is due).
_OFFLINE = """
local now = tonumber(redis.call('TIME')[1])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
return 1
"""


# KEYS: presence_nodes_<scope>, presence_users_<node>, presence_alive_<node>; ARGV: node id.
_FORGET_NODE = """
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return 1
"""


def nodes_key(user_id):
    return f"online_nodes_{user_id}"


def alive_key(node_id):
    return f"presence_alive_{node_id}"


def users_key(node_id):
    return f"presence_users_{node_id}"


class PresenceWriter:
    """One greenlet writes presence, in the order the changes happened, so
    that connecting never waits for Redis (a connection registered with
    ``since`` must not yield before its replay starts) and an "offline"
    never overtakes the "online" before it.

    Whatever queued up while the last round trip ran goes to Redis in one
    pipeline (not a transaction): thousands of idle connections refresh
    presence hundreds of times a second, and a round trip each would cost
    more CPU than everything else at idle."""

    QUEUE = 10000
    BATCH = 500

    def __init__(self, redis_client):
        self.redis = redis_client
        self.queue = gevent.queue.Queue(self.QUEUE)
        self.largest_batch = 0  # for tests and curiosity: pipelining at work
        self.greenlet = gevent.spawn(self._run)

    def submit(self, script, keys, args, then, wait=None):
        """Run ``script`` with ``keys`` and ``args``, then call ``then`` with
        its result (in this greenlet); ``wait`` seconds at most for it."""
        done = gevent.event.Event() if wait else None
        try:
            self.queue.put_nowait((script, keys, args, then, done))
        except gevent.queue.Full:  # only refreshes can pile up; the TTL covers a lost one
            log.warning("presence writes are behind; one skipped")
            return
        if done is not None:
            done.wait(timeout=wait)

    def _run(self):
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            self.largest_batch = max(self.largest_batch, len(batch))
            try:
                self._write(batch)
            except Exception:  # the writer outlives any one batch
                log.exception("presence batch failed")
            finally:
                for *_, done in batch:
                    if done is not None:
                        done.set()

    def _write(self, batch):
        try:
            pipe = self.redis.pipeline(transaction=False)
            for script, keys, args, _, _ in batch:
                script(keys=keys, args=args, client=pipe)
            results = pipe.execute(raise_on_error=False)
        except redis.RedisError as exc:
            log.warning("presence not written (%d changes): %s", len(batch), exc)
            return
        for (_, _, _, then, _), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                log.warning("presence not written: %s", result)
                continue
            try:
                then(result)
            except Exception:
                log.exception("presence change not announced")


class Presence:
    """This node's part of presence: its connections' users online in Redis,
    its own liveness, and its watch over the other nodes of its bus.
    ``on_change(user_id, online)`` hears when a user came online anywhere or
    went offline everywhere."""

    def __init__(self, redis, client_map, timeout, node_id, scope, on_change):
        """``client_map`` is the engine's (user id -> connections); ``timeout``
        the heartbeat timeout (s); ``node_id`` and ``scope`` the bus's."""
        self.redis = redis
        self.client_map = client_map
        self.node_id = node_id
        self.scope = scope
        self.on_change = on_change
        self.timeout = timeout
        self.refreshed = {}  # connection -> when its user's entry was last written
        self._writer = None
        self._online = self.redis.register_script(_ONLINE)
        self._offline = self.redis.register_script(_OFFLINE)
        self._forget = self.redis.register_script(_FORGET_NODE)

    @property
    def writer(self):
        """The writer greenlet, started again should it ever have died."""
        if self._writer is None or self._writer.greenlet.dead:
            self._writer = PresenceWriter(self.redis)
        return self._writer

    @property
    def registry(self):
        """The nodes that this node watches over: those of its own bus, since
        the offline events it sends in a dead node's stead travel on that bus."""
        return f"presence_nodes_{self.scope}"

    def _keys(self, user_id, node_id=None):
        return [online_key(user_id), nodes_key(user_id), users_key(node_id or self.node_id)]

    def _ttl(self):
        return max(1, int(self.timeout))

    def refresh_due(self):
        """How long a connection's presence entry may go unrefreshed: a third of
        its TTL, so two refreshes in a row can be late before it expires."""
        return max(0.5, self.timeout / 3)

    # --- connections --------------------------------------------------------------
    def mark_online(self, conn):
        self.refreshed[conn] = time.monotonic()
        user_id = conn.user_id

        def then(was_offline):
            if was_offline == 1:
                self.on_change(user_id, True)

        self.writer.submit(self._online, self._keys(user_id), [self.node_id, self._ttl(), user_id], then)

    def refresh(self, conn):
        """A heartbeat: the connection is alive. Redis is written only when the
        entry is due (a third of HEARTBEAT_TIMEOUT)."""
        if time.monotonic() - self.refreshed.get(conn, 0.0) >= self.refresh_due():
            self.mark_online(conn)

    def connection_closed(self, conn):
        self.refreshed.pop(conn, None)

    def mark_offline(self, user_id, node_id=None, wait=2):
        """The user's last connection on this node (or on the dead ``node_id``)
        closed: offline unless another node still serves them. Waits (briefly)
        until written, so a node that shuts down leaves nobody online behind it."""
        node_id = node_id or self.node_id

        def then(others):
            if others == 0:
                self.on_change(user_id, False)

        self.writer.submit(self._offline, self._keys(user_id, node_id), [node_id, user_id], then, wait=wait)

    # --- the sweeper ----------------------------------------------------------------
    def sweep_loop(self):
        """Close connections whose client went silent; say this node is alive,
        and take dead nodes' users offline."""
        period = max(0.2, min(5.0, self.timeout / 3))
        while True:
            try:
                self.keep_alive()
                self.reap_dead_nodes()
            except redis.RedisError as exc:
                log.debug("node liveness not checked: %s", exc)
            except Exception:
                log.exception("node liveness check failed")
            gevent.sleep(period)
            try:
                self.sweep()
            except Exception:
                log.exception("heartbeat sweep failed")

    def sweep(self):
        deadline = time.monotonic() - self.timeout
        for conns in list(self.client_map.values()):
            for conn in list(conns):
                if conn.heartbeat_time < deadline:
                    log.info("%r: no heartbeat for %.0f s, closing", conn, self.timeout)
                    gevent.spawn(conn.close, 1001, "heartbeat timeout")
                elif time.monotonic() - self.refreshed.get(conn, 0.0) >= self.refresh_due():
                    # A live connection keeps its user online even between heartbeats.
                    self.mark_online(conn)

    # --- nodes that died ------------------------------------------------------------
    def keep_alive(self):
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(alive_key(self.node_id), "1", ex=self._ttl())
        pipe.sadd(self.registry, self.node_id)
        pipe.execute()

    def reap_dead_nodes(self):
        """Take the users of every node whose alive key expired offline (once,
        by whichever surviving node claims it first)."""
        client = self.redis
        others = [n.decode() if isinstance(n, bytes) else n for n in client.smembers(self.registry)]
        others = [n for n in others if n != self.node_id]
        if not others:
            return
        alive = client.mget([alive_key(n) for n in others])
        for node_id, flag in zip(others, alive, strict=True):
            if flag is None and client.set(f"presence_reaping_{node_id}", self.node_id, nx=True, ex=60):
                self.reap(node_id)

    def reap(self, dead_id):
        users = [int(u) for u in self.redis.smembers(users_key(dead_id))]
        log.warning("node %s stopped answering: taking its %d users offline", dead_id, len(users))
        for user_id in users:
            self.mark_offline(user_id, node_id=dead_id, wait=None)
        self.forget_node(dead_id)  # queued behind the users, so it runs once they are done

    def forget_node(self, node_id=None, wait=None):
        """A node's records go: a dead one's once its users are offline, or this
        node's own at a clean shutdown (its users went offline one by one)."""
        node_id = node_id or self.node_id
        self.writer.submit(
            self._forget,
            [self.registry, users_key(node_id), alive_key(node_id)],
            [node_id],
            lambda _result: None,
            wait=wait,
        )
