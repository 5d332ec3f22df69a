"""One WebSocket connection (``Node`` in the Go GinChat) and its two loops:
the writer greenlet (the only code that calls the socket's send) and the
receive step, which runs in the chat view's own greenlet."""

import logging
import socket
import time

import gevent
import gevent.queue
from gevent.socket import wait_read
from simple_websocket import ConnectionClosed
from wsproto.events import Ping, TextMessage
from wsproto.utilities import LocalProtocolError

from ginchat.chat import wsevents, wsframes
from ginchat.chat.websocket import (
    InlineReader,
    SerialSocket,
    encode_text,
    quiet_close,
    raw_socket,
    socket_extensions,
)

log = logging.getLogger("ginchat.chat")

_CLOSE = object()
SEND_TIMEOUT = 10  # seconds one batch of frames may take to reach the kernel
# Seconds in all a connection's reading may be held back for sending pings,
# pongs, heartbeats or empty frames faster than KEEPALIVE_RATE; past it, 4029.
FLOOD_PATIENCE = 5.0
WRITE_BATCH = 64  # frames joined into one sendall


class Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` (ten
    seconds' worth unless told)."""

    __slots__ = ("rate", "burst", "tokens", "at")

    def __init__(self, rate, burst=None):
        self.rate = float(rate)
        self.burst = self.tokens = float(burst if burst is not None else rate * 10)
        self.at = time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def wait(self):
        """Seconds until the next token (after a ``take`` that failed)."""
        return max(0.0, (1 - self.tokens) / self.rate)


class Connection:
    """A connection: socket, client address, heartbeat and login times and a
    bounded queue of outgoing frames. ``events``: the client asked for
    presence and notice frames (``?events=1``)."""

    def __init__(self, engine, ws, user_id, addr, session_id=None, events=False):
        """``engine``: only its settings are read (queue size, frame size, rates)."""
        self.send_queue_size = engine.send_queue_size
        self.max_frame = engine.max_frame
        self.ws = ws
        ws.sock = SerialSocket(ws.sock)
        ws.close = quiet_close(ws.close)
        self.user_id = user_id
        self.addr = addr
        self.session_id = session_id  # the login session it was opened with (closes when that ends)
        self.events = events
        self.login_time = self.heartbeat_time = time.monotonic()
        self.presence_refreshed = 0.0
        self.queue = gevent.queue.Queue(engine.send_queue_size)
        self.closed = False
        # While the backlog of ``since`` is replayed, live frames wait here.
        self.replaying = False
        self.held = []
        self.replay_max = 0
        self.message_budget = Bucket(engine.rate, engine.burst)
        # Pings, pongs, heartbeats and empty frames (KEEPALIVE_RATE): None, no limit.
        self.keepalive = Bucket(engine.keepalive_rate) if engine.keepalive_rate else None
        self.held_back = 0.0  # seconds its reading waited for the keep-alive budget
        self.fragmented = False  # the message being read came in several frames
        self.writer = None  # a greenlet while frames wait for the socket
        # Without permessage-deflate a frame is the same bytes for everyone:
        # encoded once per message (encode_text) and sent as it is.
        self.plain = not socket_extensions(ws)
        self.raw_sock = raw_socket(ws.sock)
        # Reading in this greenlet (see InlineReader): ws.receive is ours.
        self.inline = isinstance(getattr(ws, "thread", None), InlineReader)
        if self.inline:
            self.fd = ws.sock.fileno()
            self.next_ping = time.monotonic() + (ws.ping_interval or 0)
            ws.receive = self.receive

    def heard(self):
        """The client sent a frame: it is alive (see the heartbeat sweeper)."""
        self.heartbeat_time = time.monotonic()

    def hold_live(self):
        """A replay begins: live frames wait until it ends."""
        self.replaying = True

    def release_held(self, replayed_up_to):
        """The replay sent every message up to Id ``replayed_up_to``: send the
        live frames held meanwhile, without those it sent already."""
        held, self.held = self.held, []
        self.replay_max = replayed_up_to
        self.replaying = False
        for msg_id, text in held:
            if msg_id is None or msg_id > replayed_up_to:
                self.put(msg_id, text)

    def take_token(self):
        """A token of the per-connection message rate (MSG_RATE a second,
        bursts to twice that); False when none is left."""
        return self.message_budget.take()

    def keepalive_frame(self):
        """A ping, pong, heartbeat or empty frame came. Faster than
        KEEPALIVE_RATE, reading waits for the budget (the flood backs up in
        the client's own socket, costing the server nothing; closing at once
        would cost it a reconnection instead), for FLOOD_PATIENCE seconds in
        all; then False: the caller closes the socket (4029)."""
        bucket = self.keepalive
        if bucket is None or bucket.take():
            return True
        wait = bucket.wait()
        if self.held_back + wait > FLOOD_PATIENCE:
            return False
        self.held_back += wait
        gevent.sleep(wait)
        return bucket.take()

    def __repr__(self):
        return f"<Connection user={self.user_id} addr={self.addr}>"

    # --- outgoing ---------------------------------------------------------------
    def put(self, msg_id, text, frame=None):
        """Queue a live frame; never blocks. A full queue means the client has
        stopped reading: it is closed rather than allowed to slow anyone.

        ``frame`` is ``text`` already encoded as a WebSocket frame (the same
        bytes for every recipient of a message); it is used on connections
        without permessage-deflate. When nothing is waiting for this socket,
        the frame goes straight to the kernel from the caller's greenlet (a
        non-blocking send); only what the kernel does not take is left to the
        writer greenlet, which exists only while there is a backlog."""
        if self.closed:
            return
        if msg_id is not None and msg_id <= self.replay_max:
            return  # the ?since= replay sent it already (Ids become visible in order)
        if self.replaying:
            self.held.append((msg_id, text))
            if len(self.held) > self.send_queue_size * 4:
                self.kill(1008, "too far behind")
            return
        if self.writer is None and self.plain:
            if frame is None:
                frame = encode_text(text)
            frame = self._send_now(frame)
            if frame is None:
                return
            text = frame  # the part the kernel did not take: it goes first
        try:
            self.queue.put_nowait(text)
        except gevent.queue.Full:
            log.warning("%r: outgoing queue full, closing the connection", self)
            self.kill(1008, "too slow: outgoing queue full")
            return
        if self.writer is None:
            self.writer = gevent.spawn(self.write_loop)

    def put_wait(self, text):
        """Queue a frame from this connection's own greenlet, waiting for room."""
        if self.closed:
            return
        if self.writer is None and self.plain:
            rest = self._send_now(encode_text(text))
            if rest is None:
                return
            text = rest
        self.queue.put(text, timeout=SEND_TIMEOUT)
        if self.writer is None:
            self.writer = gevent.spawn(self.write_loop)

    def _send_now(self, data):
        """Give ``data`` to the kernel without waiting: returns None when all of
        it went, else the bytes still to send (all of them when the socket was
        busy: the reader greenlet may be answering a ping)."""
        ws = self.ws
        raw = self.raw_sock
        if raw is None or not ws.connected:
            return data
        lock = ws.sock._lock
        if not lock.acquire(blocking=False):
            return data
        try:
            sent = raw.send(data)
        except BlockingIOError:
            return data
        except OSError:
            return data  # the writer meets the same error and closes the connection
        finally:
            lock.release()
        if sent == len(data):
            return None
        return data[sent:]

    def write_loop(self):
        """Send the backlog, then end (``put`` starts a new writer when needed)."""
        ws = self.ws
        queue = self.queue
        try:
            while True:
                if queue.empty():
                    return
                item = queue.get_nowait()
                if item is _CLOSE:
                    return
                batch = [item]
                while len(batch) < WRITE_BATCH and not queue.empty():
                    nxt = queue.get_nowait()
                    if nxt is _CLOSE:
                        self._send(ws, batch)
                        return
                    batch.append(nxt)
                self._send(ws, batch)
        except (Exception, gevent.Timeout) as exc:  # a broken or stuck socket ends the writer and the connection
            # (gevent.Timeout, SEND_TIMEOUT's, is no Exception: uncaught, it killed the writer alone)
            if not self.closed:
                log.info("%r: send failed (%s), closing", self, exc.__class__.__name__)
            self.kill()
        finally:
            if self.writer is gevent.getcurrent():
                self.writer = None

    @staticmethod
    def _send(ws, batch):
        if not ws.connected:
            raise ConnectionClosed(ws.close_reason, ws.close_message)
        encode = ws.ws.send
        data = b"".join(item if isinstance(item, bytes) else encode(TextMessage(data=item)) for item in batch)
        with gevent.Timeout(SEND_TIMEOUT):
            ws.sock.sendall(data)

    # --- incoming (InlineReader) -------------------------------------------------
    def receive(self, timeout=None):
        """The next message from the client, read in the calling greenlet:
        what simple-websocket's reader thread does, one step at a time
        (including the ping every ``ping_interval`` and dropping a client
        that did not answer the previous one)."""
        ws = self.ws
        while ws.connected and not ws.input_buffer:
            self._read()
        if ws.input_buffer:
            return ws.input_buffer.pop(0)
        raise ConnectionClosed(ws.close_reason, ws.close_message)

    def _read(self):
        ws = self.ws
        try:
            interval = ws.ping_interval
            if interval:
                now = time.monotonic()
                if now >= self.next_ping:
                    if not ws.pong_received:
                        ws.close(reason=1008, message="Ping/Pong timeout")
                        ws.connected = False
                        return
                    ws.pong_received = False
                    ws.sock.send(ws.ws.send(Ping()))
                    self.next_ping = now + interval
                    return
                try:
                    wait_read(self.fd, self.next_ping - now)
                except TimeoutError:
                    return
            data = ws.sock.recv(ws.receive_bytes)
            if not data:
                raise OSError("closed by the client")
            if self.plain:  # the common frames without wsproto (chat/wsframes.py)
                ws.connected = wsframes.receive_data(ws, data, self._handle_events)
            else:
                ws.ws.receive_data(data)
                ws.connected = self._handle_events()
        except (OSError, LocalProtocolError):
            ws.connected = False

    def _handle_events(self):
        return wsevents.handle_events(self.ws, self, self.max_frame)

    def release(self):
        """The end of the connection: close the socket the reader would have,
        and undo what ties the WebSocket to this object (its ``receive`` is
        our bound method), so that the two are freed by reference counting
        when the connection ends, not left as a cycle for a full collection."""
        ws = self.ws
        if self.inline:
            ws.connected = False
            try:
                ws.sock.close()
            except OSError:
                pass
        ws.__dict__.pop("receive", None)
        ws.__dict__.pop("close", None)

    # --- closing -------------------------------------------------------------
    def close(self, code=1000, reason=""):
        """Close politely: queued frames first, then the close frame."""
        if self.closed:
            return
        self.closed = True
        writer = self.writer
        if writer is not None and writer is not gevent.getcurrent():
            self.queue.put(_CLOSE) if not self.queue.full() else None
            writer.join(timeout=2)
        try:
            with gevent.Timeout(2):
                self.ws.close(reason=code, message=reason)
        except (Exception, gevent.Timeout):
            pass
        self._wake_receiver()

    def kill(self, code=None, reason=""):
        """Drop a connection that cannot be served (dead, or not reading)."""
        if self.closed and not self.ws.connected:
            return
        self.closed = True
        if code is not None:
            try:
                with gevent.Timeout(0.5):
                    self.ws.close(reason=code, message=reason)
            except (Exception, gevent.Timeout):
                pass
        self.ws.connected = False
        try:
            self.ws.sock._sock.shutdown(2)
        except Exception:
            pass
        self._wake_receiver()
        writer = self.writer
        if writer is not None and writer is not gevent.getcurrent():
            writer.kill(block=False)

    def _wake_receiver(self):
        self.ws.connected = False
        self.ws.event.set()
        if self.inline:  # the receiving greenlet waits for the socket: end that wait
            try:
                self.ws.sock._sock.shutdown(socket.SHUT_RD)
            except Exception:
                pass
