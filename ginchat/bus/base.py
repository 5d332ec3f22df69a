"""The bus interface, and the rules every transport shares: packets carry the
sending node's id and an HMAC signature made with SECRET_KEY; a node drops
its own packets, unsigned or badly signed ones, and Ids it already delivered
(the engine's ``deliver`` keeps that list)."""

import hashlib
import hmac
import json
import logging
import uuid

import gevent
import gevent.queue

log = logging.getLogger("ginchat.bus")

OUTBOX = 10000  # packets waiting for the sender greenlet


class Bus:
    name = "base"

    def __init__(self, app, engine):
        self.app = app
        self.engine = engine
        self.node_id = uuid.uuid4().hex[:12]
        self.key = hashlib.sha256(b"ginchat-bus:" + str(app.config["SECRET_KEY"]).encode()).digest()
        self.stats = {"sent": 0, "received": 0, "own": 0, "bad_signature": 0, "malformed": 0}

    # --- what the engine calls --------------------------------------------------
    def start(self):
        """Open the transport and start the sender and listener greenlets."""
        self.outbox = gevent.queue.Queue(OUTBOX)
        self.greenlets = [gevent.spawn(self._send_loop), gevent.spawn(self.listen)]

    def stop(self):
        gevent.killall(getattr(self, "greenlets", []), block=False)

    def publish(self, frame):
        """A stored message, for the other nodes' connections."""
        self.send_packet({"k": "m", "m": frame})

    def publish_event(self, event):
        """A group or friend change, for the other nodes' maps."""
        self.send_packet({"k": "e", "e": event})

    # --- packets ------------------------------------------------------------------
    def send_packet(self, body):
        """Queue a packet for the sender greenlet; never blocks the caller.
        A full outbox drops the packet: SQL holds the message all the same."""
        try:
            self.outbox.put_nowait(self.encode(body))
        except gevent.queue.Full:
            self.stats["outbox_full"] = self.stats.get("outbox_full", 0) + 1
        except AttributeError:  # not started: a node with no connections yet
            pass

    def _send_loop(self):
        while True:
            packet = self.outbox.get()
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
        payload = json.dumps(dict(body, n=self.node_id), ensure_ascii=False, separators=(",", ":")).encode()
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
                self.engine.deliver(frame, json.dumps(frame, ensure_ascii=False, separators=(",", ":")))
            elif body.get("k") == "e":
                self.engine.apply_event(body["e"])
        except (KeyError, TypeError, ValueError) as exc:
            self.stats["malformed"] += 1
            log.warning("dropped a malformed bus packet: %s", exc)


class NullBus(Bus):
    """A single node: nothing to tell anyone."""

    name = "none"

    def start(self):
        pass

    def send_packet(self, body):
        pass
