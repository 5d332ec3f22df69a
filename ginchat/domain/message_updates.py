"""Edits and reactions: the changes a stored message can go through besides
a recall. Each change takes the next Id of the message counter (``rev``):
the Type 15 frame that announces it has that Id, so it reaches every node
through the bus's ordered delivery and a reconnect with ``since`` replays it
like a message."""

import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ginchat.domain import mentions
from ginchat.domain.access import SQL, Relations, app, may_change, may_read
from ginchat.errors import AppError, bad_request, conflict, forbidden, not_found
from ginchat.extensions import changed, db
from ginchat.models import message as messages
from ginchat.models import message_parts as parts
from ginchat.settings import settings
from ginchat.signals import message_updated
from ginchat.utils.emoji import is_emoji
from ginchat.utils.params import unstorable
from ginchat.utils.ratelimit import RateLimiter

EDIT, REACT = 15, 16  # the client frame Types


def now_ms() -> int:
    return int(time.time() * 1000)


def readable_row(user_id: int, msg_id: int, relations: Relations = SQL) -> dict[str, Any]:
    """Message ``msg_id`` if ``user_id`` may read it; else 404 (what one may
    not read looks like what does not exist)."""
    row = messages.row_of(msg_id)
    missing = not_found(f"no message {msg_id} that you may read")
    if row is None:
        raise missing
    if row["type"] == messages.PRIVATE:
        if user_id not in (row["user_id"], row["target_id"]):
            raise missing
        return row
    try:
        after = may_read(user_id, messages.GROUP, row["target_id"], relations)
    except AppError:
        raise missing from None
    if row["id"] <= after:
        raise missing
    return row


def check_text(content: object) -> str:
    """The new text of an edit: what a text message may hold."""
    if not isinstance(content, str) or not content.strip():
        raise bad_request("content is required: the new text")
    limit = settings().max_content_chars
    if len(content) > limit:
        raise AppError(413, f"content is longer than {limit} characters")
    reason = unstorable(content)
    if reason:
        raise bad_request(f"content {reason}")
    return content


def edit_message(user_id: int, msg_id: int, content: object, relations: Relations = SQL) -> dict[str, Any]:
    """Replace the text of ``user_id``'s text message ``msg_id``; everyone in
    the conversation gets the Type 15 frame, which is returned."""
    content = check_text(content)
    RateLimiter.of().check_change(user_id)  # before any SQL (USER_CHANGE_RATE)
    row = messages.row_of(msg_id)
    if row is None or row["user_id"] != user_id:
        raise not_found(f"you have no message {msg_id}")
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled")
    if row["media"] != messages.TEXT:
        raise bad_request("only text messages can be edited")
    seconds = settings().edit_seconds
    if seconds > 0 and now_ms() - int(row["create_time"]) > seconds * 1000:
        raise forbidden(f"a message can be edited within {seconds:g} seconds only")
    may_change(user_id, row, relations, post=True)  # new text: what an announcement group asks of a message
    mentioned = None
    if row["type"] == messages.GROUP:
        mentioned = mentions.resolve(row["target_id"], content, user_id)
    c = messages.message_table.c
    rev = messages.take_position()
    done = changed(
        update(messages.message_table)
        .where(c.id == msg_id, c.user_id == user_id, c.media == messages.TEXT)
        .values(**messages.text_values(content), edited=now_ms(), rev=rev, mentions=parts.mentions_text(mentioned))
    )
    if not done:
        db.session.rollback()
        raise conflict(f"message {msg_id} is recalled")
    if row["type"] == messages.GROUP and row.get("mention_all"):
        # Its @all or @here alerted people (a mention row each): an edit adds
        # the members it names now and takes no one's mention away.
        m = parts.message_mention.c
        have = set(db.session.scalars(select(m.user_id).where(m.message_id == msg_id)))
        added = [uid for uid in mentioned or () if uid not in have]
        if added:
            db.session.execute(
                insert(parts.message_mention),
                [{"user_id": u, "message_id": msg_id, "conv": row["conv"]} for u in added],
            )
    elif row["type"] == messages.GROUP:
        parts.replace_mentions(db.session, row, mentioned)
    db.session.commit()
    return announce(msg_id)


def check_emoji(emoji: object) -> str:
    if not isinstance(emoji, str) or not emoji:
        raise bad_request("emoji is required")
    if len(emoji) > parts.EMOJI_MAX or len(emoji.encode()) > 4 * parts.EMOJI_MAX:
        raise bad_request(f"emoji is longer than {parts.EMOJI_MAX} characters")
    if not is_emoji(emoji):
        raise bad_request("emoji must be one emoji")
    return emoji


def react(user_id: int, msg_id: int, emoji: object, add: bool = True, relations: Relations = SQL) -> dict[str, Any]:
    """Add (or remove) ``user_id``'s reaction ``emoji`` to message ``msg_id``.
    Idempotent: adding one that is there, or removing one that is not,
    changes nothing and announces nothing. Returns the message's Type 15
    frame (its current state)."""
    emoji = check_emoji(emoji)
    RateLimiter.of().check_change(user_id)  # as an edit: even one that changes nothing costs its SQL
    row = readable_row(user_id, msg_id, relations)
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled")
    may_change(user_id, row, relations)
    r = parts.message_reaction.c
    mine = set(db.session.scalars(select(r.emoji).where(r.message_id == msg_id, r.user_id == user_id)))
    if add == (emoji in mine):
        return state_of(msg_id)
    limit = settings().reactions_per_user
    if add and len(mine) >= limit:
        raise bad_request(f"at most {limit} different reactions of yours on one message")
    rev = messages.take_position()
    if add:
        try:
            db.session.execute(
                insert(parts.message_reaction).values(
                    message_id=msg_id, user_id=user_id, emoji=emoji, create_time=now_ms()
                )
            )
            db.session.flush()
        except IntegrityError:  # the same reaction from another tab, just now
            db.session.rollback()
            return state_of(msg_id)
    else:
        gone = changed(
            delete(parts.message_reaction).where(r.message_id == msg_id, r.user_id == user_id, r.emoji == emoji)
        )
        if not gone:
            db.session.rollback()
            return state_of(msg_id)
    c = messages.message_table.c
    db.session.execute(update(messages.message_table).where(c.id == msg_id).values(rev=rev))
    db.session.commit()
    return announce(msg_id)


def state_of(msg_id: int) -> dict[str, Any]:
    """The message's Type 15 frame as it stands (Id: its latest change, or
    the message's own Id when it never changed)."""
    row = messages.row_of(msg_id)
    assert row is not None  # called for a message just read or changed
    if not row.get("rev"):
        row["rev"] = row["id"]
    frame = messages.update_frame(row)
    parts.add_reactions(db.session, [dict(row, rev=row["rev"])], [frame])
    return frame


def announce(msg_id: int) -> dict[str, Any]:
    """Tell everyone who may read message ``msg_id`` its new state (committed)."""
    frame = state_of(msg_id)
    sent = dict(frame)
    parts.add_except(db.session, [sent])
    message_updated.send(app(), frame=sent)
    return frame
