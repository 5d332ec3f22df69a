"""The multi-node bus: how a stored message reaches the other nodes."""

from ginchat.bus.base import NullBus
from ginchat.bus.redis import RedisBus
from ginchat.bus.udp import UdpBus


def make_bus(app, engine, top_id, fetch_since, polled=None):
    """The bus BUS names. ``engine`` hears what arrives; ``top_id``,
    ``fetch_since`` and ``polled`` let the catch-up read SQL (catchup.py)."""
    kind = engine.settings.bus
    sql = {"top_id": top_id, "fetch_since": fetch_since, "polled": polled}
    if kind == "none":
        return NullBus(app, engine, **sql)
    if kind == "udp":
        return UdpBus(app, engine, **sql)
    return RedisBus(app, engine, **sql)
