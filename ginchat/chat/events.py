"""The events nodes tell each other over the bus, one record per kind.

On the wire (JSON, the bus's ``{"k": "e", "e": ...}`` packets) each is the
object it always was: ``{"Event": kind, ...}`` with the same keys in the same
order, so nodes of this and the previous version understand each other.
``to_wire`` writes that object, ``from_wire`` reads one (None for a kind this
node does not know; KeyError, TypeError or ValueError for a malformed one,
which the bus counts and drops).

Removals (``MemberRemoved``, ``FriendRemoved``, ``GroupGone``,
``WritersChanged``) carry ``version``, the relations version in Redis after
the removal (chat/relations.py), or None when Redis did not answer."""

from dataclasses import dataclass


def _id(value):
    if isinstance(value, bool):
        raise TypeError("an id must be an integer")
    return int(value)


def _optional(value):
    return None if value is None else _id(value)


@dataclass(slots=True)
class MemberAdded:
    """``user_id`` joined ``group_id``; they read what came after ``history_id``."""

    group_id: int
    user_id: int
    history_id: int = 0
    KIND = "member"

    def to_wire(self):
        return {"Event": self.KIND, "GroupId": self.group_id, "UserId": self.user_id, "HistoryId": self.history_id}

    @classmethod
    def from_wire(cls, event):
        return cls(_id(event["GroupId"]), _id(event["UserId"]), _id(event.get("HistoryId") or 0))


@dataclass(slots=True)
class FriendAdded:
    user_id: int
    friend_id: int
    KIND = "friend"

    def to_wire(self):
        return {"Event": self.KIND, "UserId": self.user_id, "FriendId": self.friend_id}

    @classmethod
    def from_wire(cls, event):
        return cls(_id(event["UserId"]), _id(event["FriendId"]))


@dataclass(slots=True)
class MemberRemoved:
    """``user_id`` left or was removed from ``group_id``."""

    group_id: int
    user_id: int
    version: int | None = None
    KIND = "unmember"

    def to_wire(self):
        return {"Event": self.KIND, "GroupId": self.group_id, "UserId": self.user_id, "V": self.version}

    @classmethod
    def from_wire(cls, event):
        return cls(_id(event["GroupId"]), _id(event["UserId"]), _optional(event.get("V")))


@dataclass(slots=True)
class FriendRemoved:
    """A friendship ended (also what a block sends)."""

    user_id: int
    friend_id: int
    version: int | None = None
    KIND = "unfriend"

    def to_wire(self):
        return {"Event": self.KIND, "UserId": self.user_id, "FriendId": self.friend_id, "V": self.version}

    @classmethod
    def from_wire(cls, event):
        return cls(_id(event["UserId"]), _id(event["FriendId"]), _optional(event.get("V")))


@dataclass(slots=True)
class GroupGone:
    """The group was dissolved."""

    group_id: int
    version: int | None = None
    KIND = "group_gone"

    def to_wire(self):
        return {"Event": self.KIND, "GroupId": self.group_id, "V": self.version}

    @classmethod
    def from_wire(cls, event):
        return cls(_id(event["GroupId"]), _optional(event.get("V")))


@dataclass(slots=True)
class WritersChanged:
    """Who may write in the group narrowed (an announcement group, say)."""

    group_id: int
    version: int | None = None
    KIND = "writers"

    def to_wire(self):
        return {"Event": self.KIND, "GroupId": self.group_id, "V": self.version}

    @classmethod
    def from_wire(cls, event):
        return cls(_id(event["GroupId"]), _optional(event.get("V")))


@dataclass(slots=True)
class FrameSent:
    """A non-message frame for the connections of the users ``to`` names
    ({"Users", "All", "Group", "FriendsOf", "Except"}: see Notices.send)."""

    to: dict
    frame: dict
    events_only: bool = False
    KIND = "frame"

    def to_wire(self):
        return {"Event": self.KIND, "To": self.to, "Frame": self.frame, "EventsOnly": self.events_only}

    @classmethod
    def from_wire(cls, event):
        to, frame = event["To"], event["Frame"]
        if not isinstance(to, dict) or not isinstance(frame, dict):
            raise TypeError("a frame event needs To and Frame objects")
        return cls(to, frame, bool(event.get("EventsOnly")))


@dataclass(slots=True)
class SessionsEnded:
    """Login sessions of ``user_id`` ended: those in ``sessions``, or every one
    but ``keep`` (up to ``up_to`` when given)."""

    user_id: int
    sessions: list | None = None
    keep: int | None = None
    up_to: int | None = None
    KIND = "sessions_ended"

    def to_wire(self):
        # The key order of the previous version, which wrote dict(rule, Event=...).
        return {"UserId": self.user_id, "Sessions": self.sessions, "Keep": self.keep, "UpTo": self.up_to} | {
            "Event": self.KIND
        }

    @classmethod
    def from_wire(cls, event):
        sessions = event.get("Sessions")
        return cls(
            _id(event["UserId"]),
            None if sessions is None else [_id(s) for s in sessions],
            _optional(event.get("Keep")),
            _optional(event.get("UpTo")),
        )


KINDS = {
    kind.KIND: kind
    for kind in (
        MemberAdded,
        FriendAdded,
        MemberRemoved,
        FriendRemoved,
        GroupGone,
        WritersChanged,
        FrameSent,
        SessionsEnded,
    )
}
REMOVALS = (MemberRemoved, FriendRemoved, GroupGone, WritersChanged)


def from_wire(event, kinds=KINDS):
    """The record of a bus event (a dict as it came), or None for a kind this
    node does not know (``kinds``: "Event" -> record class)."""
    if not isinstance(event, dict):
        raise TypeError("a bus event must be an object")
    kind = kinds.get(event.get("Event"))
    return None if kind is None else kind.from_wire(event)
