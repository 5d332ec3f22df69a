"""Calls (issue 29): who may call whom, the call's state and its record.

The media go peer to peer between browsers; the server keeps only the
call's state, shared by every node in Redis, and its record, one message of
the conversation (Media 7) whose Content changes with the call.

Redis keys (every one with an expiry, refreshed while a node lives, so a
dead cluster leaves nothing stuck):

- ``call:<CallId>``: the state as JSON (``frame_of`` gives its Type 30 frame);
  an ended call stays ENDED_KEEP seconds (a late action gets 409, not 404);
- ``call_conv:<conv>``: the call running in a conversation;
- ``call_user:<userId>``: the call a user takes part in (busy);
- ``call_seen:<CallId>``: user id -> ms when their connection was last known
  alive (each node writes it for its own connections, ``touch``);
- ``calls``: CallId -> MsgId of every call not ended (no expiry): what every
  node's ``sweep`` walks, and how a record whose call vanished (the whole
  cluster died) still gets an end.

Every change is a Redis transaction (WATCH on the call and the users it
touches), so two nodes accepting, declining or sweeping at once cannot both
win. The functions return the state frames to send and to whom; the chat
side (ginchat/chat/calls.py) sends them. The rules raise AppError.
"""

import json
import secrets
import time

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ginchat.domain import message_updates
from ginchat.domain.access import SQL, app, may_message, may_write
from ginchat.errors import AppError, bad_request, conflict, forbidden, not_found
from ginchat.extensions import changed, db
from ginchat.models import message as messages
from ginchat.models import message_store
from ginchat.models.contact import Contact
from ginchat.models.new_message import NewMessage
from ginchat.signals import message_stored

START, ACTION, SIGNAL, HELLO = 30, 31, 32, 33  # the frame Types (client and server)
CALL = messages.CALL  # the record's Media

RINGING, ACTIVE, ENDED = "ringing", "active", "ended"
HANGUP, MISSED, DECLINED, BUSY, CANCELLED, LOST = "hangup", "missed", "declined", "busy", "cancelled", "lost"
ACTIONS = ("accept", "join", "decline", "hangup", "rejoin")

ENDED_KEEP = 60  # seconds an ended call's state stays (for a clear 409)
CALL_ID_MAX = 40
ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
ICE_KEYS = {"urls", "username", "credential", "credentialType"}


# --- settings -------------------------------------------------------------------
def ice_servers(value):
    """ICE_SERVERS: a JSON list of RTCIceServer dicts (or the list itself);
    "" or None: none. Raises ValueError saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(
                f'ICE_SERVERS is not valid JSON ({exc}): give a list like [{{"urls": "stun:host:3478"}}]'
            ) from None
    if not isinstance(value, list):
        raise ValueError('ICE_SERVERS must be a JSON list of RTCIceServer objects, like [{"urls": "stun:host:3478"}]')
    for n, server in enumerate(value):
        where = f"ICE_SERVERS[{n}]"
        if not isinstance(server, dict):
            raise ValueError(f'{where} must be an object with "urls"')
        unknown = set(server) - ICE_KEYS
        if unknown:
            raise ValueError(f"{where} has unknown keys {sorted(unknown)}: use urls, username, credential")
        urls = server.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not urls:
            raise ValueError(f"{where}.urls must be a URL or a non-empty list of URLs")
        for url in urls:
            if not isinstance(url, str) or not url.lower().startswith(ICE_SCHEMES):
                raise ValueError(f"{where}.urls: {url!r} is no stun:, stuns:, turn: or turns: URL")
        for key in ("username", "credential"):
            if key in server and not isinstance(server[key], str):
                raise ValueError(f"{where}.{key} must be a string")
        if any(u.lower().startswith(("turn:", "turns:")) for u in urls) and not (
            server.get("username") and server.get("credential")
        ):
            raise ValueError(f"{where}: a TURN server needs username and credential")
    return value


def _number(config, key, default, low, high, kind=int):
    raw = config.get(key, default)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{key} must be between {low} and {high}, not {raw!r}")
    return value


def settings(config):
    """The call settings, checked (ValueError on a bad one: the start stops)."""
    return {
        "ice_servers": ice_servers(config.get("ICE_SERVERS")),
        "max_peers": _number(config, "CALL_MAX_PEERS", 6, 2, 16),
        "ring_seconds": _number(config, "CALL_RING_SECONDS", 30, 1, 600, float),
        "rejoin_seconds": _number(config, "CALL_REJOIN_SECONDS", 8, 1, 120, float),
        "signal_bytes": _number(config, "CALL_SIGNAL_BYTES", 16384, 256, 60000),
        "signals_per_second": _number(config, "CALL_SIGNALS_PER_SECOND", 50, 1, 10000, float),
        "signal_burst": _number(config, "CALL_SIGNAL_BURST", 200, 1, 100000, float),
        "sweep_seconds": _number(config, "CALL_SWEEP_SECONDS", 1, 0.05, 60, float),
    }


def config_of():
    """What GET /call/config answers."""
    s = current_app.config.get("CALL_SETTINGS") or settings(current_app.config)
    return {
        "IceServers": s["ice_servers"],
        "MaxPeers": s["max_peers"],
        "RingSeconds": s["ring_seconds"],
        "RejoinSeconds": s["rejoin_seconds"],
        "SignalBytes": s["signal_bytes"],
    }


# --- keys and state --------------------------------------------------------------
def now_ms():
    return int(time.time() * 1000)


# Keys carry the cluster's bus scope (cfg["ns"]: its UDP port or Redis
# channel), as presence's do: clusters sharing one Redis keep apart.
def call_key(cfg, call_id):
    return f"call:{cfg['ns']}:{call_id}"


def conv_call_key(cfg, conv):
    return f"call_conv:{cfg['ns']}:{conv}"


def user_call_key(cfg, user_id):
    return f"call_user:{cfg['ns']}:{user_id}"


def seen_key(cfg, call_id):
    return f"call_seen:{cfg['ns']}:{call_id}"


def calls_key(cfg):
    return f"calls:{cfg['ns']}"


def frame_of(call, now=None, client_msg_id=None):
    """The Type 30 frame of a call's state."""
    now = now_ms() if now is None else now
    ringing = call["State"] != ENDED and now < call["RingUntil"]
    frame = {
        "Type": START,
        "CallId": call["CallId"],
        "ChatType": call["ChatType"],
        "TargetId": call["TargetId"],
        "CallerId": call["CallerId"],
        "Video": call["Video"],
        "State": call["State"],
        "Reason": call.get("Reason") or "",
        "Participants": [{"UserId": p["UserId"], "Conn": p["Conn"]} for p in call["Participants"]],
        "Declined": list(call.get("Declined") or ()),
        "StartTime": call["StartTime"],
        "AnswerTime": call.get("AnswerTime") or 0,
        "EndTime": call.get("EndTime") or 0,
        "RingUntil": call["RingUntil"],
        "RingMs": max(0, call["RingUntil"] - now) if ringing else 0,
        "MsgId": call.get("MsgId") or 0,
    }
    if client_msg_id:
        frame["ClientMsgId"] = client_msg_id
    return frame


def audience(call):
    """Whom a call's state frames go to: {"users": [...], "group": id or None}."""
    if call["ChatType"] == messages.GROUP:
        return {"users": [], "group": call["TargetId"]}
    return {"users": [call["CallerId"], call["TargetId"]], "group": None}


class Effects:
    """What a call operation asks the chat side to send: state frames and to whom."""

    def __init__(self):
        self.frames = []  # (frame, users, group)
        self.record = []  # calls whose record must follow their state (update_record, after the frames)

    def state(self, call, only=None, client_msg_id=None):
        to = audience(call) if only is None else {"users": list(only), "group": None}
        self.frames.append((frame_of(call, client_msg_id=client_msg_id), to["users"], to["group"]))

    def outcome(self, result):
        """A call transaction's result, (call, changed) or None: its state
        frames, and its record when the call's state changed."""
        if result is not None:
            call, changed = result
            self.state(call)
            if changed:
                self.record.append(call)


def _participant(call, user_id):
    for p in call["Participants"]:
        if p["UserId"] == user_id:
            return p
    return None


def _in_conversation(call, user_id, relations):
    if call["ChatType"] == messages.PRIVATE:
        return user_id in (call["CallerId"], call["TargetId"])
    return relations.is_member(user_id, call["TargetId"])


def load(r, cfg, call_id):
    raw = r.get(call_key(cfg, call_id))
    return json.loads(raw) if raw else None


def _live_call_of(pipe, cfg, key):
    """The call a ``call_conv`` or ``call_user`` key points at, if it is not ended."""
    call_id = pipe.get(key)
    if not call_id:
        return None
    call = load(pipe, cfg, call_id)
    return call if call and call["State"] != ENDED else None


def _ttl(cfg):
    """Seconds a live call's keys last without a node refreshing them."""
    return int(max(60, cfg["ring_seconds"] + cfg["rejoin_seconds"] + 30))


def _write(pipe, call, cfg, users=(), drop_users=()):
    """Queue the call's state (inside MULTI) and its keys' expiries."""
    call_id = call["CallId"]
    if call["State"] == ENDED:
        pipe.set(call_key(cfg, call_id), json.dumps(call), ex=ENDED_KEEP)
        pipe.delete(seen_key(cfg, call_id))
        pipe.hdel(calls_key(cfg), call_id)
        conv = call["Conv"]
        # The conversation's and the users' pointers go only if they still point here.
        for key in (
            [conv_call_key(cfg, conv)]
            + [user_call_key(cfg, p["UserId"]) for p in call["Participants"]]
            + [user_call_key(cfg, u) for u in drop_users]
        ):
            pipe.eval(_DEL_IF, 1, key, call_id)
        return
    ttl = _ttl(cfg)
    pipe.set(call_key(cfg, call_id), json.dumps(call), ex=ttl)
    pipe.set(conv_call_key(cfg, call["Conv"]), call_id, ex=ttl)
    pipe.hset(calls_key(cfg), call_id, call.get("MsgId") or 0)
    # Every participant's busy mark lives as long as the call (each write, each sweep).
    for user_id in sorted({p["UserId"] for p in call["Participants"]} | set(users)):
        pipe.set(user_call_key(cfg, user_id), call_id, ex=ttl)
    for user_id in drop_users:
        pipe.eval(_DEL_IF, 1, user_call_key(cfg, user_id), call_id)
    pipe.expire(seen_key(cfg, call_id), ttl)


_DEL_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


def _end(call, reason, now):
    call["State"] = ENDED
    call["Reason"] = reason
    call["EndTime"] = now


def _change(r, cfg, call_id, fn, extra_watch=()):
    """Run ``fn(pipe, call)`` in a transaction watching the call (and
    ``extra_watch`` keys); it queues its writes after ``pipe.multi()`` and
    returns a result. None call: 404."""

    def run(pipe):
        call = load(pipe, cfg, call_id)
        if call is None:
            raise not_found(f"no call {call_id} (it may have ended)")
        return fn(pipe, call)

    return r.transaction(run, call_key(cfg, call_id), *extra_watch, value_from_callable=True)


def check_call_id(call_id):
    if not isinstance(call_id, str) or not call_id or len(call_id) > CALL_ID_MAX or not call_id.isalnum():
        raise bad_request("CallId must be the call's id (a string of letters and digits)")
    return call_id


# --- the record -------------------------------------------------------------------
def _record_item(call, content, client_msg_id):
    """A call's record on its way to message_store.store_batch."""
    return NewMessage(
        call["CallerId"],
        call["ChatType"],
        call["TargetId"],
        media=CALL,
        content=content,
        client_msg_id=client_msg_id or "",
        create_time=call["StartTime"],
    )


def duration_of(call):
    if call["State"] != ENDED or not call.get("AnswerTime"):
        return 0
    return max(0, int(round((call["EndTime"] - call["AnswerTime"]) / 1000)))


def record_content(call):
    """The record's Content: JSON for the client (docs/PROTOCOL.md, Calls)."""
    state = call["State"]
    return json.dumps(
        {
            "CallId": call["CallId"],
            "Video": call["Video"],
            "State": state,
            "Reason": (call.get("Reason") or "") if state == ENDED else "",
            "Duration": duration_of(call),
        },
        separators=(",", ":"),
    )


def _store_record(call, client_msg_id):
    """Store the call's record (Media 7, from the caller); returns its Id,
    or raises 409 for a ClientMsgId that started a call already."""
    item = _record_item(call, record_content(call), client_msg_id)
    try:
        stored, dupes = message_store.store_batch(db.session.connection(), [item])
        if dupes:
            db.session.rollback()
            raise conflict(f"ClientMsgId {client_msg_id} was used already")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict(f"ClientMsgId {client_msg_id} was used already") from None
    except BaseException:
        db.session.rollback()
        raise
    message_stored.send(app(), frames=messages.frames_of(stored))
    return int(stored[0]["id"])


def update_record(call):
    """The record follows the call's state: its Content and Amount change, as a
    change with its own place in the Id sequence (a Type 15 frame). A record
    recalled meanwhile stays recalled."""
    msg_id = call.get("MsgId")
    if not msg_id:
        return
    c = messages.message_table.c
    try:
        rev = messages.take_position()
        done = changed(
            update(messages.message_table)
            .where(c.id == msg_id, c.media == CALL)
            .values(content=record_content(call), amount=duration_of(call), rev=rev)
        )
        if not done:
            db.session.rollback()
            return
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    message_updates.announce(msg_id)


def _finish_orphan(msg_id):
    """A call whose state vanished (no node lived to end it): its record ends, ``lost``."""
    if not msg_id:
        return
    row = messages.row_of(msg_id)
    if row is None or row["media"] != CALL:
        return
    try:
        old = json.loads(row["content"])
    except ValueError:
        old = {}
    if old.get("State") == ENDED:
        return
    fake = {
        "CallId": str(old.get("CallId") or ""),
        "Video": bool(old.get("Video")),
        "State": ENDED,
        "Reason": LOST,
        "MsgId": msg_id,
        "AnswerTime": 0,
        "EndTime": now_ms(),
    }
    update_record(fake)


# --- operations -------------------------------------------------------------------
def start(r, cfg, user_id, conn_id, chat_type, target_id, video, client_msg_id="", relations=SQL):
    """Type 30: call the private chat with ``target_id`` or group ``target_id``
    from connection ``conn_id``. Returns Effects."""
    if chat_type == messages.PRIVATE:
        may_message(user_id, target_id, relations)
    elif chat_type == messages.GROUP:
        may_write(user_id, chat_type, target_id, relations, post=False)  # a member (any may join)
    else:
        raise bad_request("ChatType must be 1 (private) or 2 (group)")
    conv = messages.conv_key(chat_type, user_id, target_id)
    running = _live_call_of(r, cfg, conv_call_key(cfg, conv))
    if running is not None and _participant(running, user_id) is None:
        return act(r, cfg, user_id, conn_id, running["CallId"], "accept", relations)
    if chat_type == messages.GROUP:  # a new call's record is a message: who may write there starts one
        may_write(user_id, chat_type, target_id, relations, post=True)
    now = now_ms()
    call_id = secrets.token_hex(8)
    call = {
        "CallId": call_id,
        "ChatType": chat_type,
        "TargetId": target_id,
        "CallerId": user_id,
        "Conv": conv,
        "Video": bool(video),
        "State": RINGING,
        "Reason": "",
        "Participants": [{"UserId": user_id, "Conn": conn_id}],
        "Declined": [],
        "StartTime": now,
        "AnswerTime": 0,
        "EndTime": 0,
        "RingUntil": now + int(cfg["ring_seconds"] * 1000),
        "RejoinMs": int(cfg["rejoin_seconds"] * 1000),  # kept with the call: every node sweeps it alike
        "MsgId": 0,
    }
    effects = Effects()
    busy = {}

    def create(pipe):
        mine = _live_call_of(pipe, cfg, user_call_key(cfg, user_id))
        if mine is not None:
            raise conflict(f"you are in call {mine['CallId']} already: hang up first")
        other = _live_call_of(pipe, cfg, conv_call_key(cfg, conv))
        if other is not None:
            raise conflict(f"call {other['CallId']} is running in this conversation: join it")
        if chat_type == messages.PRIVATE and _live_call_of(pipe, cfg, user_call_key(cfg, target_id)) is not None:
            busy["busy"] = True
            return
        pipe.multi()
        _write(pipe, call, cfg, users=[user_id])
        pipe.hset(seen_key(cfg, call_id), user_id, now)
        pipe.expire(seen_key(cfg, call_id), _ttl(cfg))

    watches = [user_call_key(cfg, user_id), conv_call_key(cfg, conv)]
    if chat_type == messages.PRIVATE:
        watches.append(user_call_key(cfg, target_id))
    r.transaction(create, *watches)
    if busy:
        # The callee is in another call: it ends at once; only the caller hears.
        _end(call, BUSY, now)
        call["Participants"] = []
        call["MsgId"] = _store_record(call, client_msg_id)
        effects.state(call, only=[user_id], client_msg_id=client_msg_id)
        return effects
    try:
        msg_id = _store_record(call, client_msg_id)
    except BaseException:
        _forget(r, call, cfg)
        raise

    def stamp(pipe, current):
        current["MsgId"] = msg_id
        pipe.multi()
        _write(pipe, current, cfg)
        return current

    current = _change(r, cfg, call_id, stamp)
    effects.state(current, client_msg_id=client_msg_id)
    if current["State"] != RINGING:  # answered (or ended) before its record was there
        effects.record.append(current)
    return effects


def _forget(r, call, cfg):
    """A call whose record could not be stored: gone, as if never started."""

    def drop(pipe, current):
        pipe.multi()
        pipe.delete(call_key(cfg, call["CallId"]), seen_key(cfg, call["CallId"]))
        pipe.hdel(calls_key(cfg), call["CallId"])
        pipe.eval(_DEL_IF, 1, conv_call_key(cfg, call["Conv"]), call["CallId"])
        for p in current["Participants"]:
            pipe.eval(_DEL_IF, 1, user_call_key(cfg, p["UserId"]), call["CallId"])

    try:
        _change(r, cfg, call["CallId"], drop)
    except AppError:
        pass


def act(r, cfg, user_id, conn_id, call_id, action, relations=SQL):
    """Type 31: ``action`` on call ``call_id`` by ``user_id`` from connection ``conn_id``."""
    call_id = check_call_id(call_id)
    if action not in ACTIONS:
        raise bad_request(f"Action must be one of {', '.join(ACTIONS)}")
    first = load(r, cfg, call_id)
    if first is None or not _in_conversation(first, user_id, relations):
        raise not_found(f"no call {call_id} (it may have ended)")
    effects = Effects()
    handler = {
        "accept": _accept,
        "join": _accept,
        "decline": _decline,
        "hangup": _hangup,
        "rejoin": _rejoin,
    }[action]
    members = None
    if action == "decline" and first["ChatType"] == messages.GROUP:
        members = Contact.member_ids(first["TargetId"])
    watch = [user_call_key(cfg, user_id)]
    effects.outcome(
        _change(r, cfg, call_id, lambda pipe, call: handler(pipe, call, cfg, user_id, conn_id, members), watch)
    )
    return effects


def _lazy_expiry(pipe, call, cfg):
    """A ringing call past its time ends now (missed), whoever looks first."""
    now = now_ms()
    if call["State"] == RINGING and now >= call["RingUntil"]:
        _end(call, MISSED, now)
        pipe.multi()
        _write(pipe, call, cfg)
        return True
    return False


def _accept(pipe, call, cfg, user_id, conn_id, _members):
    if call["State"] == ENDED:
        raise conflict(f"call {call['CallId']} has ended")
    mine = _participant(call, user_id)
    if mine is not None:
        if mine["Conn"] == conn_id:
            raise conflict("you are in this call already")
        raise conflict("you are in this call on another connection: rejoin to move it here")
    private = call["ChatType"] == messages.PRIVATE
    if private and user_id != call["TargetId"]:
        raise forbidden("this call did not ring for you: it is your own")
    if private and call["State"] == ACTIVE:
        raise conflict("the call was answered on another device")
    if len(call["Participants"]) >= cfg["max_peers"]:
        raise conflict(f"the call is full: at most {cfg['max_peers']} people")
    other = _live_call_of(pipe, cfg, user_call_key(cfg, user_id))
    if other is not None and other["CallId"] != call["CallId"]:
        raise conflict(f"you are in call {other['CallId']} already: hang up first")
    if _lazy_expiry(pipe, call, cfg):
        return call, True
    now = now_ms()
    call["Participants"].append({"UserId": user_id, "Conn": conn_id})
    call["Declined"] = [u for u in call.get("Declined") or () if u != user_id]
    changed = False
    if call["State"] == RINGING:
        call["State"] = ACTIVE
        call["AnswerTime"] = now
        changed = True
    pipe.multi()
    _write(pipe, call, cfg, users=[user_id])
    pipe.hset(seen_key(cfg, call["CallId"]), user_id, now)
    return call, changed


def _decline(pipe, call, cfg, user_id, conn_id, members):
    if call["State"] == ENDED:
        raise conflict(f"call {call['CallId']} has ended")
    if _participant(call, user_id) is not None:
        raise conflict("you are in this call: hang up to leave it")
    if _lazy_expiry(pipe, call, cfg):
        return call, True
    now = now_ms()
    if call["ChatType"] == messages.PRIVATE:
        if user_id != call["TargetId"]:
            raise forbidden("this call did not ring for you: it is your own")
        if call["State"] == ACTIVE:
            raise conflict("the call was answered on another device")
        _end(call, DECLINED, now)
        pipe.multi()
        _write(pipe, call, cfg)
        return call, True
    declined = list(call.get("Declined") or ())
    if user_id not in declined:
        declined.append(user_id)
    call["Declined"] = declined
    changed = False
    if call["State"] == RINGING and members is not None:
        waiting = set(members) - {p["UserId"] for p in call["Participants"]} - set(declined)
        if not waiting:
            _end(call, DECLINED, now)
            changed = True
    pipe.multi()
    _write(pipe, call, cfg)
    return call, changed


def _hangup(pipe, call, cfg, user_id, conn_id, _members):
    if call["State"] == ENDED:
        raise conflict(f"call {call['CallId']} has ended")
    if _participant(call, user_id) is None:
        raise forbidden("you are not in this call")
    now = now_ms()
    left = [p for p in call["Participants"] if p["UserId"] != user_id]
    changed = False
    if call["ChatType"] == messages.PRIVATE or not left:
        _end(call, HANGUP if call.get("AnswerTime") else CANCELLED, now)
        changed = True
    else:
        call["Participants"] = left
    pipe.multi()
    _write(pipe, call, cfg, drop_users=[user_id])
    if not changed:
        pipe.hdel(seen_key(cfg, call["CallId"]), user_id)
    return call, changed


def _rejoin(pipe, call, cfg, user_id, conn_id, _members):
    if call["State"] == ENDED:
        raise conflict(f"call {call['CallId']} has ended")
    mine = _participant(call, user_id)
    if mine is None:
        raise not_found("you are not in this call (any more): join it")
    mine["Conn"] = conn_id
    pipe.multi()
    _write(pipe, call, cfg, users=[user_id])
    pipe.hset(seen_key(cfg, call["CallId"]), user_id, now_ms())
    return call, False


def check_signal(r, cfg, user_id, conn_id, call_id, to_conn, relations=SQL):
    """Type 32: may connection ``conn_id`` of ``user_id`` signal ``to_conn``
    in call ``call_id``? Returns the call; raises AppError."""
    call_id = check_call_id(call_id)
    if not isinstance(to_conn, str) or not to_conn or len(to_conn) > CALL_ID_MAX:
        raise bad_request("ToConn must be a participant's Conn (a string)")
    if to_conn == conn_id:
        raise bad_request("a signal to your own connection")
    call = load(r, cfg, call_id)
    if call is None or not _in_conversation(call, user_id, relations):
        raise not_found(f"no call {call_id} (it may have ended)")
    if call["State"] == ENDED:
        raise conflict(f"call {call_id} has ended")
    mine = _participant(call, user_id)
    if mine is None:
        raise forbidden("you are not in this call")
    if mine["Conn"] != conn_id:
        raise forbidden("this connection is not your connection in the call: rejoin first")
    if not any(p["Conn"] == to_conn for p in call["Participants"]):
        raise not_found(f"no connection {to_conn} in call {call_id}")
    return call


def calls_for(r, cfg, user_id, relations=SQL):
    """Type 33: the calls not ended that concern ``user_id`` (their frames)."""
    found = []
    now = now_ms()
    for call_id in sorted(r.hkeys(calls_key(cfg))):
        call = load(r, cfg, call_id)
        if call is None or call["State"] == ENDED:
            continue
        try:
            concerned = _participant(call, user_id) is not None or _in_conversation(call, user_id, relations)
        except AppError:
            concerned = False
        if concerned:
            found.append(frame_of(call, now))
    return found


def sweep(r, cfg, alive=frozenset()):
    """Every node, every CALL_SWEEP_SECONDS: the participants whose
    connection is alive on this node (``alive``: their Conn ids) are marked
    seen; then ring timeouts, participants not seen for CALL_REJOIN_SECONDS,
    expiries refreshed, orphan records ended (those at once). Returns Effects:
    the state frames, then the records to update."""
    effects = Effects()
    for call_id, msg_id in sorted(r.hgetall(calls_key(cfg)).items()):
        current = load(r, cfg, call_id)
        if current is not None:
            mine = [p["UserId"] for p in current["Participants"] if p["Conn"] in alive]
            if mine and current["State"] != ENDED:
                now = now_ms()
                r.hset(seen_key(cfg, call_id), mapping={str(u): now for u in mine})
        if current is None:
            # Nobody kept it alive: the first node to take it off ends its record.
            if r.hdel(calls_key(cfg), call_id):
                _finish_orphan(int(msg_id or 0))
            continue
        try:
            effects.outcome(_change(r, cfg, call_id, lambda pipe, call: _sweep_one(pipe, call, cfg)))
        except AppError:
            continue
    return effects


def _sweep_one(pipe, call, cfg):
    if call["State"] == ENDED:
        pipe.multi()
        pipe.hdel(calls_key(cfg), call["CallId"])
        return None
    now = now_ms()
    if _lazy_expiry(pipe, call, cfg):
        return call, True
    seen = pipe.hgetall(seen_key(cfg, call["CallId"]))
    limit = now - int(call.get("RejoinMs") or cfg["rejoin_seconds"] * 1000)
    lost = [p for p in call["Participants"] if int(seen.get(str(p["UserId"])) or 0) < limit]
    if not lost:
        pipe.multi()
        _write(pipe, call, cfg)  # the expiries, refreshed
        return None
    left = [p for p in call["Participants"] if p not in lost]
    gone = [p["UserId"] for p in lost]
    changed = False
    if not left:
        _end(call, LOST, now)
        call["Participants"] = lost  # their busy marks go with the end
        changed = True
    elif call["ChatType"] == messages.PRIVATE:
        _end(call, HANGUP if call.get("AnswerTime") else LOST, now)
        changed = True
    else:
        call["Participants"] = left
    pipe.multi()
    _write(pipe, call, cfg, drop_users=gone)
    if not changed:
        for user_id in gone:
            pipe.hdel(seen_key(cfg, call["CallId"]), user_id)
    return call, changed
