"""The one rule of who may write to and read a conversation
(ginchat.domain.access), asked over any source of relations: the socket's
maps and SQL answer the same four questions. No server needed."""

import pytest

from ginchat.domain.access import may_change, may_message, may_read, may_write, sees_online
from ginchat.errors import AppError
from ginchat.models.message import GROUP, PRIVATE
from ginchat.settings import Settings


class Relations:
    """Relations as plain sets: (a, b) friend pairs, (user, group) memberships,
    {(user, group): history floor}, (blocked user, by) pairs."""

    def __init__(
        self, friends=(), members=(), floors=None, blocks=(), direct_messages="friends", accounts=(), writers=None
    ):
        self.writers = writers or {}  # group -> who may write in it (absent: every member)
        self.friends = set(friends)
        self.members = set(members)
        self.floors = floors or {}
        self.blocks = set(blocks)
        self.direct_messages = direct_messages  # DIRECT_MESSAGES
        self.accounts = set(accounts)  # the active accounts

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

    def is_account(self, user_id):
        return user_id in self.accounts

    def may_post(self, user_id, group_id):
        return group_id not in self.writers or user_id in self.writers[group_id]


def refused(call, status):
    with pytest.raises(AppError) as caught:
        call()
    assert caught.value.status == status
    return caught.value.msg


def test_private_messages_go_to_friends_only_with_direct_messages_friends():
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


def test_an_announcement_group_takes_messages_and_edits_from_its_writers_only():
    rel = Relations(members={(1, 10), (2, 10)}, writers={10: {1}})
    may_write(1, GROUP, 10, rel)
    assert "admins" in refused(lambda: may_write(2, GROUP, 10, rel), 403)
    old = {"type": GROUP, "user_id": 2, "target_id": 10}
    may_change(2, old, rel)  # a reaction is no new message
    refused(lambda: may_change(2, old, rel, post=True), 403)  # an edit is
    refused(lambda: may_write(3, GROUP, 10, rel), 403)


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


# --- DIRECT_MESSAGES=members (issue 27) -------------------------------------------------
def test_members_write_to_any_account_unless_a_block_stands_either_way():
    rel = Relations(direct_messages="members", accounts={1, 2, 3, 4, 5}, blocks={(1, 3), (5, 1)}, friends={(1, 6)})
    may_write(1, PRIVATE, 2, rel)  # a colleague, no friendship needed
    may_message(1, 4, rel)
    assert "has blocked you" in refused(lambda: may_write(1, PRIVATE, 3, rel), 403)
    assert "you have blocked" in refused(lambda: may_write(1, PRIVATE, 5, rel), 403)
    assert "yourself" in refused(lambda: may_write(1, PRIVATE, 1, rel), 403)
    assert "no user" in refused(lambda: may_write(1, PRIVATE, 9, rel), 404)
    may_write(1, PRIVATE, 6, rel)  # a deactivated friend stays writable, as with friends
    refused(lambda: may_write(1, GROUP, 10, rel), 403)  # groups: members only, either way


def test_friends_mode_refuses_colleagues_and_says_why():
    rel = Relations(accounts={1, 2, 3}, blocks={(1, 3)})
    assert "not your friend" in refused(lambda: may_message(1, 2, rel), 403)
    assert "has blocked you" in refused(lambda: may_message(1, 3, rel), 403)


def test_who_sees_whom_online_follows_the_setting():
    users = {2, 3, 4, 5}
    assert sees_online("members", users, related={2}, blocked={3}) == {2, 4, 5}
    assert sees_online("friends", users, related={2, 4}, blocked={3}) == {2, 4}


def test_the_setting_is_members_unless_told_and_nothing_else_passes():
    assert Settings.from_config({}).direct_messages == "members"
    assert Settings.from_config({"DIRECT_MESSAGES": " Friends "}).direct_messages == "friends"
    with pytest.raises(ValueError, match="GINCHAT_DIRECT_MESSAGES must be members or friends, got 'everyone'"):
        Settings.from_config({"DIRECT_MESSAGES": "everyone"})
