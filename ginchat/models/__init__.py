"""Tables (the Go project's models/)."""

from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.message import message_table, msg_counter
from ginchat.models.social import Block, FriendRequest, read_cursor  # noqa: F401  (registers their tables)
from ginchat.models.user_basic import AuthToken, UserBasic

__all__ = ["UserBasic", "AuthToken", "Contact", "Community", "message_table", "msg_counter"]
