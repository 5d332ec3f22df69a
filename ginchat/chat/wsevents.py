"""What a client's frames do once wsproto has parsed them: simple-websocket's
``_handle_events`` for a socket read in its connection's own greenlet, with
limits on what one socket may make the server hold or do (issue 24):

- a message is buffered up to MAX_FRAME_BYTES. A message in several frames
  (fragments) that goes past it closes the socket (1009); a single frame
  past it is dropped as it arrives and answered with a 413 error frame when
  it ends (``OVERSIZED``), unless it goes past the hard cap (16 times), 1009.
- pings, pongs and empty frames draw on the connection's keep-alive budget
  (``Connection.keepalive_frame``, with heartbeats): a flood is read at
  KEEPALIVE_RATE, then closed, 4029.

The handshake itself (wsproto's Request) is simple-websocket's, before the
connection exists."""

from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage
from wsproto.frame_protocol import CloseReason

TOO_BIG = CloseReason.MESSAGE_TOO_BIG  # 1009
FLOOD = 4029  # too many pings, pongs, heartbeats or empty frames (docs/PROTOCOL.md)
FLOOD_REASON = "too many pings, heartbeats or empty frames"


class Oversized:
    """A frame over MAX_FRAME_BYTES, read and dropped: the engine answers 413."""

    __slots__ = ()

    def __repr__(self):
        return "OVERSIZED"


OVERSIZED = Oversized()


def handle_events(ws, conn, max_frame):
    """Act on the events wsproto parsed from what ``ws`` received (``conn`` is
    its Connection); returns whether the socket stays open."""
    out = []
    keep_going = True
    for event in ws.ws.events():
        if isinstance(event, (TextMessage, BytesMessage)):
            refusal = _message_part(ws, conn, event, max_frame)
        elif isinstance(event, Ping):
            refusal = None if conn.keepalive_frame() else (FLOOD, FLOOD_REASON)
            if refusal is None:
                out.append(ws.ws.send(event.response()))
        elif isinstance(event, Pong):
            refusal = None if conn.keepalive_frame() else (FLOOD, FLOOD_REASON)
            ws.pong_received = True
        elif isinstance(event, CloseConnection):
            out.append(ws.ws.send(event.response()))
            ws.close_reason = event.code
            ws.close_message = event.reason
            keep_going = False
            break
        else:
            continue
        if refusal is not None:
            out.append(ws.ws.send(CloseConnection(*refusal)))
            keep_going = False
            break
    if out:
        ws.sock.send(b"".join(out))
    if not keep_going:
        ws.incoming_message = None  # nothing more comes: let the partial message go
        ws.connected = False
        ws.event.set()
    return keep_going


def _message_part(ws, conn, event, max_frame):
    """Add a piece of a message (wsproto hands frames over in pieces as they
    arrive); a whole message goes to ``ws.input_buffer``. Returns (code,
    reason) to close the socket with, or None."""
    data = event.data
    if not data and event.frame_finished and not event.message_finished and not conn.keepalive_frame():
        # An empty fragment: a flood of them costs as much as pings (an empty
        # message is counted by the engine, like a heartbeat).
        return FLOOD, FLOOD_REASON
    size = ws.incoming_message_len + len(data)
    ws.incoming_message_len = size
    if ws.max_message_size and size > ws.max_message_size:
        return TOO_BIG, "Message is too big"
    parts = ws.incoming_message
    if parts is None:
        parts = ws.incoming_message = []
    if event.frame_finished and not event.message_finished:
        conn.fragmented = True
    if size > max_frame:
        if conn.fragmented:
            return TOO_BIG, f"a message in several frames is limited to {max_frame} bytes"
        parts.clear()  # the rest is dropped as it comes: a 413 when the frame ends
        parts.append(OVERSIZED)
    elif data:
        parts.append(data)
    if not event.message_finished:
        return None
    text = isinstance(event, TextMessage)
    if not parts:
        message = "" if text else b""
    elif parts[0] is OVERSIZED:
        message = OVERSIZED
    else:
        message = "".join(parts) if text else b"".join(parts)
    ws.incoming_message = None
    ws.incoming_message_len = 0
    conn.fragmented = False
    ws.input_buffer.append(message)
    ws.event.set()
    return None
