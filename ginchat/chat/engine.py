"""The chat engine of one node: ``client_map`` (user id -> connections),
the message store, delivery, and the collaborators it builds and owns:
relations (the group and friend maps), presence, notices, receipts, typing
and login sessions.

Everything here runs in gevent greenlets of one OS thread: code between two
blocking calls cannot be interleaved, so the maps need no lock.
"""

import logging
from collections import OrderedDict

import gevent
import gevent.queue
from sqlalchemy.exc import SQLAlchemyError

from ginchat.bus import make_bus
from ginchat.chat import checkpoint, events
from ginchat.chat.calls import Calls, CallSignal
from ginchat.chat.connlog import ConnectionLog
from ginchat.chat.dispatch import (
    FrameError,
    MapRelations,
    accept_message,
    parse_frame,
)
from ginchat.chat.events import FriendAdded, MemberAdded
from ginchat.chat.forwarding import Forwarding
from ginchat.chat.frames import READ, RECALL, TYPING, dumps, error
from ginchat.chat.loopprobe import start_probe
from ginchat.chat.nodes import NodeBoard
from ginchat.chat.notices import Notices
from ginchat.chat.pins import Pins
from ginchat.chat.presence import Presence
from ginchat.chat.receipts import Receipts
from ginchat.chat.relations import Relations
from ginchat.chat.sessions import Sessions
from ginchat.chat.store import Store
from ginchat.chat.typing import Typing
from ginchat.chat.updates import Updates
from ginchat.chat.websocket import encode_text
from ginchat.chat.wsevents import FLOOD, FLOOD_REASON
from ginchat.domain import calls as calls_domain
from ginchat.domain import forwarding, message_updates, pins
from ginchat.errors import AppError
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import message_store
from ginchat.models.contact import Contact
from ginchat.settings import settings
from ginchat.signals import friendship_added, group_member_added
from ginchat.utils.ratelimit import RateLimited, RateLimiter

log = logging.getLogger("ginchat.chat")

REPLACED = 4001  # close code: the user's newer connections pushed this one out (MAX_SOCKETS_PER_USER)
SEEN_IDS = 50000  # message Ids remembered to drop duplicate deliveries
JOIN_FLOORS = 10000  # groups whose newcomers' join points are held for delivery


class ChatEngine:
    def __init__(self, app):
        self.app = app
        # Parsed once (ginchat/settings.py); the bus reads its own from here,
        # importing nothing of the app (tests/test_chat_layers.py).
        self.settings = found = settings(app)
        self.send_queue_size = found.send_queue_size
        self.max_content = found.max_content_chars
        self.max_frame = found.max_frame_bytes
        self.rate_limited = found.rate_limits
        self.rate = found.msg_rate
        self.burst = self.rate * 2
        # Pings, pongs, heartbeats and empty frames a connection may send a
        # second (bursts to ten times that); 0: no limit.
        self.keepalive_rate = found.keepalive_rate if self.rate_limited else 0.0
        self.max_sockets = found.max_sockets_per_user  # on this node; 0: no limit
        self.heartbeat_timeout = found.heartbeat_timeout
        self.heartbeat_interval = found.heartbeat_interval
        self.replay_page = found.replay_page
        self.direct_messages = found.direct_messages  # who may write privately to whom
        self.redis = app.extensions["redis"]
        self.worker = found.worker_index  # GINCHAT_WORKERS: this process's index

        self.client_map = {}  # user id -> set of Connections (one per tab/device)
        self.connections = 0  # the Connections in client_map
        self.event_connections = 0  # those opened with ?events=1 (presence and notices)
        self.connlog = ConnectionLog()  # connect lines, summarised in a storm
        # group id -> {new member: Id after which they read}: a message stored
        # before someone joined but delivered here after it (a slow bus) is
        # not theirs. Entries go once a later message of the group passed.
        self.join_floors = {}
        self.seen = OrderedDict()  # recently delivered Ids (bus duplicates)
        self.stopping = False
        self.greenlets = []
        self.started = False
        self.probe = None  # the loop-lag probe (LOOP_PROBE_MS)
        # Client frame Type -> handler(connection, fields), messages (1, 2) included; see register_frame.
        self.frame_handlers = {}
        self.event_handlers = {}  # bus event record class -> handler(record); see register_event
        self.event_kinds = dict(events.KINDS)  # the wire's "Event" -> record class
        self.stats = {"stored": 0, "delivered": 0, "duplicates_dropped": 0, "batches": 0}
        self.store = Store(app, self._on_stored, self.stats)

        self.relations = Relations(app, self.redis, self.publish_event, self.apply_event)
        self.groups = self.relations.groups  # group id -> member ids
        self.friends = self.relations.friends  # user id -> friend ids
        self.rules = MapRelations(app, self.relations, self.direct_messages)  # ginchat.domain.access over the maps
        self.bus = make_bus(
            app,
            self.deliver,
            self.apply_event,
            self._catchup_start,
            self._messages_after,
            self.relations.follow_contacts,
        )
        group_member_added.connect(self._on_member_added, sender=app, weak=False)
        friendship_added.connect(self._on_friendship, sender=app, weak=False)
        self.notices = Notices(
            app, self.relations, self.client_map, self.direct_messages, self.publish_event, self.has_listeners
        )
        send = self.notices.send
        self.presence = Presence(
            self.redis,
            self.client_map,
            self.heartbeat_timeout,
            self.bus.node_id,
            self.bus.scope,
            self.notices.presence_changed,
        )
        self.receipts = Receipts(app, self.guard_frame, self.rules, send)
        self.typing = Typing(app, self.guard_frame, self.rules, send)
        # sockets close when their login session ends
        self.sessions = Sessions(app, self.client_map, self.relations, self.publish_event)
        # this node's snapshot for the admin page's server view
        self.nodes = NodeBoard(app, self.redis, self.heartbeat_timeout, self.bus.node_id, self.health)
        self.register_event(events.MemberAdded, self._apply_member)
        self.register_event(
            events.FriendAdded, lambda event: self.relations.friendship_added(event.user_id, event.friend_id)
        )
        for removal in events.REMOVALS:
            self.register_event(removal, self.relations.apply_removal)
        self.register_event(events.FrameSent, self.notices.apply_event)
        self.register_event(events.SessionsEnded, self.sessions.apply_event)
        self.register_frame(messages.PRIVATE, self.on_message)
        self.register_frame(messages.GROUP, self.on_message)
        self.register_frame(READ, self.receipts.on_read)
        self.register_frame(TYPING, self.typing.on_frame)
        self.register_frame(RECALL, self.receipts.on_recall)
        self.updates = Updates(app, self.guard_frame, self.rules, self._on_stored)  # edits and reactions
        self.register_frame(message_updates.EDIT, self.updates.on_edit)
        self.register_frame(message_updates.REACT, self.updates.on_react)
        # forwarded messages and chat records (frame 22)
        self.forwarding = Forwarding(app, self.guard_frame, self.rules, self._on_stored, lambda: self.stopping)
        self.register_frame(forwarding.FORWARD, self.forwarding.on_forward)
        # pins, saved messages, announcement groups (frames 20, 21)
        self.pins = Pins(app, self.guard_frame, self.rules, send, self.relations.removed)
        self.register_frame(pins.PIN, self.pins.on_pin)
        self.register_frame(pins.SAVE, self.pins.on_save)
        # calls: frames 30-33, their state in Redis, the sweep (issue 29)
        self.calls = Calls(
            app,
            self.redis,
            self.bus,
            self.guard_frame,
            self.rules,
            send,
            self.publish_event,
            lambda: self.stopping,
            self.rate_limited,
        )
        self.register_frame(calls_domain.START, self.calls.on_start)
        self.register_frame(calls_domain.ACTION, self.calls.on_action)
        self.register_frame(calls_domain.SIGNAL, self.calls.on_signal)
        self.register_frame(calls_domain.HELLO, self.calls.on_hello)
        self.register_event(CallSignal, self.calls.apply_signal)
        app.extensions["chat"] = self

    # --- life cycle ------------------------------------------------------------
    def start(self):
        """Start the store, the heartbeat sweeper and the bus (once)."""
        if self.started:
            return
        self.started = True
        self.probe = start_probe(self.app)
        self.greenlets = [
            gevent.spawn(self.store.run),
            gevent.spawn(self.presence.sweep_loop),
            gevent.spawn(checkpoint.checkpoint_loop, self.app),  # SQLite only: WAL checkpoints off the loop
            gevent.spawn(self.sessions.check_loop),
            gevent.spawn(self.calls.sweep_loop),
        ]
        self.nodes.start()
        self.bus.start()
        log.info("chat engine started (bus: %s)", self.bus.name)

    def stop(self, drain_timeout=10.0):
        # Messages already taken from clients are stored (and their senders'
        # copies queued) before the connections close: nothing queued is lost.
        self.stopping = True
        self.drain(drain_timeout)
        for conns in list(self.client_map.values()):
            for conn in list(conns):
                conn.close(1001, "server shutting down")
        self.presence.forget_node(wait=2)
        if self.started:
            self.nodes.stop()  # a last snapshot: the admin page shows "stopped", not "stale"
        self.bus.stop()
        gevent.killall(self.greenlets, block=False)
        self.greenlets = []
        if self.probe is not None:
            self.probe.stop()
            self.probe = None
        self.started = False

    def drain(self, timeout):
        """Wait until every message taken from clients is stored."""
        return self.store.drain(timeout) if self.started else True

    def register_frame(self, msg_type, handler):
        """Let a collaborator handle client frames of ``msg_type`` (read
        receipts, typing...; messages, Types 1 and 2, are the engine's own
        on_message). The handler may raise AppError/FrameError: the client
        gets an error frame and the connection stays open."""
        if msg_type == messages.HEARTBEAT or msg_type in self.frame_handlers:
            raise ValueError(f"frame Type {msg_type} is taken")
        self.frame_handlers[msg_type] = handler

    # --- connections -------------------------------------------------------------
    def attach(self, conn):
        conns = self.client_map.setdefault(conn.user_id, set())
        if self.max_sockets and conn not in conns:
            self._make_room(conns)
        if conn not in conns:
            conns.add(conn)
            self.connections += 1
            self.event_connections += bool(conn.events)
        self.sessions.on_attach(conn)
        self.presence.mark_online(conn)
        self.connlog.opened(conn, self.connections)

    def _make_room(self, conns):
        """MAX_SOCKETS_PER_USER: close the user's oldest connections on this
        node until the new one fits (4001, docs/PROTOCOL.md)."""
        live = [c for c in conns if not c.closed]
        while len(live) >= self.max_sockets:
            oldest = min(live, key=lambda c: c.login_time)
            live.remove(oldest)
            log.info("%r: closed, the user opened more than %d connections here", oldest, self.max_sockets)
            oldest.kill(REPLACED, f"more than {self.max_sockets} connections of this user: the oldest is closed")

    def detach(self, conn):
        if not conn.closed:
            conn.close()
        conns = self.client_map.get(conn.user_id)
        if conns is not None and conn in conns:
            conns.discard(conn)
            self.connections -= 1
            self.event_connections -= bool(conn.events)
            self.presence.connection_closed(conn)
            if not conns:
                del self.client_map[conn.user_id]
                self.presence.mark_offline(conn.user_id)
        self.connlog.closed(conn, self.connections)

    def connection_count(self):
        # Counted as connections come and go: summing the map on every
        # connect would make opening n connections cost O(n²).
        return self.connections

    def has_listeners(self):
        """A connection of this node listens to events (?events=1)."""
        return self.event_connections > 0

    def health(self):
        """What /health reports about this node's chat side."""
        return {
            "Connections": self.connection_count(),
            "Bus": self.bus.name,
            "Node": self.bus.node_id,
            "BusStats": dict(self.bus.stats),
            "StoreQueue": self.store.pending(),
        } | ({"Worker": self.worker} if self.worker is not None else {})

    # --- the receive loop (recvProc in the Go GinChat) ----------------------------------
    def receive_loop(self, conn):
        ws = conn.ws
        while not conn.closed:
            text = ws.receive()
            if text is None:
                continue
            conn.heard()
            fields = None
            try:
                if not text and not conn.keepalive_frame():
                    conn.kill(FLOOD, FLOOD_REASON)  # empty frames as fast as they go
                    break
                kind, fields = parse_frame(text, self.max_content, self.max_frame, self.frame_handlers)
                if kind == "heartbeat":
                    if not conn.keepalive_frame():
                        conn.kill(FLOOD, FLOOD_REASON)
                        break
                    self.presence.refresh(conn)
                    if fields is not None:  # {"Type": 3, "Echo": n}: answered at once
                        conn.put_wait(dumps({"Type": messages.HEARTBEAT, "Echo": fields["echo"]}))
                    continue
                try:  # a message (Types 1, 2: on_message) or a frame a collaborator registered
                    self.frame_handlers[fields["type"]](conn, fields)
                except FrameError:
                    raise
                except AppError as exc:
                    raise FrameError(exc.status, exc.msg, fields["clientmsgid"]) from None
            except FrameError as exc:
                conn.put_wait(error(exc.status, exc.msg, exc.client_msg_id))
            except SQLAlchemyError as exc:
                # The database is down (a rule not in the maps yet had to be
                # read): refuse this frame, keep the connection.
                log.warning("%r: database unavailable while checking a frame: %s", conn, exc.__class__.__name__)
                cmid = fields.get("clientmsgid", "") if isinstance(fields, dict) else ""
                conn.put_wait(
                    error(503, "the database is unavailable; the message was not stored, send it again", cmid)
                )

    def on_message(self, conn, fields):
        """A message frame (Types 1 and 2): accepted, then queued for the store."""
        self.store.queue.put(accept_message(self, conn, fields))

    def check_rate(self, conn, cmid):
        """The sender's message rate, per connection and per user (in Redis);
        raises FrameError (429) when it is exceeded."""
        if not self.rate_limited:
            return
        if not conn.take_token():
            raise FrameError(429, f"too many messages: at most {self.rate:g} per second", cmid)
        # The same user on many connections or nodes: one count in Redis.
        try:
            RateLimiter.of(self.app).check_message(conn.user_id)
        except RateLimited as exc:
            raise FrameError(429, exc.msg, cmid) from None

    def guard_frame(self, conn, fields):
        """What every client frame beyond messages goes through first: the rate
        limit, and a look for removals made on other nodes."""
        self.check_rate(conn, fields["clientmsgid"])
        self.relations.check()

    # --- delivery (to this node's connections only) ------------------------------------
    def _on_stored(self, frame, text):
        """A message the store committed: through the bus's catch-up, so this
        node's own messages and other nodes' reach local connections in Id
        order, and to the other nodes."""
        bus = self.bus
        bus.deliver_stored(frame, text)
        bus.publish(frame)

    def recipients(self, frame):
        if frame["Type"] in messages.CHANGES:  # a change (edit, reaction, pin): everyone in the conversation
            if frame["ChatType"] == messages.GROUP:
                members = self.groups.get(frame["TargetId"])
                barred = frame.get("Except")
                return [u for u in members if u not in barred] if barred else members
            return (frame["UserId"], frame["TargetId"])
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
        if "Except" in frame:  # who may not read a change is not for the client to see
            text = dumps({k: v for k, v in frame.items() if k != "Except"})
        if self.join_floors and frame["Type"] == messages.GROUP:
            recipients = self._readers(frame["TargetId"], msg_id, recipients)
        self.seen[msg_id] = None
        if len(self.seen) > SEEN_IDS:
            self.seen.popitem(last=False)
        client_map = self.client_map
        count = 0
        data = None  # the WebSocket frame, encoded once for every recipient
        for user_id in recipients:
            conns = client_map.get(user_id)
            if conns:
                if data is None:
                    data = encode_text(text)
                for conn in tuple(conns):
                    conn.put(msg_id, text, data)
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
    def replay(self, conn, since):
        """Send every message with Id > since, oldest first, then release the
        live frames held meanwhile (the connection was registered before the first
        read, so nothing falls between the two; duplicates go by Id)."""
        conn.hold_live()
        last = since
        try:
            with self.app.app_context():
                floors = Contact.history_floors(conn.user_id)
                while not conn.closed:
                    rows = message_store.fetch_since(conn.user_id, floors, last, self.replay_page, updates=True)
                    db.session.remove()
                    for frame in rows:
                        conn.put_wait(dumps(frame))
                        last = frame["Id"]
                    if len(rows) < self.replay_page:
                        break
        finally:
            conn.release_held(last)

    # --- what the bus's catch-up reads from SQL ------------------------------------------
    def _catchup_start(self):
        """The newest message Id, where the catch-up starts; the contact rows
        are followed from the same moment."""
        with self.app.app_context(), db.engine.connect() as conn:
            top = message_store.top_id(conn)
        self.relations.start_following()
        return top

    def _messages_after(self, after_id, limit):
        with self.app.app_context(), db.engine.connect() as conn:
            return message_store.fetch_after(conn, after_id, limit)

    # --- group and friend changes ---------------------------------------------------
    def publish_event(self, event):
        """A change made here (a record of chat/events.py), for the other nodes."""
        self.bus.publish_event(event.to_wire())

    def register_event(self, kind, handler):
        """Let a collaborator apply the bus events of ``kind``: handler(record).
        ``kind`` is a record class like those of chat/events.py (a slotted
        dataclass with KIND, the wire's "Event", to_wire and from_wire)."""
        if kind in self.event_handlers or self.event_kinds.get(kind.KIND, kind) is not kind:
            raise ValueError(f"bus event {kind.KIND!r} is taken")
        self.event_kinds[kind.KIND] = kind
        self.event_handlers[kind] = handler

    def _on_member_added(self, sender, group_id, user_id, history_id=0, **_):
        self.relations.member_added(group_id, user_id)
        self._note_floor(group_id, user_id, history_id)
        self.publish_event(MemberAdded(group_id, user_id, history_id))

    def _on_friendship(self, sender, user_id, friend_id, **_):
        self.relations.friendship_added(user_id, friend_id)
        self.publish_event(FriendAdded(user_id, friend_id))

    def apply_event(self, event):
        """A change made on another node: a bus event as it came (a dict), or
        its record (chat/events.py; the contact rows that the relations follow
        come so). A kind this node does not know is left alone."""
        if isinstance(event, dict):
            event = events.from_wire(event, self.event_kinds)
        handler = self.event_handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _apply_member(self, event):
        self.relations.member_added(event.group_id, event.user_id)
        self._note_floor(event.group_id, event.user_id, event.history_id)
