"""The bus events as records (chat/events.py): each kind's JSON is the
object the previous version wrote, byte for byte, and reads back as the same
record; an unknown kind is left alone and a malformed one refused."""

import json
from dataclasses import dataclass

import pytest

from ginchat.chat import events
from ginchat.utils.wire import dumps

# What the previous version published, written as it built each event.
PREVIOUS = [
    (events.MemberAdded(7, 3, 41), {"Event": "member", "GroupId": 7, "UserId": 3, "HistoryId": 41}),
    (events.FriendAdded(3, 4), {"Event": "friend", "UserId": 3, "FriendId": 4}),
    (events.MemberRemoved(7, 3, 12), dict({"Event": "unmember", "GroupId": 7, "UserId": 3}, V=12)),
    (events.FriendRemoved(3, 4, None), dict({"Event": "unfriend", "UserId": 3, "FriendId": 4}, V=None)),
    (events.GroupGone(7, 13), dict({"Event": "group_gone", "GroupId": 7}, V=13)),
    (events.WritersChanged(7, 14), dict({"Event": "writers", "GroupId": 7}, V=14)),
    (
        events.FrameSent({"Users": [3], "Group": 7}, {"Type": 14, "Event": "member_joined"}, True),
        {
            "Event": "frame",
            "To": {"Users": [3], "Group": 7},
            "Frame": {"Type": 14, "Event": "member_joined"},
            "EventsOnly": True,
        },
    ),
    (
        events.SessionsEnded(3, [5, 6]),
        dict({"UserId": 3, "Sessions": [5, 6], "Keep": None, "UpTo": None}, Event="sessions_ended"),
    ),
    (
        events.SessionsEnded(3, None, 5, 9),
        dict({"UserId": 3, "Sessions": None, "Keep": 5, "UpTo": 9}, Event="sessions_ended"),
    ),
]


@pytest.mark.parametrize("record, previous", PREVIOUS)
def test_the_wire_is_the_previous_versions(record, previous):
    assert dumps(record.to_wire()) == dumps(previous)
    assert events.from_wire(json.loads(dumps(previous))) == record


def test_what_an_older_node_leaves_out_takes_its_default():
    assert events.from_wire({"Event": "member", "GroupId": "7", "UserId": 3}) == events.MemberAdded(7, 3, 0)
    assert events.from_wire({"Event": "unmember", "GroupId": 7, "UserId": 3}).version is None


def test_an_unknown_kind_is_left_alone():
    assert events.from_wire({"Event": "from-a-newer-node", "X": 1}) is None


@pytest.mark.parametrize(
    "event",
    [
        [],
        "x",
        {"Event": "member", "GroupId": 7},
        {"Event": "friend", "UserId": "x", "FriendId": 1},
        {"Event": "frame", "To": [], "Frame": {}},
        {"Event": "unmember", "GroupId": True, "UserId": 1},
    ],
)
def test_a_malformed_event_is_refused(event):
    with pytest.raises((KeyError, TypeError, ValueError)):
        events.from_wire(event)


def test_a_kind_of_a_collaborator_reads_with_its_table():
    @dataclass(slots=True)
    class Rang:
        user_id: int
        KIND = "rang"

        def to_wire(self):
            return {"Event": self.KIND, "UserId": self.user_id}

        @classmethod
        def from_wire(cls, event):
            return cls(int(event["UserId"]))

    kinds = dict(events.KINDS, rang=Rang)
    assert events.from_wire({"Event": "rang", "UserId": 4}, kinds) == Rang(4)
    assert events.from_wire({"Event": "rang", "UserId": 4}) is None
