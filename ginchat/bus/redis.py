"""Redis pub/sub as the bus, for nodes that no broadcast reaches (routed
networks). The listener reconnects after Redis restarts."""

import logging

import gevent
import redis

from ginchat.bus.base import Bus

log = logging.getLogger("ginchat.bus")

CHANNEL = "ginchat:bus"


class RedisBus(Bus):
    name = "redis"

    def transmit(self, packet):
        self.engine.redis.publish(CHANNEL, packet)

    def listen(self):
        client = self.engine.redis
        delay = 0.2
        while True:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(CHANNEL)
                log.info("redis bus: node %s subscribed to %s", self.node_id, CHANNEL)
                delay = 0.2
                for item in pubsub.listen():
                    if item.get("type") == "message":
                        data = item["data"]
                        self.handle(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)
            except (redis.RedisError, OSError) as exc:
                log.warning("redis bus: lost the subscription (%s); retrying in %.1f s", exc, delay)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass
            gevent.sleep(delay)
            delay = min(delay * 2, 5.0)
