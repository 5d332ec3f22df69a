"""Redis pub/sub as the bus, for nodes that no broadcast reaches (routed
networks, or a host whose firewall will not open the UDP port). The listener
reconnects after Redis restarts; what is published meanwhile is lost to
pub/sub but not to the catch-up, which reads it from SQL."""

import logging

import gevent
import redis

from ginchat.bus.base import Bus

log = logging.getLogger("ginchat.bus")

CHANNEL = "ginchat:bus"  # BUS_CHANNEL overrides it: channels are shared by every Redis database


def raw_client(client):
    """A client on the same server that returns bytes: a packet is checked
    before anything decodes it. Its subscription waits for messages as long
    as none come (no REDIS_TIMEOUT on reads; TCP keep-alive finds a dead
    peer), and connecting is still bounded."""
    pool = client.connection_pool
    kwargs = dict(pool.connection_kwargs, decode_responses=False, socket_timeout=None)
    kwargs.pop("orig_socket_timeout", None)  # redis-py would restore REDIS_TIMEOUT from it
    if "host" in kwargs:  # TCP (a unix socket has no keep-alive)
        kwargs["socket_keepalive"] = True
    return redis.Redis(connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs))


class RedisBus(Bus):
    name = "redis"

    def __init__(self, app, deliver, on_event, **sql):
        super().__init__(app, deliver, on_event, **sql)
        self.channel = self.settings.bus_channel or CHANNEL
        self.redis = app.extensions["redis"]

    @property
    def scope(self):
        return f"redis:{self.channel}"

    def transmit(self, packet):
        self.redis.publish(self.channel, packet)

    def listen(self):
        client = raw_client(self.redis)
        delay = 0.2
        while True:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                log.info("redis bus: node %s subscribed to %s", self.node_id, self.channel)
                delay = 0.2
                for item in pubsub.listen():
                    if item.get("type") == "message":
                        self.handle(item["data"])
            except (redis.RedisError, OSError) as exc:
                log.warning("redis bus: lost the subscription (%s); retrying in %.1f s", exc, delay)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass
            gevent.sleep(delay)
            delay = min(delay * 2, 5.0)
