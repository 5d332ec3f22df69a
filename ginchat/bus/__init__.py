"""The multi-node bus: how a stored message reaches the other nodes."""

from ginchat.bus.base import NullBus
from ginchat.bus.redis import RedisBus
from ginchat.bus.udp import UdpBus


def make_bus(app, deliver, on_event, top_id, fetch_since, polled=None):
    """The bus BUS names. ``deliver(frame, text)`` and ``on_event(event)``
    hear what arrives; ``top_id``, ``fetch_since`` and ``polled`` let the
    catch-up read SQL (catchup.py)."""
    kind = app.extensions["ginchat.settings"].bus  # the Settings (ginchat/settings.py), parsed at start
    sql = {"top_id": top_id, "fetch_since": fetch_since, "polled": polled}
    if kind == "none":
        return NullBus(app, deliver, on_event, **sql)
    if kind == "udp":
        return UdpBus(app, deliver, on_event, **sql)
    if kind == "redis":
        return RedisBus(app, deliver, on_event, **sql)
    raise RuntimeError(f"GINCHAT_BUS must be udp, redis or none, not {kind!r}")
