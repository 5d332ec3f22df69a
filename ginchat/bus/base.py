"""The bus interface, and the rules every transport shares: packets carry the
sending node's id and an HMAC signature made with SECRET_KEY; a node drops
its own packets, unsigned or badly signed ones, and Ids it already delivered
(the ``deliver`` it is given keeps that list).

The bus is only the fast path. SQL is the record: ``Catchup`` follows the
message table so a lost datagram or a Redis hiccup delays a message by at
most BUS_CATCHUP_INTERVAL instead of losing it, and delivers other nodes'
messages in Id order."""

import hashlib
import hmac
import json
import logging
import random
import uuid

import gevent
import gevent.queue

from ginchat.bus.catchup import Catchup
from ginchat.utils.wire import dumps

log = logging.getLogger("ginchat.bus")

OUTBOX = 10000  # packets waiting for the sender greenlet


class Bus:
    name = "base"

    @property
    def scope(self):
        """Which nodes hear this node's packets: the nodes of one cluster
        share it (the same UDP port, or the same Redis channel)."""
        return self.name

    def __init__(self, app, deliver, on_event, top_id=None, fetch_since=None, polled=None):
        """What arrives goes to ``deliver(frame, text)`` (a message, for this
        node's connections) and ``on_event(event)`` (another node's change, a
        dict); ``top_id``, ``fetch_since`` and ``polled`` are the catch-up's
        reads of SQL (see catchup.py)."""
        self.app = app
        self.settings = app.extensions["ginchat.settings"]  # the Settings, parsed at start (no import of the app)
        self.deliver = deliver
        self.on_event = on_event
        self.node_id = uuid.uuid4().hex[:12]
        self.key = hashlib.sha256(b"ginchat-bus:" + str(app.config["SECRET_KEY"]).encode()).digest()
        # Test-only: the share of outgoing packets thrown away (0 = none).
        self.drop_rate = self.settings.bus_drop_rate
        self.stats = {
            "sent": 0,
            "received": 0,
            "own": 0,
            "bad_signature": 0,
            "malformed": 0,
            "outbox_full": 0,
            "test_dropped": 0,
        }
        self.catchup = Catchup(
            deliver, self.settings.bus_catchup_interval or 1.0, top_id, fetch_since, polled, stats=self.stats
        )
        self.greenlets = []

    # --- what the engine calls --------------------------------------------------
    def start(self):
        """Open the transport; start the sender, the listener and the catch-up."""
        if self.drop_rate:
            log.warning("%s bus: BUS_DROP_RATE=%g drops outgoing packets (a test switch)", self.name, self.drop_rate)
        self.outbox = gevent.queue.Queue(OUTBOX)
        self.greenlets = [gevent.spawn(self._send_loop), gevent.spawn(self.listen), self.catchup.start()]

    def stop(self):
        gevent.killall(self.greenlets, block=False)
        self.greenlets = []

    def publish(self, frame):
        """A stored message, for the other nodes' connections."""
        self.send_packet({"k": "m", "m": frame})

    def publish_event(self, event):
        """A group or friend change, for the other nodes' maps."""
        self.send_packet({"k": "e", "e": event})

    def deliver_stored(self, frame, text=None):
        """A message this node stored, for this node's connections: in Id order
        with the other nodes' messages."""
        self.catchup.offer(frame, text or dumps(frame))

    # --- packets ------------------------------------------------------------------
    def send_packet(self, body):
        """Queue a packet for the sender greenlet; never blocks the caller.
        A full outbox drops the packet: SQL holds the message all the same."""
        try:
            self.outbox.put_nowait(self.encode(body))
        except gevent.queue.Full:
            self.stats["outbox_full"] += 1
        except AttributeError:  # not started: a node with no connections yet
            pass

    def _send_loop(self):
        while True:
            packet = self.outbox.get()
            if self.drop_rate and random.random() < self.drop_rate:
                self.stats["test_dropped"] += 1
                log.info(
                    "%s bus: BUS_DROP_RATE dropped an outgoing packet (%d so far)",
                    self.name,
                    self.stats["test_dropped"],
                )
                continue
            try:
                self.transmit(packet)
                self.stats["sent"] += 1
            except Exception as exc:
                log.warning("%s bus: could not send a packet: %s", self.name, exc)
                gevent.sleep(0.1)

    def transmit(self, packet):
        raise NotImplementedError

    def listen(self):
        raise NotImplementedError

    def encode(self, body):
        payload = dumps(dict(body, n=self.node_id)).encode()
        sig = hmac.new(self.key, payload, hashlib.sha256).hexdigest().encode()
        return sig + b"." + payload

    def decode(self, packet):
        """The packet's body, or None when it must be dropped."""
        sig, dot, payload = packet.partition(b".")
        if not dot or len(sig) != 64:
            self.stats["bad_signature"] += 1
            log.warning("dropped an unsigned bus packet (%d bytes)", len(packet))
            return None
        good = hmac.new(self.key, payload, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(sig, good):
            self.stats["bad_signature"] += 1
            log.warning("dropped a bus packet with a bad signature (%d bytes)", len(packet))
            return None
        try:
            body = json.loads(payload)
        except ValueError:
            self.stats["malformed"] += 1
            return None
        if not isinstance(body, dict):
            self.stats["malformed"] += 1
            return None
        if body.get("n") == self.node_id:
            self.stats["own"] += 1
            return None
        return body

    def handle(self, packet):
        """Deliver what another node published, to this node's connections."""
        body = self.decode(packet)
        if body is None:
            return
        self.stats["received"] += 1
        try:
            if body.get("k") == "m":
                frame = body["m"]
                if not isinstance(frame, dict) or not isinstance(frame["Id"], int):
                    raise ValueError("a message without an Id")
                self.catchup.offer(frame, dumps(frame))
            elif body.get("k") == "e":
                self.on_event(body["e"])
        except (KeyError, TypeError, ValueError) as exc:
            self.stats["malformed"] += 1
            log.warning("dropped a malformed bus packet: %s", exc)
        except Exception:  # the listener must live on; the catch-up retries from SQL
            log.exception("%s bus: handling a packet failed", self.name)


class NullBus(Bus):
    """A single node: nothing to tell anyone, nothing to catch up."""

    name = "none"

    def start(self):
        pass

    def send_packet(self, body):
        pass

    def deliver_stored(self, frame, text=None):
        self.deliver(frame, text or dumps(frame))
