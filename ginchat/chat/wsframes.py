"""A fast reader for the frames clients send most: whole (unfragmented),
masked text frames of up to 64 KiB, without extensions.

wsproto reads every frame through a chain of generators and objects (about
30 µs of CPU a frame here); a chat message is one small text frame. When
wsproto is between frames (nothing buffered, no fragmented message under
way) and a chunk read from the socket starts with such frames, they are
taken here: header, mask, length and strict UTF-8, as RFC 6455 wants them.
The first byte that is anything else (a control frame, a fragment, an
unmasked frame, reserved bits, a non-minimal length, a frame too large,
invalid UTF-8, an incomplete frame) and all that follows go to wsproto as
before, so every check and close code of wsproto and simple-websocket
still applies to them."""

from wsproto.connection import ConnectionState

FIN_TEXT = 0x81  # FIN, no reserved bits, opcode 1 (text)
MASKED = 0x80


def wsproto_idle(ws):
    """True when wsproto (under simple-websocket's ``ws``) holds no partial
    frame or message, so the next bytes start a new frame."""
    try:
        connection = ws.ws.connection
        proto = connection._proto
        decoder = proto._frame_decoder
        return (
            connection.state is ConnectionState.OPEN
            and not connection._events
            and decoder.header is None
            and not len(decoder.buffer)
            and proto._message_decoder.opcode is None
            and ws.incoming_message is None
        )
    except AttributeError:  # another wsproto: no fast path
        return False


def take_text_frames(data, limit):
    """(texts, used): the whole masked text frames at the start of ``data``,
    unmasked and decoded, and how many bytes they took."""
    texts = []
    pos = 0
    size = len(data)
    while size - pos >= 6:
        if data[pos] != FIN_TEXT:
            break
        second = data[pos + 1]
        if not second & MASKED:
            break
        length = second & 0x7F
        head = pos + 2
        if length == 126:
            if size - pos < 8:
                break
            length = int.from_bytes(data[head : head + 2], "big")
            if length < 126:  # not the shortest encoding: wsproto refuses it
                break
            head += 2
        elif length == 127:
            break
        end = head + 4 + length
        if end > size or length > limit:
            break
        if length:
            key = data[head : head + 4] * (length // 4 + 1)
            payload = int.from_bytes(data[head + 4 : end], "little") ^ int.from_bytes(key[:length], "little")
            try:
                text = payload.to_bytes(length, "little").decode("utf-8")
            except UnicodeDecodeError:
                break  # wsproto closes with 1007
        else:
            text = ""
        texts.append(text)
        pos = end
    return texts, pos


def receive_data(ws, data, handle_events):
    """What ``ws.ws.receive_data(data)`` then ``handle_events()`` (the
    connection's, chat/wsevents.py) do, the common frames taken by the fast
    path. Returns whether the connection is still open (as ``handle_events``)."""
    if wsproto_idle(ws):
        texts, used = take_text_frames(data, ws.max_message_size or 1 << 62)
        if texts:
            ws.input_buffer.extend(texts)
            ws.event.set()
            if used == len(data):
                return True
            data = data[used:]
    ws.ws.receive_data(data)
    return handle_events()
