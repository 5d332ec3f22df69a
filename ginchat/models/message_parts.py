"""What a message carries beyond its own row: the reactions people add to
it and the members its text mentions. Edits, replies and the mention ids
the frames show live in columns of ``message`` itself (models/message.py)."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    column,
    delete,
    func,
    insert,
    select,
    table,
)
from sqlalchemy.dialects import mysql

from ginchat.extensions import db

ID_TYPE = BigInteger().with_variant(Integer, "sqlite")
# MariaDB's default collations weigh many emoji alike: compare them byte for byte.
EMOJI_TYPE = (
    String(32)
    .with_variant(mysql.VARCHAR(32, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")
    .with_variant(mysql.VARCHAR(32, charset="utf8mb4", collation="utf8mb4_bin"), "mariadb")
)

# user_id reacted to message_id with emoji (one row per distinct emoji).
message_reaction = Table(
    "message_reaction",
    db.metadata,
    Column("message_id", ID_TYPE, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("emoji", EMOJI_TYPE, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    PrimaryKeyConstraint("message_id", "user_id", "emoji", name="pk_message_reaction"),
)

# message_id (of conversation conv) mentions user_id.
message_mention = Table(
    "message_mention",
    db.metadata,
    Column("user_id", Integer, nullable=False),
    Column("message_id", ID_TYPE, nullable=False),
    Column("conv", String(24), nullable=False),
    PrimaryKeyConstraint("user_id", "message_id", name="pk_message_mention"),
    Index("ix_message_mention_message", "message_id"),
)

# The few columns of ``contact`` the quotes and changes need (contact.py
# imports message.py, so the table is named here rather than imported).
_contact = table("contact", column("owner_id"), column("target_id"), column("type"), column("history_id"))
_MEMBER = 2
_RECALLED = 0
_GROUP = 2
SNIPPET_CHARS = 120


def extras(row):
    """The keys a message frame carries only when they apply."""
    found = {}
    if row.get("edited"):
        found["Edited"] = int(row["edited"])
    if row.get("reply_to"):
        found["ReplyTo"] = int(row["reply_to"])
    if row.get("mentions"):
        found["Mentions"] = mention_ids(row)
    return found


def mention_ids(row):
    text = row.get("mentions") or ""
    return [int(part) for part in text.split(",") if part]


def mentions_text(ids):
    return ",".join(str(int(i)) for i in ids) if ids else None


def store_mentions(conn, rows):
    """The mention rows of newly stored messages (in their transaction)."""
    found = [
        {"user_id": uid, "message_id": row["id"], "conv": row["conv"]}
        for row in rows
        if row.get("mentions")
        for uid in mention_ids(row)
    ]
    if found:
        conn.execute(insert(message_mention), found)


def replace_mentions(executor, row, ids):
    """After an edit: the message mentions ``ids`` now (no commit)."""
    executor.execute(delete(message_mention).where(message_mention.c.message_id == row["id"]))
    if ids:
        executor.execute(
            insert(message_mention),
            [{"user_id": uid, "message_id": row["id"], "conv": row["conv"]} for uid in ids],
        )


def reactions_of(executor, msg_ids):
    """{message id: [{Emoji, Count, UserIds}]}, each emoji in the order it was first given."""
    if not msg_ids:
        return {}
    c = message_reaction.c
    rows = executor.execute(
        select(c.message_id, c.emoji, c.user_id)
        .where(c.message_id.in_(sorted(set(msg_ids))))
        .order_by(c.message_id, c.create_time, c.user_id)
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for msg_id, emoji, user_id in rows:
        per = found.setdefault(int(msg_id), {})
        per.setdefault(emoji, []).append(int(user_id))
    return {
        msg_id: [{"Emoji": e, "Count": len(users), "UserIds": users} for e, users in per.items()]
        for msg_id, per in found.items()
    }


def add_reactions(executor, raw, frames):
    """Reactions onto the frames of rows that changed (only those can have any)."""
    wanted = [r["id"] for r in raw if r.get("rev") and r["media"] != _RECALLED]
    if not wanted:
        return
    found = reactions_of(executor, wanted)
    for row, frame in zip(raw, frames, strict=True):
        got = found.get(int(row["id"]))
        if got:
            frame["Reactions"] = got


def snippet(row):
    return (row["content"] or "")[:SNIPPET_CHARS] if row["media"] in (1, 2) else ""


def add_quotes(executor, messages, raw, frames, floor=None):
    """The quote of each reply (``Reply``), resolved now: the original's
    sender and a snippet, or only that it is recalled or that this reader
    may not read it. ``floor(row)`` gives the reader's floor in the row's
    group; without one (a frame for every member) a quote is given only if
    every member may read the original."""
    wanted = {int(r["reply_to"]) for r in raw if r.get("reply_to") and r["media"] != _RECALLED}
    if not wanted:
        return
    c = messages.c
    originals = {
        int(r["id"]): r
        for r in executor.execute(
            select(c.id, c.conv, c.user_id, c.type, c.target_id, c.media, c.content).where(c.id.in_(sorted(wanted)))
        ).mappings()
    }
    strictest = {}
    for row, frame in zip(raw, frames, strict=True):
        reply_to = row.get("reply_to")
        if not reply_to or row["media"] == _RECALLED:
            continue
        original = originals.get(int(reply_to))
        quote = {"Id": int(reply_to)}
        if original is None or original["conv"] != row["conv"]:
            quote["Unavailable"] = True
        elif original["media"] == _RECALLED:
            quote["Recalled"] = True
        else:
            if row["type"] == _GROUP:
                if floor is not None:
                    bar = floor(row)
                else:
                    gid = int(row["target_id"])
                    if gid not in strictest:
                        strictest[gid] = highest_floor(executor, gid)
                    bar = strictest[gid]
            else:
                bar = 0
            if int(reply_to) <= bar:
                quote["Unavailable"] = True
            else:
                quote.update(UserId=int(original["user_id"]), Media=int(original["media"]), Snippet=snippet(original))
        frame["Reply"] = quote


def highest_floor(executor, group_id):
    """The highest Id up to which some member of the group may not read."""
    c = _contact.c
    return int(
        executor.execute(select(func.max(c.history_id)).where(c.target_id == group_id, c.type == _MEMBER)).scalar() or 0
    )


def add_except(executor, updates):
    """Onto each change of a group message: the members who may not read it."""
    c = _contact.c
    for frame in updates:
        if frame["ChatType"] != _GROUP:
            continue
        barred = executor.execute(
            select(c.owner_id).where(
                c.target_id == frame["TargetId"], c.type == _MEMBER, c.history_id >= frame["MsgId"]
            )
        ).scalars()
        barred = sorted(int(u) for u in barred)
        if barred:
            frame["Except"] = barred


EMOJI_MAX = 16  # characters of one reaction (a family of four with skin tones stays under it)
