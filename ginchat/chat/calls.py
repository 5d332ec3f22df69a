"""Calls on the socket (issue 29): client frames 30 (start), 31 (act on a
call), 32 (a signal for one connection) and 33 (hello). The rules, the
shared state (Redis) and the record are ginchat.domain.calls'; this module
gives connections their ids, sends the state frames (to the conversation's
members on every node, as notices go), relays signals to the one connection
they name (here, or through the bus to the node that holds it), and runs
this node's sweep of the calls' timeouts."""

import functools
import itertools
import json
import logging
import weakref
from dataclasses import dataclass

import gevent
import redis
from sqlalchemy.exc import SQLAlchemyError

from ginchat.chat.connection import Bucket
from ginchat.chat.dispatch import FrameError, int_field
from ginchat.domain import calls
from ginchat.utils.wire import dumps

log = logging.getLogger("ginchat.calls")

SIGNAL_EVENT = "call_signal"  # the bus event of a signal for a connection on another node


@dataclass(slots=True)
class CallSignal:
    """A signal (a Type 32 frame) for connection ``conn`` on another node."""

    conn: str
    frame: dict
    KIND = SIGNAL_EVENT

    def to_wire(self):
        return {"Event": self.KIND, "Conn": self.conn, "Frame": self.frame}

    @classmethod
    def from_wire(cls, event):
        conn, frame = event["Conn"], event["Frame"]
        if not isinstance(conn, str) or not isinstance(frame, dict):
            raise TypeError("a call signal carries a Conn (a string) and a Frame (an object)")
        return cls(conn, frame)


def _guarded(handler):
    """Redis or the database down: a 503 error frame, nothing changed."""

    @functools.wraps(handler)
    def run(self, conn, fields):
        try:
            return handler(self, conn, fields)
        except redis.RedisError as exc:
            log.warning("%r: Redis unavailable for a call frame: %s", conn, exc.__class__.__name__)
            raise FrameError(503, "the call service is unavailable (Redis): try again", fields["clientmsgid"]) from None

    return run


class Calls:
    def __init__(self, app, redis_client, bus, guard, rules, send, publish_event, stopping, rate_limited=True):
        """``guard(conn, fields)``: the engine's frame checks; ``rules``: the
        access rules over the engine's maps; ``send(frame, users, group)``:
        a notice to users on every node; ``publish_event(record)``: a bus
        event; ``stopping()``: is this node shutting down?"""
        self.app = app
        self.guard = guard
        self.rules = rules
        self.notify = send
        self.publish_event = publish_event
        self.stopping = stopping
        self.rate_limited = rate_limited
        self.node_id = bus.node_id
        # The settings, and the namespace of the call keys in Redis: this
        # cluster's bus scope (clusters sharing one Redis keep apart); a
        # node without a bus shares its calls with no other.
        self.cfg = dict(calls.settings(app.config), ns=bus.scope if bus.name != "none" else f"none-{bus.node_id}")
        self.redis = redis_client
        self.local = weakref.WeakValueDictionary()  # Conn id -> this node's Connection
        self.ids = weakref.WeakKeyDictionary()  # Connection -> its Conn id (given on its first call frame)
        self.counter = itertools.count(1)
        self.buckets = weakref.WeakKeyDictionary()  # Connection -> its signal budget

    # --- connection ids -----------------------------------------------------------
    def conn_id(self, conn):
        """The connection's Conn: unique across nodes (this node's bus id and a count)."""
        cid = self.ids.get(conn)
        if cid is None:
            cid = self.ids[conn] = f"{self.node_id}-{next(self.counter)}"
            self.local[cid] = conn
        return cid

    # --- client frames -------------------------------------------------------------
    @_guarded
    def on_hello(self, conn, fields):
        self.guard(conn, fields)
        with self.app.app_context():
            found = calls.calls_for(self.redis, self.cfg, conn.user_id, self.rules)
        conn.put_wait(dumps({"Type": calls.HELLO, "Conn": self.conn_id(conn), "UserId": conn.user_id, "Calls": found}))

    @_guarded
    def on_start(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        chat_type = int_field(fields, "chattype", "ChatType", cmid, minimum=1, maximum=2)
        target = int_field(fields, "targetid", "TargetId", cmid)
        video = fields.get("video", False)
        if video is None:
            video = False
        if not isinstance(video, bool):
            raise FrameError(400, "Video must be true or false", cmid)
        if self.stopping():
            raise FrameError(503, "the server is shutting down; call again after reconnecting", cmid)
        with self.app.app_context():
            effects = calls.start(
                self.redis,
                self.cfg,
                conn.user_id,
                self.conn_id(conn),
                chat_type,
                target,
                video,
                cmid,
                self.rules,
            )
        self.send(effects)

    @_guarded
    def on_action(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        action = fields.get("action")
        if not isinstance(action, str):
            raise FrameError(400, f"Action must be one of {', '.join(calls.ACTIONS)}", cmid)
        with self.app.app_context():
            effects = calls.act(
                self.redis,
                self.cfg,
                conn.user_id,
                self.conn_id(conn),
                fields.get("callid"),
                action.lower(),
                self.rules,
            )
        self.send(effects)

    @_guarded
    def on_signal(self, conn, fields):
        cmid = fields["clientmsgid"]
        if self.rate_limited:
            bucket = self.buckets.get(conn)
            if bucket is None:
                bucket = self.buckets[conn] = Bucket(self.cfg["signals_per_second"], self.cfg["signal_burst"])
            if not bucket.take():
                raise FrameError(
                    429, f"too many call signals: at most {self.cfg['signals_per_second']:g} per second", cmid
                )
        signal = fields.get("signal")
        if not isinstance(signal, dict):
            raise FrameError(400, "Signal must be a JSON object", cmid)
        size = len(json.dumps(signal, ensure_ascii=False, separators=(",", ":")).encode())
        if size > self.cfg["signal_bytes"]:
            raise FrameError(413, f"Signal is larger than {self.cfg['signal_bytes']} bytes", cmid)
        mine = self.conn_id(conn)
        forged = fields.get("fromuser")
        if forged is not None and forged != conn.user_id:
            raise FrameError(400, "FromUser is set by the server: leave it out", cmid)
        forged = fields.get("fromconn")
        if forged is not None and forged != mine:
            raise FrameError(400, "FromConn is set by the server: leave it out", cmid)
        to_conn = fields.get("toconn")
        with self.app.app_context():
            call = calls.check_signal(
                self.redis, self.cfg, conn.user_id, mine, fields.get("callid"), to_conn, self.rules
            )
        frame = {
            "Type": calls.SIGNAL,
            "CallId": call["CallId"],
            "FromUser": conn.user_id,
            "FromConn": mine,
            "Signal": signal,
        }
        self.relay(to_conn, frame)

    # --- delivery ---------------------------------------------------------------------
    def send(self, effects):
        """The state frames of a call operation, to their users on every node;
        then its record follows (a Type 15 change), so ringing stops first."""
        for frame, users, group in effects.frames:
            try:
                with self.app.app_context():
                    self.notify(frame, users=users, group=group)
            except SQLAlchemyError:  # a group's members not readable now: the next change or hello tells
                log.warning("call %s: state frame not sent (database unavailable)", frame.get("CallId"))
        for call in effects.record:
            try:
                with self.app.app_context():
                    calls.update_record(call)
            except SQLAlchemyError:
                log.warning("call %s: its record was not updated (database unavailable)", call["CallId"])

    def relay(self, to_conn, frame):
        """A signal for exactly one connection: here, or on the node that holds it."""
        conn = self.local.get(to_conn)
        if conn is not None:
            if not conn.closed:
                conn.put(None, dumps(frame))
            return
        if to_conn.startswith(self.node_id + "-"):
            return  # it was ours and closed: the participant rejoins with a new Conn
        self.publish_event(CallSignal(to_conn, frame))

    def apply_signal(self, event):
        """Another node's signal for a connection (a CallSignal): here, if it is ours."""
        conn = self.local.get(event.conn)
        if conn is not None and not conn.closed:
            conn.put(None, dumps(event.frame))

    # --- the sweep --------------------------------------------------------------------
    def sweep_loop(self):
        while True:
            gevent.sleep(self.cfg["sweep_seconds"])
            self.sweep_once()

    def sweep_once(self):
        alive = {cid for cid, conn in list(self.local.items()) if not conn.closed}
        try:
            with self.app.app_context():
                effects = calls.sweep(self.redis, self.cfg, alive)
            self.send(effects)
        except (redis.RedisError, SQLAlchemyError) as exc:
            log.warning("call sweep skipped: %s", exc.__class__.__name__)
        except Exception:  # the loop must live on
            log.exception("call sweep failed")
