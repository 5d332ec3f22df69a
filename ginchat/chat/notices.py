"""Frames that are not messages (read receipts, typing, presence, recalls,
notices of friend and group changes), given to users wherever they are
connected.

Frames for users on other nodes travel as bus events ({"Event": "frame"});
each node hands them to its own connections. Presence and notices go only
to connections opened with ``?events=1``, so clients that did not ask see
the message stream of API.md alone.

Presence frames are addressed at once but written a moment later (a
greenlet of their own), each connection getting all of its own in one write: when n browsers connect
at once (each an ``?events=1`` connection, and each arrival announced to
every other one), that is n²/2 frames, and a send each cost most of a
storm's CPU (issue 30). The frames and their order are the same; only the
writes are fewer. Other frames go at once, in their order with messages."""

import logging

import gevent

from ginchat import signals
from ginchat.chat.events import FrameSent, FriendRemoved, GroupGone, MemberRemoved
from ginchat.chat.frames import NOTICE, PRESENCE, dumps
from ginchat.chat.websocket import encode_text
from ginchat.domain.access import MEMBERS

log = logging.getLogger("ginchat.chat")


def _card(card):
    """The actor's card ({ID, Name, DisplayName, Avatar}) as a notice's User."""
    return {"User": card} if card else None


class Notices:
    def __init__(self, app, relations, client_map, direct_messages, publish_event, has_listeners):
        """``client_map`` is the engine's (user id -> connections);
        ``publish_event(event)`` tells the other nodes; ``has_listeners()`` is
        true while a connection of this node listens to events (?events=1)."""
        self.app = app
        self.relations = relations
        self.client_map = client_map
        self.direct_messages = direct_messages
        self.publish_event = publish_event
        self.has_listeners = has_listeners
        self.presence_out = {}  # connection -> [(text, WebSocket frame)]: presence frames to write, in order
        self.presence_flushing = False  # a greenlet is writing them (_send_presence)
        signals.group_member_added.connect(
            lambda sender, group_id, user_id, actor_id=0, announce=True, **_: (
                announce and self.member_added(group_id, user_id, actor_id)
            ),
            sender=app,
            weak=False,
        )
        signals.friendship_added.connect(
            lambda sender, user_id, friend_id, card=None, **_: self.notice(
                "friend_added", [user_id, friend_id], user_id=friend_id, actor_id=user_id, extra=_card(card)
            ),
            sender=app,
            weak=False,
        )
        # What the domain changed and committed: the chat side tells the people
        # concerned, and the maps of every node forget what ended.
        signals.notice.connect(lambda sender, **kw: self.notice(**kw), sender=app, weak=False)
        signals.group_member_removed.connect(self._member_removed, sender=app, weak=False)
        signals.group_dissolved.connect(self._dissolved, sender=app, weak=False)
        signals.friendship_ended.connect(self._unfriended, sender=app, weak=False)

    def send(self, frame, users=(), group=None, friends_of=None, events_only=False, skip=(), everyone=False):
        """Give a non-message frame to every connection of the addressed users on
        every node: ``users`` (ids), the members of ``group``, the friends of
        ``friends_of``, or ``everyone`` connected; never to the users in ``skip``."""
        to = {"Users": sorted({int(u) for u in users})}
        if everyone:
            to["All"] = True
        if group is not None:
            to["Group"] = int(group)
        if friends_of is not None:
            to["FriendsOf"] = int(friends_of)
        if skip:
            to["Except"] = sorted({int(u) for u in skip})
        self.deliver_local(to, frame, events_only)
        self.publish_event(FrameSent(to, frame, bool(events_only)))

    def deliver_local(self, to, frame, events_only):
        """The frame for this node's connections of the users ``to`` names."""
        if events_only and not self.has_listeners():
            return  # nobody here listens (and the friends or members need no query)
        if events_only and frame.get("Type") == PRESENCE:
            text = dumps(frame)
            encoded = (text, encode_text(text))
            for conn in self._connections(to, True):
                self.presence_out.setdefault(conn, []).append(encoded)
            if self.presence_out and not self.presence_flushing:
                self.presence_flushing = True
                gevent.spawn(self._send_presence)
            return
        text = None
        for conn in self._connections(to, events_only):
            if text is None:
                text = dumps(frame)
            conn.put(None, text)

    def _connections(self, to, events_only):
        """This node's connections of the users ``to`` names (``events_only``: opened with ?events=1)."""
        recipients = set(self.client_map) if to.get("All") else set(to.get("Users") or ())
        if to.get("Group") is not None:
            recipients |= self.relations.groups.peek(int(to["Group"]))
        if to.get("FriendsOf") is not None:
            recipients |= self.relations.friends.peek(int(to["FriendsOf"]))
        if to.get("Except"):
            recipients = recipients - set(to["Except"])
        found = []
        for user_id in recipients:
            for conn in tuple(self.client_map.get(user_id, ())):
                if not events_only or conn.events:
                    found.append(conn)
        return found

    def _send_presence(self):
        """The presence frames gathered meanwhile: each connection gets its
        own, in order, in one write when it can take one. Frames gathered
        while this runs (a close may yield) are sent by the same round, after."""
        try:
            while self.presence_out:
                out, self.presence_out = self.presence_out, {}
                for conn, frames in out.items():
                    try:
                        if len(frames) > 1 and conn.plain and conn.writer is None and not conn.replaying:
                            data = b"".join(frame for _, frame in frames)
                            conn.put(None, data, data)
                        else:
                            for text, frame in frames:
                                conn.put(None, text, frame)
                    except Exception:  # one connection's trouble never keeps the others' presence
                        log.exception("presence frames for %r not sent", conn)
        finally:
            self.presence_flushing = False

    def apply_event(self, event):
        """A frame another node sent to users who may be connected here (a FrameSent)."""
        self.deliver_local(event.to, event.frame, event.events_only)

    def notice(self, event, users=(), group=None, user_id=0, group_id=0, actor_id=0, extra=None):
        """A friend or group change, for the ``?events=1`` connections of
        ``users`` and ``group``; ``extra``: keys the event adds."""
        frame = {
            "Type": NOTICE,
            "Event": event,
            "UserId": int(user_id or 0),
            "GroupId": int(group_id or 0),
            "ActorId": int(actor_id or 0),
        } | dict(extra or {})
        self.send(frame, users=users, group=group, events_only=True)

    def presence_changed(self, user_id, online):
        """A user's first connection anywhere opened or the last one closed:
        tell whoever may see it (ginchat.domain.access.sees_online): under
        DIRECT_MESSAGES=members everyone connected but those blocked either
        way, under friends their friends."""
        frame = {"Type": PRESENCE, "UserId": int(user_id), "Online": bool(online)}
        try:
            with self.app.app_context():
                if self.direct_messages == MEMBERS:
                    blocked = self.relations.blocks.peek(int(user_id))
                    self.send(frame, events_only=True, everyone=True, skip={int(user_id), *blocked})
                else:
                    self.send(frame, friends_of=user_id, events_only=True)
        except Exception:  # presence events are a courtesy: never break the presence writer
            log.exception("presence event for user %s not sent", user_id)

    def member_added(self, group_id, user_id, actor_id=0):
        # The group map reads in an app context of its own: the sender's session is left alone.
        if actor_id and actor_id != user_id:
            self.notice(
                "member_added", users=[user_id], group=group_id, user_id=user_id, group_id=group_id, actor_id=actor_id
            )
        else:
            self.notice("member_joined", group=group_id, user_id=user_id, group_id=group_id, actor_id=user_id)

    def _member_removed(self, sender, group_id, user_id, actor_id, event):
        # The members (the removed one included) hear it before the maps forget them.
        self.notice(event, users=[user_id], group=group_id, user_id=user_id, group_id=group_id, actor_id=actor_id)
        self.relations.removed(MemberRemoved(int(group_id), int(user_id)))

    def _dissolved(self, sender, group_id, actor_id, members=()):
        # The members an administrator's dissolution took hear it too.
        users = sorted({actor_id, *members})
        self.notice("group_dissolved", users=users, user_id=actor_id, group_id=group_id, actor_id=actor_id)
        self.relations.removed(GroupGone(int(group_id)))

    def _unfriended(self, sender, user_id, friend_id):
        self.relations.removed(FriendRemoved(int(user_id), int(friend_id)))
        self.notice("friend_removed", users=[user_id, friend_id], user_id=friend_id, actor_id=user_id)
