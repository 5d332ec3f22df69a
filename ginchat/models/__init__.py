"""Tables (the Go project's models/)."""

from ginchat.models import read_cursor  # noqa: F401  (the module: its table registers with the metadata)
from ginchat.models.admin import AuditEntry, Invitation, PasswordReset, ServerSetting
from ginchat.models.auth_token import AuthToken
from ginchat.models.block import Block
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.friend_request import FriendRequest
from ginchat.models.message import message_table, msg_counter
from ginchat.models.user_basic import UserBasic

__all__ = [
    "AuditEntry",
    "Invitation",
    "PasswordReset",
    "ServerSetting",
    "UserBasic",
    "AuthToken",
    "Block",
    "Contact",
    "Community",
    "FriendRequest",
    "message_table",
    "msg_counter",
]
