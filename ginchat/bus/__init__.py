"""The multi-node bus: how a stored message reaches the other nodes."""

from ginchat.bus.base import NullBus


def make_bus(app, engine):
    kind = str(app.config.get("BUS", "udp")).lower()
    if kind == "none":
        return NullBus(app, engine)
    if kind == "udp":
        from ginchat.bus.udp import UdpBus

        return UdpBus(app, engine)
    if kind == "redis":
        from ginchat.bus.redis import RedisBus

        return RedisBus(app, engine)
    raise RuntimeError(f"GINCHAT_BUS must be udp, redis or none, not {kind!r}")
