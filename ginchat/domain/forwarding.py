"""Forwarding (issue 28 item 3): messages one may read go to a conversation
one may write to, one by one or merged into one chat record (合并转发). The
one rule for ``POST /message/forward`` and the socket's frame 22.

- Every message forwarded must be readable by the forwarder (else 404, as
  for a reaction: what one may not read looks like what does not exist),
  not recalled (409), and all of them of one conversation (400).
- The destination follows may_write, as a message typed there would.
- A forwarded picture, clip or file points at the same upload (no bytes are
  copied); a recall deletes an upload only when nothing points at it any
  more (chat/receipts.py's forget_upload looks at messages and chat records).
- A forwarded message is stored like any other (the next Id, the next Seq of
  its conversation) and reaches everyone through the ``message_stored``
  signal: the bus's ordered delivery here and on every node, and ``since``
  replays it. Forwarding mentions nobody and quotes nothing.
"""

import json
import re
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ginchat.domain.access import SQL, app, may_read, may_write
from ginchat.domain.message_updates import readable_row
from ginchat.errors import AppError, bad_request, conflict, not_found
from ginchat.extensions import db
from ginchat.limits import MAX_MSG_ID
from ginchat.models import message as messages
from ginchat.models import message_record as records
from ginchat.models import message_store
from ginchat.models.community import Community
from ginchat.models.new_message import NewMessage
from ginchat.models.user_basic import UserBasic
from ginchat.signals import message_stored
from ginchat.utils.params import unstorable
from ginchat.utils.ratelimit import RateLimiter

FORWARD = 22  # the client frame Type
MAX_RECORD = 100  # messages merged into one chat record at most
MAX_ONE_BY_ONE = 20  # messages forwarded one by one in one go at most
TITLE_CHARS = 64
FALLBACK_CHARS = 1000  # the Content of a chat record: what a client that knows no Media 6 shows
CLIENT_MSG_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
_IDS_RE = re.compile(r"[0-9]{1,19}")


def parse_ids(value):
    """The Ids to forward: a list of integers, or their text "1,2,3"."""
    if value is None or value == "" or value == []:
        raise bad_request("ids is required: the Ids of the messages to forward")
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) > MAX_RECORD or not all(_IDS_RE.fullmatch(p) for p in parts):
            raise bad_request(f"ids must be at most {MAX_RECORD} message Ids separated by commas")
        value = [int(p) for p in parts]
    if not isinstance(value, list):
        raise bad_request("ids must be a list of message Ids")
    if len(value) > MAX_RECORD:
        raise bad_request(f"at most {MAX_RECORD} messages can be forwarded at once")
    found = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_MSG_ID:
            raise bad_request("ids must be message Ids (positive integers)")
        if item not in found:
            found.append(item)
    return found


def _item(user_id, chat_type, target_id, row, forward, client_msg_id):
    """A forwarded message on its way to message_store.store_batch."""
    return NewMessage(
        user_id=user_id,
        type=chat_type,
        target_id=target_id,
        media=int(row["media"]),
        content=row["content"],
        url=row.get("url") or "",
        amount=int(row.get("amount") or 0),
        file_info=row.get("file_info"),
        forward=forward,
        client_msg_id=client_msg_id,
        create_time=int(time.time() * 1000),
    )


def _check_client_msg_id(cmid, count):
    if cmid in (None, ""):
        return ""
    if not isinstance(cmid, str) or not CLIENT_MSG_ID_RE.match(cmid):
        raise bad_request("clientMsgId must be 1 to 64 printable ASCII characters")
    if count > 1 and len(cmid) > 60:
        raise bad_request("clientMsgId must be at most 60 characters when several messages are forwarded one by one")
    return cmid


def _check_title(title):
    if title is None:
        return ""
    if not isinstance(title, str):
        raise bad_request("title must be text")
    title = " ".join(title.split())
    if len(title) > TITLE_CHARS:
        raise bad_request(f"title is longer than {TITLE_CHARS} characters")
    reason = unstorable(title) or ("must not contain NUL characters" if "\x00" in title else None)
    if reason:
        raise bad_request(f"title {reason}")
    return title


def _sources(user_id, ids, relations):
    """The rows of ``ids``, oldest first, each readable by ``user_id`` and
    not recalled, all of one conversation."""
    c = messages.message_table.c
    rows = {
        int(r["id"]): dict(r)
        for r in db.session.execute(select(messages.message_table).where(c.id.in_(ids))).mappings()
    }
    for msg_id in ids:
        if msg_id not in rows:
            raise not_found(f"no message {msg_id} that you may read")
    convs = {row["conv"] for row in rows.values()}
    if len(convs) > 1:
        raise bad_request("the messages forwarded together must come from one conversation")
    first = next(iter(rows.values()))
    if first["type"] == messages.PRIVATE:
        if user_id not in (first["user_id"], first["target_id"]):
            raise not_found(f"no message {ids[0]} that you may read")
        floor = 0
    else:
        try:
            floor = may_read(user_id, messages.GROUP, first["target_id"], relations)
        except AppError:
            raise not_found(f"no message {ids[0]} that you may read") from None
    for msg_id in ids:
        row = rows[msg_id]
        if row["id"] <= floor:
            raise not_found(f"no message {msg_id} that you may read")
        if row["media"] == messages.RECALLED:
            raise conflict(f"message {msg_id} is recalled")
        if row["media"] == messages.CALL:
            raise bad_request(f"message {msg_id} is a call's record: it cannot be forwarded")
    return [rows[i] for i in sorted(ids)]


def _names(user_ids):
    """{user id: the name shown for them (display name, else name)}."""
    found = db.session.execute(
        select(UserBasic.id, UserBasic.name, UserBasic.display_name).where(UserBasic.id.in_(sorted(set(user_ids))))
    ).all()
    return {int(uid): (display or name or "")[:64] for uid, name, display in found}


def _origin(row, names):
    """The ``Forward`` of a message forwarded from ``row``: its first author
    (a forward of a forward keeps where it came from)."""
    if row.get("forward") and row["media"] != records.RECORD:
        return row["forward"]
    return json.dumps(
        {
            "UserId": int(row["user_id"]),
            "Name": names.get(int(row["user_id"]), ""),
            "CreateTime": int(row["create_time"]),
        },
        ensure_ascii=False,
    )


def _snippet(row):
    if row["media"] in (messages.TEXT, messages.EMOJI):
        return " ".join((row["content"] or "").split())[: records.PREVIEW_CHARS]
    if row["media"] == messages.FILE:
        return messages.file_of(row.get("file_info"))["Name"][: records.PREVIEW_CHARS]
    return ""


def _default_title(source, names, user_id):
    """A chat record's title when none is given: the group's name, or the
    two people of a private chat."""
    if source["type"] == messages.GROUP:
        group = db.session.get(Community, int(source["target_id"]))
        if group is not None:
            return group.name
    pair = sorted({int(source["user_id"]), int(source["target_id"])}, key=lambda u: u != user_id)
    return ", ".join(names.get(u, str(u)) for u in pair)[:TITLE_CHARS]


def _record(rows, names, title):
    """(the chat record's stored row fields, its items)."""
    items = [
        {
            "user_id": int(row["user_id"]),
            "name": names.get(int(row["user_id"]), ""),
            "create_time": int(row["create_time"]),
            "media": int(row["media"]),
            "content": row["content"] or "",
            "url": row.get("url") or "",
            "amount": int(row.get("amount") or 0),
            "file_info": row.get("file_info"),
        }
        for row in rows
    ]
    preview = [
        {"Name": item["name"], "Media": item["media"], "Snippet": _snippet(row)}
        for item, row in zip(items[: records.PREVIEW_ITEMS], rows, strict=False)
    ]
    card = {"Title": title, "Count": len(items), "Preview": preview}
    lines = [f"[Chat record] {title}"] + [f"{p['Name']}: {p['Snippet'] or '[media]'}" for p in preview]
    fields = {
        "media": records.RECORD,
        "content": "\n".join(lines)[:FALLBACK_CHARS],
        "url": "",
        "amount": len(items),
        "file_info": None,
    }
    return fields, json.dumps(card, ensure_ascii=False), items


def forward(
    user_id, ids, chat_type, target_id, merge=False, title=None, client_msg_id="", relations=SQL, counted=False
):
    """Forward messages ``ids`` (parse_ids) to conversation (``chat_type``,
    ``target_id``): one by one (each a message like its original, with
    ``Forward``), or with ``merge`` as one chat record (Media 6). Returns
    (the frames of the messages stored now, those of a resend of
    ``client_msg_id``: stored before). ``counted``: the caller counted it
    against USER_MSG_RATE already (the socket's frame guard)."""
    if chat_type not in (messages.PRIVATE, messages.GROUP):
        raise bad_request("type must be 1 (private) or 2 (group)")
    if not merge and len(ids) > MAX_ONE_BY_ONE:
        raise bad_request(f"at most {MAX_ONE_BY_ONE} messages are forwarded one by one: merge more into a chat record")
    count = 1 if merge else len(ids)
    cmid = _check_client_msg_id(client_msg_id, count)
    title = _check_title(title)
    if not counted:
        RateLimiter.of().check_message(user_id)  # before any SQL
    may_write(user_id, chat_type, target_id, relations)
    rows = _sources(user_id, ids, relations)
    if merge and any(row["media"] == records.RECORD for row in rows):
        raise bad_request("a chat record cannot go inside another one: forward it on its own")
    names = _names([row["user_id"] for row in rows] + [row["target_id"] for row in rows[:1]])

    def cmid_of(n):
        return "" if not cmid else cmid if n == 0 else f"{cmid}~{n}"

    record_items = {}  # index of the stored item -> the items of its chat record
    if merge:
        fields, card, items = _record(rows, names, title or _default_title(rows[0], names, user_id))
        batch = [_item(user_id, chat_type, target_id, fields, card, cmid_of(0))]
        record_items[0] = items
    else:
        batch = []
        for n, row in enumerate(rows):
            if row["media"] == records.RECORD:
                batch.append(_item(user_id, chat_type, target_id, row, row["forward"], cmid_of(n)))
                record_items[n] = [
                    {k: v for k, v in item.items() if k not in ("message_id", "pos")}
                    for item in records.items_of(row["id"])
                ]
            else:
                batch.append(_item(user_id, chat_type, target_id, row, _origin(row, names), cmid_of(n)))
    try:
        conn = db.session.connection()
        stored, dupes = message_store.store_batch(conn, batch)
        by_cmid = {row["client_msg_id"]: row for row in stored if row["client_msg_id"]}
        for n, items in record_items.items():
            new = stored[n] if not cmid else by_cmid.get(cmid_of(n))
            if new is not None:
                records.store_items(conn, new["id"], items)
        db.session.commit()
    except IntegrityError:  # the same ClientMsgId from another tab, just now
        db.session.rollback()
        raise conflict("these messages were forwarded just now with this clientMsgId") from None
    frames = messages.frames_of(stored)
    if frames:
        message_stored.send(app(), frames=frames)
    return frames, [messages.to_frame(row) for row in dupes.values()]


def record_of(user_id, msg_id, relations=SQL):
    """The chat record ``msg_id`` (which ``user_id`` may read) whole: its
    card and its items as frames {"UserId", "Name", "CreateTime", "Media",
    "Content", "Url", "Amount", "File"?}."""
    row = readable_row(user_id, msg_id, relations)
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled")
    if row["media"] != records.RECORD:
        raise bad_request(f"message {msg_id} is no chat record")
    items = []
    for item in records.items_of(msg_id):
        frame = {
            "UserId": int(item["user_id"]),
            "Name": item["name"],
            "CreateTime": int(item["create_time"]),
            "Media": int(item["media"]),
            "Content": item["content"],
            "Url": item["url"] or "",
            "Amount": int(item["amount"] or 0),
        }
        if item["media"] == messages.FILE:
            frame["File"] = messages.file_of(item.get("file_info"))
        items.append(frame)
    return records.extras(row).get("Record", {}), items
