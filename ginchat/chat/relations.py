"""Who is in which group and who is whose friend, as this node's maps, kept
current on every node.

Additions arrive by signal (here) or bus event (other nodes) and, should a
packet be lost, from the contact table, which the catch-up's follower reads
after every poll (adding twice is harmless).

Removals (quit, kick, unfriend, block) must reach every node's maps: a stale
entry would let a removed member keep writing. Each removal bumps a version
in Redis and is published; a node that sees the version move without having
applied every step forgets its maps (they reload from SQL)."""

import logging
import time

import redis
from sqlalchemy import func, select

from ginchat.chat.events import FriendAdded, FriendRemoved, GroupGone, MemberAdded, MemberRemoved, WritersChanged
from ginchat.extensions import db
from ginchat.models import block
from ginchat.models.community import Community
from ginchat.models.contact import FRIEND, MEMBER, Contact
from ginchat.models.user_basic import UserBasic

log = logging.getLogger("ginchat.chat")

RELATIONS_KEY = "ginchat:relations_version"
RELATIONS_CHECK = 1.0  # seconds between two looks at the Redis version
PAGE = 500  # contact rows read per query
CONTACT_LOOKBACK = 256  # contact rows read again: their Ids may commit out of order
PEEK_TTL = 10.0  # seconds a side use's load (peek) is reused
PEEK_KEEP = 20000  # peeked sets kept at most


def _is_account(_key, user_id):
    return UserBasic.get_active(user_id) is not None


class RelationMap:
    """key -> set of ids, filled from SQL on first use and kept current by the
    signals; a negative answer is checked again in SQL (another node may have
    made the change), so the map can be late but never wrong for long."""

    def __init__(self, app, load, check):
        self.app = app
        self._load = load
        self._check = check
        self._sets = {}
        # key -> (monotonic expiry, set): what peek loaded, for PEEK_TTL
        # seconds. Presence asks for a user's friends at every connect and
        # disconnect: a reconnect storm would otherwise be one query each.
        # Every change that reaches the map drops the key's entry.
        self._peeked = {}

    def get(self, key):
        members = self._sets.get(key)
        if members is None:
            with self.app.app_context():
                members = self._load(key)
            self._sets[key] = members
        return members

    def has(self, key, value):
        if value in self.get(key):
            return True
        with self.app.app_context():
            if self._check(key, value):
                # The query yielded: a bus event may have forgotten the key meanwhile.
                members = self._sets.get(key)
                if members is not None:
                    members.add(value)
                return True
        return False

    def add(self, key, value):
        self._peeked.pop(key, None)
        members = self._sets.get(key)
        if members is not None:
            members.add(value)

    def forget(self, key):
        self._sets.pop(key, None)
        self._peeked.pop(key, None)

    def peek(self, key):
        """The set, without caching a fresh load: a side use (typing, presence,
        notices) must not warm the map before a bus event it could miss."""
        members = self._sets.get(key)
        if members is not None:
            return members
        now = time.monotonic()
        peeked = self._peeked.get(key)
        if peeked is not None and peeked[0] > now:
            return peeked[1]
        with self.app.app_context():
            members = self._load(key)
        if len(self._peeked) >= PEEK_KEEP:
            self._peeked = {k: v for k, v in self._peeked.items() if v[0] > now}
            if len(self._peeked) >= PEEK_KEEP:
                self._peeked.clear()
        self._peeked[key] = (now + PEEK_TTL, members)
        return members

    def discard(self, key, value):
        self._peeked.pop(key, None)
        members = self._sets.get(key)
        if members is not None:
            members.discard(value)

    def clear(self):
        self._sets.clear()
        self._peeked.clear()


class Relations:
    """The group map (group id -> member ids) and the friend map (user id ->
    friend ids) of one node, and the removal version that keeps them honest."""

    def __init__(self, app, redis, publish_event, apply_event):
        """``publish_event(event)`` tells the other nodes of a removal;
        ``apply_event(event)`` applies a member or friend row found in SQL
        the way a bus event of another node is applied."""
        self.app = app
        self.redis = redis
        self.publish_event = publish_event
        self.apply_event = apply_event
        self.groups = RelationMap(self.app, Contact.member_ids, lambda gid, uid: Contact.is_member(uid, gid))
        self.friends = RelationMap(self.app, Contact.friend_ids, Contact.is_friend)
        # user id -> everyone they blocked or are blocked by (DIRECT_MESSAGES=members
        # asks at every private message). A block ends any friendship and sends
        # "unfriend", which forgets both users' sets; an unblock is found when a
        # "blocked" answer is checked in SQL (is_blocked).
        self.blocks = RelationMap(self.app, block.blocked_with, lambda uid, other: False)
        # 0 -> the ids known to be active accounts (a miss is checked in SQL);
        # a user whose sessions end (deactivated, deleted) is checked again.
        self.accounts = RelationMap(self.app, lambda _key: set(), _is_account)
        # group id -> who may write in it: {0} for every member, else the owner
        # and the admins (an announcement group). A narrowing (the setting, a
        # role, the owner) is a removal ("writers"); a widening is found when a
        # refusal is checked in SQL.
        self.writers = RelationMap(self.app, Community.writers, lambda gid, uid: Community.may_post(gid, uid))
        self.version = self._read_version()
        self.checked = time.monotonic()
        self.contact_last = None  # the contact rows followed so far (None: not started)

    # --- additions --------------------------------------------------------------------
    def member_added(self, group_id, user_id):
        self.groups.add(group_id, user_id)

    def friendship_added(self, user_id, friend_id):
        self.friends.add(user_id, friend_id)
        self.friends.add(friend_id, user_id)

    def is_blocked(self, user_id, by_id):
        """Has ``by_id`` blocked ``user_id``? The blocks map answers "no"; a
        "maybe" is checked in SQL (and forgotten when both blocks are gone)."""
        if by_id not in self.blocks.get(user_id):
            return False
        with self.app.app_context():
            found = block.is_blocked(user_id, by_id)
            if not found and not block.is_blocked(by_id, user_id):
                self.blocks.discard(user_id, by_id)
                self.blocks.discard(by_id, user_id)
        return found

    def may_post(self, user_id, group_id):
        """May member ``user_id`` write in the group (WhoMayWrite)? One set
        lookup; a "no" is checked in SQL."""
        writers = self.writers.get(group_id)
        return 0 in writers or user_id in writers or self.writers.has(group_id, user_id)

    # --- removals ---------------------------------------------------------------------
    def _read_version(self):
        try:
            value = self.redis.get(RELATIONS_KEY)
            return int(value or 0)
        except (redis.RedisError, ValueError):
            return None

    def removed(self, event):
        """A relation ended here (committed; one of events.REMOVALS): fix this
        node's maps, bump the version, tell the other nodes."""
        try:
            event.version = int(self.redis.incr(RELATIONS_KEY))
        except redis.RedisError:
            event.version = None
        self._apply_removal(event)
        self._step_version(event.version)
        self.publish_event(event)

    def apply_removal(self, event):
        """A removal heard from another node."""
        self._apply_removal(event)
        self._step_version(event.version)

    def _step_version(self, version):
        # Only a step of exactly one proves that nothing was missed in between.
        if version is not None and self.version is not None and version == self.version + 1:
            self.version = version

    def _apply_removal(self, event):
        if isinstance(event, MemberRemoved):
            self.groups.discard(event.group_id, event.user_id)
            # An admin who leaves may come back as a member: not as a writer.
            self.writers.discard(event.group_id, event.user_id)
        elif isinstance(event, FriendRemoved):  # also what a block sends
            self.friends.discard(event.user_id, event.friend_id)
            self.friends.discard(event.friend_id, event.user_id)
            self.blocks.forget(event.user_id)
            self.blocks.forget(event.friend_id)
        elif isinstance(event, GroupGone):
            self.groups.forget(event.group_id)
            self.writers.forget(event.group_id)
        elif isinstance(event, WritersChanged):  # who may write in a group narrowed
            self.writers.forget(event.group_id)

    def check(self):
        """At most once a second: if the version in Redis moved past what this
        node applied, a removal event was lost: forget the maps."""
        now = time.monotonic()
        if now - self.checked < RELATIONS_CHECK:
            return
        self.checked = now
        version = self._read_version()
        if version is None:
            return
        if self.version != version:
            if self.version is not None:
                log.info("relations changed elsewhere (version %s -> %s): reloading the maps", self.version, version)
                self.groups.clear()
                self.friends.clear()
                self.blocks.clear()
                self.writers.clear()
            self.version = version

    # --- following the contact table (additions a lost packet did not bring) --------------
    def start_following(self):
        """Follow the contact rows from the newest one on."""
        with self.app.app_context(), db.engine.connect() as conn:
            top = conn.execute(select(func.max(Contact.__table__.c.id))).scalar()
        self.contact_last = int(top or 0)

    def follow_contacts(self):
        """Apply the memberships and friendships of the contact rows written
        since the last look (and of the last CONTACT_LOOKBACK ones again)."""
        table = Contact.__table__
        low = max(0, (self.contact_last or 0) - CONTACT_LOOKBACK)
        query = (
            select(table.c.id, table.c.owner_id, table.c.target_id, table.c.type, table.c.history_id)
            .where(table.c.id > low)
            .order_by(table.c.id)
            .limit(PAGE + CONTACT_LOOKBACK)
        )
        with self.app.app_context(), db.engine.connect() as conn:
            rows = conn.execute(query).all()
        for row_id, owner, target, kind, history_id in rows:
            if kind == MEMBER:
                # A row seen for the first time brings its member's join point too.
                first = row_id > (self.contact_last or 0)
                self.apply_event(MemberAdded(target, owner, int(history_id or 0) if first else 0))
            elif kind == FRIEND:
                self.apply_event(FriendAdded(owner, target))
            self.contact_last = max(self.contact_last or 0, row_id)
