"""The chat engine of one node: ``client_map`` (user id -> connections),
the message store, delivery, and the collaborators it builds and owns:
relations (the group and friend maps), presence, notices, receipts, typing
and login sessions.

Everything here runs in gevent greenlets of one OS thread: code between two
blocking calls cannot be interleaved, so the maps need no lock.
"""

import logging
import time
from collections import OrderedDict

import gevent
import gevent.queue
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import SQLAlchemyError

from ginchat.bus import make_bus
from ginchat.chat import checkpoint
from ginchat.chat.dispatch import (
    FrameError,
    Outgoing,
    authorize,
    check_upload,
    parse_frame,
)
from ginchat.chat.frames import READ, RECALL, TYPING, dumps, error
from ginchat.chat.notices import Notices
from ginchat.chat.presence import Presence
from ginchat.chat.receipts import Receipts
from ginchat.chat.relations import Relations
from ginchat.chat.sessions import Sessions
from ginchat.chat.typing import Typing
from ginchat.chat.websocket import encode_text
from ginchat.errors import AppError
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models.contact import Contact
from ginchat.signals import friendship_added, group_member_added
from ginchat.utils.ratelimit import RateLimited, RateLimiter

log = logging.getLogger("ginchat.chat")

STORE_BATCH = 256  # messages committed in one transaction at most
STORE_QUEUE = 10000  # messages waiting for storage before senders wait
SEEN_IDS = 50000  # message Ids remembered to drop duplicate deliveries
JOIN_FLOORS = 10000  # groups whose newcomers' join points are held for delivery


def database_unavailable(exc):
    """The database cannot be reached or used just now (every message of the
    batch would fail alike), as opposed to refusing a message."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                        sa_exc.TimeoutError)):
        return True
    return bool(getattr(exc, "connection_invalidated", False))


def refused_data(exc):
    """The database (or its driver) refused a value of the message."""
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        exc = exc.orig or exc
    return isinstance(exc, (sa_exc.DataError, sa_exc.IntegrityError, UnicodeError, ValueError, TypeError))


class ChatEngine:
    def __init__(self, app):
        self.app = app
        cfg = app.config
        self.send_queue_size = int(cfg["SEND_QUEUE_SIZE"])
        self.max_content = int(cfg["MAX_CONTENT_CHARS"])
        self.max_frame = int(cfg["MAX_FRAME_BYTES"])
        self.rate_limited = str(cfg["RATE_LIMITS"]).lower() not in ("off", "false", "0", "no")
        self.rate = float(cfg["MSG_RATE"])
        self.burst = self.rate * 2
        self.heartbeat_timeout = float(cfg["HEARTBEAT_TIMEOUT"])
        self.heartbeat_interval = float(cfg["HEARTBEAT_INTERVAL"])
        self.replay_page = int(cfg["REPLAY_PAGE"])
        self.redis = app.extensions["redis"]

        self.client_map = {}  # user id -> set of Connections (one per tab/device)
        self.connections = 0  # the Connections in client_map
        # group id -> {new member: Id after which they read}: a message stored
        # before someone joined but delivered here after it (a slow bus) is
        # not theirs. Entries go once a later message of the group passed.
        self.join_floors = {}
        self.seen = OrderedDict()  # recently delivered Ids (bus duplicates)
        self.store_queue = gevent.queue.Queue(STORE_QUEUE)
        self.seq_cache = messages.SeqCache()  # each conversation's newest Seq (skips a query per batch)
        self.storing = None  # the batch being committed (stop() waits for it)
        self.stopping = False
        self.greenlets = []
        self.started = False
        # Client frame Types beyond 1-3: Type -> handler(connection, fields); see register_frame.
        self.frame_handlers = {}
        self.stats = {"stored": 0, "delivered": 0, "duplicates_dropped": 0, "batches": 0}

        self.relations = Relations(self)
        self.groups = self.relations.groups  # group id -> member ids
        self.friends = self.relations.friends  # user id -> friend ids
        self.bus = make_bus(app, self, self._catchup_start, self._messages_after, self.relations.follow_contacts)
        group_member_added.connect(self._on_member_added, sender=app, weak=False)
        friendship_added.connect(self._on_friendship, sender=app, weak=False)
        self.notices = Notices(self)
        self.presence = Presence(self, self.notices.presence_changed)
        self.receipts = Receipts(self)
        self.typing = Typing(self)
        self.sessions = Sessions(self)  # sockets close when their login session ends
        self.register_frame(READ, self.receipts.on_read)
        self.register_frame(TYPING, self.typing.on_frame)
        self.register_frame(RECALL, self.receipts.on_recall)
        app.extensions["chat"] = self

    # --- life cycle ------------------------------------------------------------
    def start(self):
        """Start the store, the heartbeat sweeper and the bus (once)."""
        if self.started:
            return
        self.started = True
        self.greenlets = [
            gevent.spawn(self._store_loop),
            gevent.spawn(self.presence.sweep_loop),
            gevent.spawn(checkpoint.checkpoint_loop, self),  # SQLite only: WAL checkpoints off the loop
            gevent.spawn(self.sessions.check_loop),
        ]
        self.bus.start()
        log.info("chat engine started (bus: %s)", self.bus.name)

    def stop(self, drain_timeout=10.0):
        # Messages already taken from clients are stored (and their senders'
        # copies queued) before the connections close: nothing queued is lost.
        self.stopping = True
        self.drain(drain_timeout)
        for nodes in list(self.client_map.values()):
            for node in list(nodes):
                node.close(1001, "server shutting down")
        self.presence.forget_node(wait=2)
        self.bus.stop()
        gevent.killall(self.greenlets, block=False)
        self.greenlets = []
        self.started = False

    def drain(self, timeout):
        """Wait until the store queue is empty and no batch is being committed."""
        if not self.started:
            return True
        deadline = time.monotonic() + timeout
        while not self.store_queue.empty() or self.storing is not None:
            if time.monotonic() > deadline:
                log.error("shutdown: %d messages still unstored after %.0f s", self.store_queue.qsize(), timeout)
                return False
            gevent.sleep(0.01)
        return True

    def register_frame(self, msg_type, handler):
        """Let a collaborator handle client frames of ``msg_type`` (read
        receipts, typing...). The handler may raise AppError/FrameError: the
        client gets an error frame and the connection stays open."""
        if msg_type in (1, 2, 3) or msg_type in self.frame_handlers:
            raise ValueError(f"frame Type {msg_type} is taken")
        self.frame_handlers[msg_type] = handler

    # --- connections -------------------------------------------------------------
    def attach(self, node):
        nodes = self.client_map.setdefault(node.user_id, set())
        if node not in nodes:
            nodes.add(node)
            self.connections += 1
        self.sessions.on_attach(node)
        self.presence.mark_online(node)
        log.info("user %s connected from %s (%d connections here)", node.user_id, node.addr, self.connection_count())

    def detach(self, node):
        if not node.closed:
            node.close()
        nodes = self.client_map.get(node.user_id)
        if nodes is not None and node in nodes:
            nodes.discard(node)
            self.connections -= 1
            self.presence.connection_closed(node)
            if not nodes:
                del self.client_map[node.user_id]
                self.presence.mark_offline(node.user_id)
        log.info("user %s disconnected from %s", node.user_id, node.addr)

    def connection_count(self):
        # Counted as connections come and go: summing the map on every
        # connect would make opening n connections cost O(n²).
        return self.connections

    def health(self):
        """What /health reports about this node's chat side."""
        return {
            "Connections": self.connection_count(),
            "Bus": self.bus.name,
            "Node": self.bus.node_id,
            "BusStats": dict(self.bus.stats),
            "StoreQueue": self.store_queue.qsize() + len(self.storing or ()),  # waiting or being stored
        }

    # --- the receive loop (recvProc in the Go GinChat) ----------------------------------
    def receive_loop(self, node):
        ws = node.ws
        while not node.closed:
            text = ws.receive()
            if text is None:
                continue
            node.heartbeat_time = time.monotonic()
            fields = None
            try:
                kind, fields = parse_frame(text, self.max_content, self.max_frame, self.frame_handlers)
                if kind == "heartbeat":
                    self.presence.refresh(node)
                    continue
                if kind == "extra":
                    try:
                        self.frame_handlers[fields["type"]](node, fields)
                    except FrameError:
                        raise
                    except AppError as exc:
                        raise FrameError(exc.status, exc.msg, fields["clientmsgid"]) from None
                    continue
                self.check_rate(node, fields["clientmsgid"])
                check_upload(fields)
                try:
                    authorize(self, node.user_id, fields["type"], fields["targetid"])
                except AppError as exc:
                    raise FrameError(exc.status, exc.msg, fields["clientmsgid"]) from None
                if self.stopping:  # stop() is draining the store queue: nothing new joins it
                    raise FrameError(503, "the server is shutting down; send it again after reconnecting",
                                     fields["clientmsgid"])
                item = Outgoing(
                    node, node.user_id, fields["type"], fields["targetid"], fields["media"],
                    fields["content"], fields["url"], fields["amount"], fields["clientmsgid"],
                )
                self.store_queue.put(item)
            except FrameError as exc:
                node.put_wait(error(exc.status, exc.msg, exc.client_msg_id))
            except SQLAlchemyError as exc:
                # The database is down (a rule not in the maps yet had to be
                # read): refuse this frame, keep the connection.
                log.warning("%r: database unavailable while checking a frame: %s", node, exc.__class__.__name__)
                cmid = fields.get("clientmsgid", "") if isinstance(fields, dict) else ""
                node.put_wait(error(503, "the database is unavailable; the message was not stored, send it again", cmid))

    def check_rate(self, node, cmid):
        """The sender's message rate, per connection and per user (in Redis);
        raises FrameError (429) when it is exceeded."""
        if not self.rate_limited:
            return
        now = time.monotonic()
        node.tokens = min(self.burst, node.tokens + (now - node.tokens_at) * self.rate)
        node.tokens_at = now
        if node.tokens < 1:
            raise FrameError(429, f"too many messages: at most {self.rate:g} per second", cmid)
        node.tokens -= 1
        # The same user on many connections or nodes: one count in Redis.
        try:
            RateLimiter.of(self.app).check_message(node.user_id)
        except RateLimited as exc:
            raise FrameError(429, exc.msg, cmid) from None

    def guard_frame(self, node, fields):
        """What every client frame beyond messages goes through first: the rate
        limit, and a look for removals made on other nodes."""
        self.check_rate(node, fields["clientmsgid"])
        self.relations.check()

    # --- storage (one greenlet commits batches) ---------------------------------------
    def _store_loop(self):
        queue = self.store_queue
        while True:
            batch = [queue.get()]
            while len(batch) < STORE_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            self.storing = batch
            try:
                self._store(batch)
            except Exception:  # never let the store die: report and go on
                log.exception("storing a batch of %d messages failed", len(batch))
                self._fail(batch, "the message could not be stored; send it again")
            finally:
                self.storing = None

    def _store(self, batch):
        now = int(time.time() * 1000)
        for item in batch:
            item.create_time = now
        try:
            with self.app.app_context():
                with db.engine.begin() as conn:
                    rows, dupes = messages.store_batch(conn, batch, self.seq_cache)
        except Exception as exc:
            if database_unavailable(exc):
                log.error("database unavailable, %d messages refused: %s", len(batch), exc.__class__.__name__)
                self._fail(batch, "the database is unavailable; the message was not stored, send it again")
            elif len(batch) == 1:
                self._refuse(batch[0], exc)
            else:
                # One message's fault fails that message alone: halve the batch
                # until the refused ones stand alone (log2(batch) rounds at most).
                half = len(batch) // 2
                self._store(batch[:half])
                self._store(batch[half:])
            return
        self.stats["batches"] += 1
        self.stats["stored"] += len(rows)
        for index, row in dupes.items():
            # A resend of a stored message: the sender gets the stored copy again.
            batch[index].node.put(row["id"], dumps(messages.to_frame(row)))
        for row in rows:
            frame = messages.to_frame(row)
            # Through the bus's catch-up, so this node's own messages and other
            # nodes' reach local connections in Id order.
            self.bus.deliver_stored(frame, dumps(frame))
            self.bus.publish(frame)

    def _fail(self, batch, msg):
        for item in batch:
            item.node.put(None, error(503, msg, item.client_msg_id))

    def _refuse(self, item, exc):
        """The database refused this one message: its sender alone hears it."""
        if refused_data(exc):
            log.warning("message of user %s to %s refused by the database: %s", item.user_id, item.target_id,
                        exc.__class__.__name__)
            code, msg = 400, "the database cannot store this message (is its text valid Unicode?); it was not stored"
        else:
            log.error("storing a message of user %s failed", item.user_id, exc_info=exc)
            code, msg = 500, "the message could not be stored; the server log has the details"
        item.node.put(None, error(code, msg, item.client_msg_id))

    # --- delivery (to this node's connections only) ------------------------------------
    def recipients(self, frame):
        if frame["Type"] == messages.GROUP:
            members = self.groups.get(frame["TargetId"])
            # The sender's copy is the acknowledgement, even when a removal
            # reached this node between the check and the delivery.
            return members if frame["UserId"] in members else (*members, frame["UserId"])
        return (frame["UserId"], frame["TargetId"])

    def deliver(self, frame, text):
        """Give a stored message to every local connection of its recipients,
        once: an Id already delivered here is dropped."""
        msg_id = frame["Id"]
        if msg_id in self.seen:
            self.stats["duplicates_dropped"] += 1
            return False
        # Recipients first: if loading a group fails, the Id is not marked
        # delivered and the catch-up can bring the message again.
        recipients = self.recipients(frame)
        if self.join_floors and frame["Type"] == messages.GROUP:
            recipients = self._readers(frame["TargetId"], msg_id, recipients)
        self.seen[msg_id] = None
        if len(self.seen) > SEEN_IDS:
            self.seen.popitem(last=False)
        client_map = self.client_map
        count = 0
        data = None  # the WebSocket frame, encoded once for every recipient
        for user_id in recipients:
            nodes = client_map.get(user_id)
            if nodes:
                if data is None:
                    data = encode_text(text)
                for node in tuple(nodes):
                    node.put(msg_id, text, data)
                    count += 1
        self.stats["delivered"] += count
        return True

    def _readers(self, group_id, msg_id, recipients):
        floors = self.join_floors.get(group_id)
        if not floors:
            return recipients
        readers = [u for u in recipients if floors.get(u, 0) < msg_id]
        # Delivery goes in Id order: a floor below this Id has done its work.
        for user_id in [u for u, floor in floors.items() if floor < msg_id]:
            del floors[user_id]
        if not floors:
            del self.join_floors[group_id]
        return readers

    def _note_floor(self, group_id, user_id, floor):
        if not floor:
            return
        if len(self.join_floors) >= JOIN_FLOORS and group_id not in self.join_floors:
            self.join_floors.clear()
        self.join_floors.setdefault(group_id, {})[user_id] = floor

    # --- replay of ?since= -----------------------------------------------------
    def replay(self, node, since):
        """Send every message with Id > since, oldest first, then release the
        live frames held meanwhile (the node was registered before the first
        read, so nothing falls between the two; duplicates go by Id)."""
        node.replaying = True
        last = since
        try:
            with self.app.app_context():
                floors = Contact.history_floors(node.user_id)
                while not node.closed:
                    rows = messages.fetch_since(node.user_id, floors, last, self.replay_page)
                    db.session.remove()
                    for frame in rows:
                        node.put_wait(dumps(frame))
                        last = frame["Id"]
                    if len(rows) < self.replay_page:
                        break
        finally:
            held, node.held = node.held, []
            node.replay_max = last
            node.replaying = False
            for msg_id, text in held:
                if msg_id is None or msg_id > last:
                    node.put(msg_id, text)

    # --- what the bus's catch-up reads from SQL ------------------------------------------
    def _catchup_start(self):
        """The newest message Id, where the catch-up starts; the contact rows
        are followed from the same moment."""
        with self.app.app_context(), db.engine.connect() as conn:
            top = messages.top_id(conn)
        self.relations.start_following()
        return top

    def _messages_after(self, after_id, limit):
        with self.app.app_context(), db.engine.connect() as conn:
            return messages.fetch_after(conn, after_id, limit)

    # --- group and friend changes ---------------------------------------------------
    def _on_member_added(self, sender, group_id, user_id, history_id=0, **_):
        self.relations.member_added(group_id, user_id)
        self._note_floor(group_id, user_id, history_id)
        self.bus.publish_event({"Event": "member", "GroupId": group_id, "UserId": user_id, "HistoryId": history_id})

    def _on_friendship(self, sender, user_id, friend_id):
        self.relations.friendship_added(user_id, friend_id)
        self.bus.publish_event({"Event": "friend", "UserId": user_id, "FriendId": friend_id})

    def apply_event(self, event):
        """A change made on another node (the bus's events)."""
        kind = event.get("Event")
        if kind == "member":
            self.relations.member_added(int(event["GroupId"]), int(event["UserId"]))
            self._note_floor(int(event["GroupId"]), int(event["UserId"]), int(event.get("HistoryId") or 0))
        elif kind == "friend":
            self.relations.friendship_added(int(event["UserId"]), int(event["FriendId"]))
        elif kind in ("unmember", "unfriend", "group_gone"):
            self.relations.apply_removal(event)
        elif kind == "frame":
            self.notices.apply_event(event)
        elif kind == "sessions_ended":
            self.sessions.apply_event(event)
