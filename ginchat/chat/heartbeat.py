"""Presence and the heartbeat sweeper.

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

from ginchat.chat import features
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


def nodes_key(user_id):
    return f"online_nodes_{user_id}"


def nodes_registry(engine):
    """The nodes that this node watches over: those of its own bus, since
    the offline events it sends in a dead node's stead travel on that bus."""
    return f"presence_nodes_{engine.bus.scope}"


def alive_key(node_id):
    return f"presence_alive_{node_id}"


def users_key(node_id):
    return f"presence_users_{node_id}"


def _keys(engine, user_id, node_id=None):
    return [online_key(user_id), nodes_key(user_id), users_key(node_id or _node_id(engine))]


def _ttl(engine):
    return max(1, int(engine.heartbeat_timeout))


def _script(engine, name, source):
    scripts = engine.__dict__.setdefault("presence_scripts", {})
    if name not in scripts:
        scripts[name] = engine.redis.register_script(source)
    return scripts[name]


class PresenceWriter:
    """One greenlet writes presence, in the order the changes happened, so
    that connecting never waits for Redis (a connection registered with
    ``since`` must not yield before its replay starts) and an "offline"
    never overtakes the "online" before it.

    Whatever queued up while the last round trip ran goes to Redis in one
    pipeline (not a transaction): 9,000 idle connections refresh presence
    hundreds of times a second, and a round trip per refresh cost about a
    third of the server's CPU at idle (BENCHMARKS.md, scenario 3)."""

    QUEUE = 10000
    BATCH = 500

    def __init__(self, engine):
        self.engine = engine
        self.queue = gevent.queue.Queue(self.QUEUE)
        self.largest_batch = 0  # for tests and curiosity: pipelining at work
        self.greenlet = gevent.spawn(self._run)

    @classmethod
    def of(cls, engine):
        writer = engine.__dict__.get("presence_writer")
        if writer is None or writer.greenlet.dead:
            writer = engine.__dict__["presence_writer"] = cls(engine)
        return writer

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
            pipe = self.engine.redis.pipeline(transaction=False)
            for script, keys, args, _, _ in batch:
                script(keys=keys, args=args, client=pipe)
            results = pipe.execute(raise_on_error=False)
        except redis.RedisError as exc:
            log.warning("presence not written (%d changes): %s", len(batch), exc)
            return
        for (_, _, _, then, _), result in zip(batch, results):
            if isinstance(result, Exception):
                log.warning("presence not written: %s", result)
                continue
            try:
                then(result)
            except Exception:
                log.exception("presence change not announced")


def _node_id(engine):
    return engine.bus.node_id


def refresh_due(engine):
    """How long a connection's presence entry may go unrefreshed: a third of
    its TTL, so two refreshes in a row can be late before it expires."""
    return max(0.5, engine.heartbeat_timeout / 3)


def mark_online(engine, node):
    node.presence_refreshed = time.monotonic()
    user_id = node.user_id

    def then(was_offline):
        if was_offline == 1:
            features.presence_changed(engine, user_id, True)

    PresenceWriter.of(engine).submit(
        _script(engine, "online", _ONLINE),
        _keys(engine, user_id), [_node_id(engine), _ttl(engine), user_id], then,
    )


def refresh(engine, node):
    """A heartbeat: the connection is alive. Redis is written only when the
    entry is due (a third of HEARTBEAT_TIMEOUT)."""
    now = time.monotonic()
    node.heartbeat_time = now
    if now - node.presence_refreshed >= refresh_due(engine):
        mark_online(engine, node)


def mark_offline(engine, user_id, node_id=None, wait=2):
    """The user's last connection on this node (or on the dead ``node_id``)
    closed: offline unless another node still serves them. Waits (briefly)
    until written, so a node that shuts down leaves nobody online behind it."""
    node_id = node_id or _node_id(engine)

    def then(others):
        if others == 0:
            features.presence_changed(engine, user_id, False)

    PresenceWriter.of(engine).submit(
        _script(engine, "offline", _OFFLINE),
        _keys(engine, user_id, node_id), [node_id, user_id], then, wait=wait,
    )


def sweep_loop(engine):
    """Close connections whose client went silent (the original's timeout
    check); say this node is alive, and take dead nodes' users offline."""
    period = max(0.2, min(5.0, engine.heartbeat_timeout / 3))
    while True:
        try:
            keep_alive(engine)
            reap_dead_nodes(engine)
        except redis.RedisError as exc:
            log.debug("node liveness not checked: %s", exc)
        except Exception:
            log.exception("node liveness check failed")
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
            elif time.monotonic() - node.presence_refreshed >= refresh_due(engine):
                # A live connection keeps its user online even between heartbeats.
                mark_online(engine, node)


# --- nodes that died ------------------------------------------------------------------
def keep_alive(engine):
    node_id = _node_id(engine)
    pipe = engine.redis.pipeline(transaction=False)
    pipe.set(alive_key(node_id), "1", ex=_ttl(engine))
    pipe.sadd(nodes_registry(engine), node_id)
    pipe.execute()


def reap_dead_nodes(engine):
    """Take the users of every node whose alive key expired offline (once,
    by whichever surviving node claims it first)."""
    client = engine.redis
    others = [n.decode() if isinstance(n, bytes) else n for n in client.smembers(nodes_registry(engine))]
    others = [n for n in others if n != _node_id(engine)]
    if not others:
        return
    alive = client.mget([alive_key(n) for n in others])
    for node_id, flag in zip(others, alive):
        if flag is None and client.set(f"presence_reaping_{node_id}", _node_id(engine), nx=True, ex=60):
            reap(engine, node_id)


def reap(engine, dead_id):
    client = engine.redis
    users = [int(u) for u in client.smembers(users_key(dead_id))]
    log.warning("node %s stopped answering: taking its %d users offline", dead_id, len(users))
    for user_id in users:
        mark_offline(engine, user_id, node_id=dead_id, wait=None)
    forget_node(engine, dead_id)  # queued behind the users, so it runs once they are done


# KEYS: presence_nodes_<scope>, presence_users_<node>, presence_alive_<node>; ARGV: node id.
_FORGET_NODE = """
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return 1
"""


def forget_node(engine, node_id=None, wait=None):
    """A node's records go: a dead one's once its users are offline, or this
    node's own at a clean shutdown (its users went offline one by one)."""
    node_id = node_id or _node_id(engine)
    PresenceWriter.of(engine).submit(
        _script(engine, "forget", _FORGET_NODE),
        [nodes_registry(engine), users_key(node_id), alive_key(node_id)], [node_id], lambda _result: None,
        wait=wait,
    )
