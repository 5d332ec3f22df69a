"""The one rule of who may write to and read a conversation
(ginchat.domain.access), asked over any source of relations: the socket's
maps and SQL answer the same four questions. No server needed."""

import pytest

from ginchat.domain.access import may_change, may_read, may_write
from ginchat.errors import AppError
from ginchat.models.message import GROUP, PRIVATE


class Relations:
    """Relations as plain sets: (a, b) friend pairs, (user, group) memberships,
    {(user, group): history floor}, (blocked user, by) pairs."""

    def __init__(self, friends=(), members=(), floors=None, blocks=()):
        self.friends = set(friends)
        self.members = set(members)
        self.floors = floors or {}
        self.blocks = set(blocks)

    def is_friend(self, a, b):
        return (a, b) in self.friends

    def is_member(self, user_id, group_id):
        return (user_id, group_id) in self.members

    def history_after(self, user_id, group_id):
        if (user_id, group_id) not in self.members:
            return None
        return self.floors.get((user_id, group_id), 0)

    def is_blocked(self, user_id, by_id):
        return (user_id, by_id) in self.blocks


def refused(call, status):
    with pytest.raises(AppError) as caught:
        call()
    assert caught.value.status == status
    return caught.value.msg


def test_private_messages_go_to_friends_only():
    rel = Relations(friends={(1, 2)}, blocks={(1, 3)})
    may_write(1, PRIVATE, 2, rel)
    assert "not your friend" in refused(lambda: may_write(1, PRIVATE, 4, rel), 403)
    assert "has blocked you" in refused(lambda: may_write(1, PRIVATE, 3, rel), 403)
    assert "yourself" in refused(lambda: may_write(1, PRIVATE, 1, rel), 403)


def test_group_messages_come_from_members_only():
    rel = Relations(members={(1, 10)})
    may_write(1, GROUP, 10, rel)
    refused(lambda: may_write(2, GROUP, 10, rel), 403)
    refused(lambda: may_write(1, 7, 10, rel), 400)


def test_reading_starts_at_the_history_floor():
    rel = Relations(members={(1, 10), (2, 10)}, floors={(2, 10): 42})
    assert may_read(1, GROUP, 10, rel) == 0
    assert may_read(2, GROUP, 10, rel) == 42
    refused(lambda: may_read(3, GROUP, 10, rel), 403)
    assert may_read(1, PRIVATE, 5, rel) == 0  # either side, friends or not any more
    refused(lambda: may_read(1, 9, 5, rel), 400)


def test_a_member_the_map_knows_but_sql_does_not_reads_nothing():
    class Stale(Relations):
        def history_after(self, user_id, group_id):
            return None  # removed on another node; this node's map has not heard

    refused(lambda: may_read(1, GROUP, 10, Stale(members={(1, 10)})), 403)


def test_a_change_is_a_write_to_the_conversation():
    rel = Relations(friends={(1, 2), (2, 1)}, members={(1, 10)}, blocks={(3, 1)})
    to_2 = {"type": PRIVATE, "user_id": 1, "target_id": 2}
    may_change(1, to_2, rel)  # the sender
    may_change(2, to_2, rel)  # the recipient reacts
    from_3 = {"type": PRIVATE, "user_id": 3, "target_id": 1}
    assert "not your friend" in refused(lambda: may_change(1, from_3, rel), 403)
    assert "has blocked you" in refused(lambda: may_change(3, from_3, rel), 403)
    in_10 = {"type": GROUP, "user_id": 5, "target_id": 10}
    may_change(1, in_10, rel)
    refused(lambda: may_change(2, in_10, rel), 403)
