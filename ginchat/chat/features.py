"""What chat users expect beyond the original (issue 9), on the chat side:
read receipts, typing, presence events, recall and relation notices.

Client frames (registered with the engine):
  10 read    {"Type": 10, "ChatType": 1|2, "TargetId", "Id"}  my read cursor moves up to Id
  11 typing  {"Type": 11, "TargetId"}                         I am typing to friend TargetId
  13 recall  {"Type": 13, "Id"}                               take back my message Id
Server frames:
  10 {"Type": 10, "ChatType", "UserId", "TargetId", "Id"}     UserId has read up to Id
  11 {"Type": 11, "UserId", "TargetId"}                       UserId is typing to you
  12 {"Type": 12, "UserId", "Online": bool}                   a friend came or went (opt-in)
  13 {"Type": 13, "Id", "ChatType", "UserId", "TargetId"}     message Id was recalled
  14 {"Type": 14, "Event", "UserId", "GroupId", "ActorId"}    a friend or group change (opt-in)

Frames for users on other nodes travel as bus events ({"Event": "frame"});
each node hands them to its own connections. Presence and notices go only
to connections opened with ``?events=1``, so older clients and scripts see
the stream of API.md unchanged.

Removals (quit, kick, unfriend, block) must reach every node's maps: a stale
entry would let a removed member keep writing. Each removal bumps a version
in Redis and is published; a node that sees the version move without having
applied every step forgets its maps (they reload from SQL)."""

import logging
import time

import redis

from ginchat.chat.dispatch import FrameError, _int_field, authorize, may_read
from ginchat.errors import bad_request
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import social
from ginchat.models.contact import Contact
from ginchat.signals import friendship_added, group_member_added

log = logging.getLogger("ginchat.chat")

READ, TYPING, PRESENCE, RECALL, NOTICE = 10, 11, 12, 13, 14
RELATIONS_KEY = "ginchat:relations_version"
RELATIONS_CHECK = 1.0  # seconds between two looks at the Redis version


def dumps(frame):
    from ginchat.chat.engine import dumps as engine_dumps

    return engine_dumps(frame)


def install(engine):
    engine.register_frame(READ, on_read)
    engine.register_frame(TYPING, on_typing)
    engine.register_frame(RECALL, on_recall)
    cfg = engine.app.config
    engine.recall_ms = int(float(cfg.get("RECALL_SECONDS", 120)) * 1000)
    engine.typing_interval = float(cfg.get("TYPING_INTERVAL", 1.0))
    engine.relations_version = _read_version(engine)
    engine.relations_checked = time.monotonic()
    app = engine.app
    group_member_added.connect(
        lambda sender, group_id, user_id, actor_id=0, **_: _member_added(engine, group_id, user_id, actor_id),
        sender=app, weak=False)
    friendship_added.connect(lambda sender, user_id, friend_id: notice(
        engine, "friend_added", [user_id, friend_id], user_id=friend_id, actor_id=user_id), sender=app, weak=False)


# --- sending frames to users wherever they are connected ---------------------------
def send(engine, frame, users=(), group=None, friends_of=None, events_only=False, skip=()):
    """Give a non-message frame to every connection of the addressed users on
    every node: ``users`` (ids), the members of ``group``, the friends of
    ``friends_of``; never to the users in ``skip``."""
    to = {"Users": sorted({int(u) for u in users})}
    if group is not None:
        to["Group"] = int(group)
    if friends_of is not None:
        to["FriendsOf"] = int(friends_of)
    if skip:
        to["Except"] = sorted({int(u) for u in skip})
    deliver_local(engine, to, frame, events_only)
    engine.bus.publish_event({"Event": "frame", "To": to, "Frame": frame, "EventsOnly": bool(events_only)})


def deliver_local(engine, to, frame, events_only):
    recipients = set(to.get("Users") or ())
    if to.get("Group") is not None:
        recipients |= engine.groups.peek(int(to["Group"]))
    if to.get("FriendsOf") is not None:
        recipients |= engine.friends.peek(int(to["FriendsOf"]))
    if to.get("Except"):
        recipients = recipients - set(to["Except"])
    text = None
    for user_id in recipients:
        for node in tuple(engine.client_map.get(user_id, ())):
            if events_only and not node.events:
                continue
            if text is None:
                text = dumps(frame)
            node.put(None, text)


def notice(engine, event, users=(), group=None, user_id=0, group_id=0, actor_id=0):
    frame = {"Type": NOTICE, "Event": event, "UserId": int(user_id or 0), "GroupId": int(group_id or 0),
             "ActorId": int(actor_id or 0)}
    send(engine, frame, users=users, group=group, events_only=True)


def presence_changed(engine, user_id, online):
    """Called by the presence writer when a user's first connection anywhere
    opened or the last one closed: tell the friends who are online."""
    try:
        with engine.app.app_context():
            send(engine, {"Type": PRESENCE, "UserId": int(user_id), "Online": bool(online)},
                 friends_of=user_id, events_only=True)
    except Exception:  # presence events are a courtesy: never break the writer
        log.exception("presence event for user %s not sent", user_id)


# --- relation changes on every node ---------------------------------------------------
def _read_version(engine):
    try:
        value = engine.redis.get(RELATIONS_KEY)
        return int(value or 0)
    except (redis.RedisError, ValueError):
        return None


def removed(engine, event):
    """A relation ended here (committed): fix this node's maps, bump the
    version, tell the other nodes."""
    try:
        version = int(engine.redis.incr(RELATIONS_KEY))
    except redis.RedisError:
        version = None
    _apply_removal(engine, event)
    _step_version(engine, version)
    engine.bus.publish_event(dict(event, V=version))


def _step_version(engine, version):
    # Only a step of exactly one proves that nothing was missed in between.
    if version is not None and engine.relations_version is not None and version == engine.relations_version + 1:
        engine.relations_version = version


def _apply_removal(engine, event):
    kind = event["Event"]
    if kind == "unmember":
        engine.groups.discard(int(event["GroupId"]), int(event["UserId"]))
    elif kind == "unfriend":
        engine.friends.discard(int(event["UserId"]), int(event["FriendId"]))
        engine.friends.discard(int(event["FriendId"]), int(event["UserId"]))
    elif kind == "group_gone":
        engine.groups.forget(int(event["GroupId"]))


def check_relations(engine):
    """At most once a second: if the version in Redis moved past what this
    node applied, a removal event was lost: forget the maps."""
    now = time.monotonic()
    if now - engine.relations_checked < RELATIONS_CHECK:
        return
    engine.relations_checked = now
    version = _read_version(engine)
    if version is None:
        return
    if engine.relations_version != version:
        if engine.relations_version is not None:
            log.info("relations changed elsewhere (version %s -> %s): reloading the maps",
                     engine.relations_version, version)
            engine.groups.clear()
            engine.friends.clear()
        engine.relations_version = version


def apply_event(engine, event):
    """Events of this module that arrive from other nodes."""
    kind = event.get("Event")
    if kind == "frame":
        deliver_local(engine, event["To"], event["Frame"], bool(event.get("EventsOnly")))
    elif kind in ("unmember", "unfriend", "group_gone"):
        _apply_removal(engine, event)
        version = event.get("V")
        _step_version(engine, int(version) if version is not None else None)


def _member_added(engine, group_id, user_id, actor_id=0):
    # No read cursor for a newcomer: they have read nothing ("read by" counts
    # real reads only); their unread count starts at their join point.
    if actor_id and actor_id != user_id:
        notice(engine, "member_added", users=[user_id], group=group_id, user_id=user_id, group_id=group_id,
               actor_id=actor_id)
    else:
        notice(engine, "member_joined", group=group_id, user_id=user_id, group_id=group_id, actor_id=user_id)


# --- client frames --------------------------------------------------------------------
def _guard(engine, node, fields):
    engine._check_rate(node, fields["clientmsgid"])
    check_relations(engine)


def read_up_to(engine, user_id, chat_type, target_id, up_to=None):
    """Move ``user_id``'s read cursor of a conversation (to its latest message
    when ``up_to`` is None; never onto a message they may not read) and tell
    the participants, except those blocked either way and, in a group, the
    members who joined after that message. Returns the cursor."""
    after = may_read(engine, user_id, chat_type, target_id)
    if chat_type == messages.PRIVATE and target_id == user_id:
        raise bad_request("TargetId is yourself")
    conv = messages.conv_key(chat_type, user_id, target_id)
    with engine.app.app_context():
        cursor = social.advance(user_id, conv, up_to if up_to is not None else 2**62, after)
        if cursor is None:
            return social.cursor_of(user_id, conv)
        frame = {"Type": READ, "ChatType": chat_type, "UserId": user_id, "TargetId": target_id, "Id": cursor}
        hidden = social.blocked_with(user_id)
        if chat_type == messages.GROUP:
            hidden |= Contact.cannot_read(target_id, cursor)
            send(engine, frame, users=[user_id], group=target_id, skip=hidden - {user_id})
        else:
            send(engine, frame, users=[user_id] if target_id in hidden else [user_id, target_id])
    return cursor


def on_read(engine, node, fields):
    _guard(engine, node, fields)
    cmid = fields["clientmsgid"]
    chat_type = _int_field(fields, "chattype", "ChatType", cmid, minimum=1, maximum=2)
    target = _int_field(fields, "targetid", "TargetId", cmid)
    up_to = _int_field(fields, "id", "Id", cmid, required=False, maximum=2**62)
    read_up_to(engine, node.user_id, chat_type, target, up_to)


def on_typing(engine, node, fields):
    _guard(engine, node, fields)
    cmid = fields["clientmsgid"]
    target = _int_field(fields, "targetid", "TargetId", cmid)
    if _int_field(fields, "chattype", "ChatType", cmid, required=False, default=1, minimum=1, maximum=2) != 1:
        raise FrameError(400, "typing is shown in private chats only", cmid)
    authorize(engine, node.user_id, messages.PRIVATE, target)
    # Coalesced: at most one indicator per friend and TYPING_INTERVAL per connection.
    last = node.__dict__.setdefault("typing_sent", {})
    now = time.monotonic()
    if now - last.get(target, -1e9) < engine.typing_interval:
        return
    if len(last) > 256:
        last.clear()
    last[target] = now
    with engine.app.app_context():
        send(engine, {"Type": TYPING, "UserId": node.user_id, "TargetId": target}, users=[target])


def recall_message(engine, user_id, msg_id):
    """Take back ``user_id``'s message ``msg_id`` (within RECALL_SECONDS):
    blanked in SQL, gone from every open conversation. Returns the frame sent."""
    with engine.app.app_context():
        row = social.recall(user_id, msg_id, engine.recall_ms, int(time.time() * 1000))
        frame = {"Type": RECALL, "Id": int(row["id"]), "ChatType": int(row["type"]), "UserId": user_id,
                 "TargetId": int(row["target_id"])}
        if row["type"] == messages.GROUP:
            send(engine, frame, users=[user_id], group=row["target_id"],
                 skip=Contact.cannot_read(row["target_id"], row["id"]) - {user_id})
        else:
            send(engine, frame, users=[user_id, row["target_id"]])
        if row.get("url"):
            _forget_upload(row["url"])
        db.session.remove()
    return frame


def on_recall(engine, node, fields):
    _guard(engine, node, fields)
    cmid = fields["clientmsgid"]
    msg_id = _int_field(fields, "id", "Id", cmid, maximum=2**62)
    recall_message(engine, node.user_id, msg_id)


def _forget_upload(url):
    """The picture or clip of a recalled message is deleted too, unless a
    message, an avatar or a group icon still points at it."""
    import os

    from sqlalchemy import func, select

    from ginchat.models.community import Community
    from ginchat.models.user_basic import UserBasic
    from ginchat.service.attach import upload_folder, upload_name

    name = upload_name(url, aliases=True)
    if name is None:
        return
    c = messages.message_table.c
    used = db.session.scalar(select(func.count()).where(c.url == url)) or db.session.scalar(
        select(func.count()).select_from(UserBasic).where(UserBasic.avatar == url)
    ) or db.session.scalar(select(func.count()).select_from(Community).where(Community.img == url))
    if used:
        return
    try:
        os.remove(os.path.join(upload_folder(), name))
    except OSError:
        pass
