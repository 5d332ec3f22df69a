"""``NewMessage``: a message on its way to the store (``message.store_batch``),
validated from a client frame (chat/dispatch.py) or forwarded over HTTP
(domain/forwarding.py). One record with every field the store reads, so the
store reads attributes, never ``getattr(..., default)``.

A slotted dataclass: built as fast as a hand-written class with __slots__
when its fields are passed by position, as the socket's hot path does
(dispatch.accept_message; keywords cost half a microsecond more), so the
order of the fields is part of its interface."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ginchat.models.message import TEXT, conv_key


@dataclass(slots=True, eq=False)
class NewMessage:
    user_id: int
    type: int  # PRIVATE or GROUP
    target_id: int
    media: int = TEXT
    content: str = ""
    url: str = ""
    amount: int = 0  # a voice message's seconds
    client_msg_id: str = ""  # "" for none
    file_info: str | None = None  # Media 5: {"Name", "Size", "Mime"} as JSON
    reply_to: int | None = None  # the Id of the message this one quotes
    mentions: Sequence[int] = ()  # the ids of the members its text mentions
    mention_all: int | None = None  # @all (1) or @here (2): see domain.mentions.broadcast_of
    alerted: Sequence[int] = ()  # the members that @all or @here alerts (a mention row each)
    root_id: int | None = None  # a thread reply: its root's Id
    in_chat: bool = False  # a thread reply also shown in the conversation
    forward: str | None = None  # a forwarded message: where it comes from, as JSON
    create_time: int = 0  # ms; the store sets it when it takes the batch
    conn: Any = None  # the sender's connection, told the outcome (None: sent over HTTP)
    conv: str = field(init=False)  # the conversation (conv_key)

    def __post_init__(self) -> None:
        self.conv = conv_key(self.type, self.user_id, self.target_id)
