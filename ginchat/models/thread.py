"""Threads: a message (the root) gathers replies that carry its Id in
``message.root_id``; the root's own row counts them (``replies``,
``last_reply``, ``last_reply_time``), so a frame shows "N replies, last at"
without a query. ``thread_follow`` holds, per user and thread, whether they
follow it and how far they have read it: the Threads view and its unread
counts read it by the user's key, never by scanning messages.

This module does not import message.py (message.py calls ``record_replies``
from its storing transaction); the queries that read messages and follows
together are in thread_list.py."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    func,
    insert,
    select,
    update,
)

from ginchat.extensions import db

ID_TYPE = BigInteger().with_variant(Integer, "sqlite")
_PRIVATE = 1

# user_id follows (following = 1) or left (0) the thread of message root_id,
# of conversation conv, and has read it up to reply Id read_id.
thread_follow = Table(
    "thread_follow",
    db.metadata,
    Column("user_id", Integer, nullable=False),
    Column("root_id", ID_TYPE, nullable=False),
    Column("conv", String(24), nullable=False),
    Column("following", SmallInteger, nullable=False, default=1),
    Column("read_id", ID_TYPE, nullable=False, default=0),
    PrimaryKeyConstraint("user_id", "root_id", name="pk_thread_follow"),
    Index("ix_thread_follow_root", "root_id"),
    Index("ix_thread_follow_conv", "conv"),
)


def extras(row: Mapping[str, Any]) -> dict[str, Any]:
    """The thread keys of a message frame, only where they apply: ``RootId``
    (and ``AlsoInChat``) on a reply, ``Thread`` on a root that has replies."""
    found: dict[str, Any] = {}
    if row.get("root_id"):
        found["RootId"] = int(row["root_id"])
        if row.get("in_chat"):
            found["AlsoInChat"] = True
    if row.get("replies"):
        found["Thread"] = {
            "Replies": int(row["replies"]),
            "LastId": int(row.get("last_reply") or 0),
            "LastTime": int(row.get("last_reply_time") or 0),
        }
    return found


def lock_writers(executor: Any) -> None:
    """Take the message counter's row lock (it serialises every message
    writer, the store's thread bookkeeping included) without taking an Id:
    a follow or read written beside the store never races its inserts."""
    executor.execute(db.text("UPDATE msg_counter SET value = value WHERE name = 'message'"))


def record_replies(conn: Connection, rows: list[dict[str, Any]], messages: Table) -> None:
    """In the storing transaction: the roots of newly stored replies count
    them, and the people concerned follow: the replier (who has read up to
    their reply), whoever the reply mentions, the root's sender and, in a
    private chat, both sides. An explicit unfollow stays unless one replies
    or is mentioned again. ``messages``: the message table."""
    replies = [row for row in rows if row.get("root_id")]
    if not replies:
        return
    m = messages.c
    per_root: dict[int, Any] = {}
    for row in replies:
        root = int(row["root_id"])
        count, _, _ = per_root.get(root, (0, 0, 0))
        per_root[root] = (count + 1, int(row["id"]), int(row["create_time"]))
    for root, (count, last, when) in sorted(per_root.items()):
        conn.execute(
            update(messages)
            .where(m.id == root)
            .values(replies=func.coalesce(m.replies, 0) + count, last_reply=last, last_reply_time=when)
        )
    roots = {
        int(r.id): r
        for r in conn.execute(select(m.id, m.user_id, m.type, m.target_id).where(m.id.in_(sorted(per_root))))
    }
    # (user, root) -> [conv, forced follow, read up to]
    wanted = {}
    for row in replies:
        root = int(row["root_id"])
        key = (int(row["user_id"]), root)
        wanted[key] = [row["conv"], True, int(row["id"])]
        for uid in (int(p) for p in (row.get("mentions") or "").split(",") if p):
            wanted.setdefault((uid, root), [row["conv"], True, 0])[1] = True
        origin = roots.get(root)
        if origin is not None:
            starters = [int(origin.user_id)]
            if int(origin.type) == _PRIVATE:
                starters.append(int(origin.target_id))
            for uid in starters:
                wanted.setdefault((uid, root), [row["conv"], False, 0])
    f = thread_follow.c
    users = sorted({uid for uid, _ in wanted})
    existing = {
        (int(u), int(r)): (int(fol), int(read))
        for u, r, fol, read in conn.execute(
            select(f.user_id, f.root_id, f.following, f.read_id).where(
                f.root_id.in_(sorted(per_root)), f.user_id.in_(users)
            )
        ).all()
    }
    new = []
    for (uid, root), (conv, forced, read) in sorted(wanted.items()):
        if (uid, root) not in existing:
            new.append({"user_id": uid, "root_id": root, "conv": conv, "following": 1, "read_id": read})
            continue
        following, read_id = existing[(uid, root)]
        values = {}
        if forced and not following:
            values["following"] = 1
        if read > read_id:
            values["read_id"] = read
        if values:
            conn.execute(update(thread_follow).where(f.user_id == uid, f.root_id == root).values(**values))
    if new:
        conn.execute(insert(thread_follow), new)


def state_of(executor: Any, user_id: int, root_id: int) -> tuple[bool, int]:
    """(following, read_id) of a user in a thread; (False, 0) without a row."""
    f = thread_follow.c
    row = executor.execute(select(f.following, f.read_id).where(f.user_id == user_id, f.root_id == root_id)).first()
    return (False, 0) if row is None else (bool(row.following), int(row.read_id))


def set_state(
    executor: Any, user_id: int, root_id: int, conv: str, following: bool | None = None, read_id: int | None = None
) -> tuple[bool, int]:
    """Follow or leave a thread, or move the read position forward (never
    back: two devices may report in any order); no commit. Returns
    (following, read_id) as they are now. Call lock_writers first."""
    was_following, was_read = state_of(executor, user_id, root_id)
    f = thread_follow.c
    exists = executor.execute(select(f.user_id).where(f.user_id == user_id, f.root_id == root_id)).first()
    now_following = was_following if following is None else bool(following)
    now_read = was_read if read_id is None else max(was_read, int(read_id))
    if exists is None:
        executor.execute(
            insert(thread_follow).values(
                user_id=user_id, root_id=root_id, conv=conv, following=int(now_following), read_id=now_read
            )
        )
    elif (now_following, now_read) != (was_following, was_read):
        executor.execute(
            update(thread_follow)
            .where(f.user_id == user_id, f.root_id == root_id)
            .values(following=int(now_following), read_id=now_read)
        )
    return now_following, now_read


def forget_conversation(executor: Any, conv: str) -> None:
    """Every follow of a conversation's threads (no commit)."""
    executor.execute(thread_follow.delete().where(thread_follow.c.conv == conv))
