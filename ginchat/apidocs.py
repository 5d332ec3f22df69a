"""Shared Swagger (OpenAPI 2.0) definitions: the envelope and the objects."""


def _envelope(data=None, rows=None):
    return {
        "type": "object",
        "required": ["Code", "Msg", "Data", "Rows", "Total"],
        "properties": {
            "Code": {"type": "integer", "description": "0 on success, -1 on failure"},
            "Msg": {"type": "string"},
            "Data": data or {"description": "null or the answer's object", "x-nullable": True},
            "Rows": {"type": "array", "items": rows, "x-nullable": True}
            if rows
            else {"x-nullable": True, "description": "null or a list"},
            "Total": {"type": "integer", "x-nullable": True},
        },
    }


USER = {
    "type": "object",
    "properties": {
        "ID": {"type": "integer"},
        "Name": {"type": "string", "description": "the unique handle (shown as @Name)"},
        "DisplayName": {
            "type": "string",
            "description": "shown to others: up to 64 characters, spaces allowed, not unique; empty: show Name",
        },
        "Avatar": {"type": "string"},
        "Phone": {"type": "string", "description": "empty unless the viewer is the user or a friend"},
        "Email": {"type": "string", "description": "empty unless the viewer is the user or a friend"},
        "Online": {
            "type": "boolean",
            "description": (
                "false unless the viewer may see it: with DIRECT_MESSAGES=members anyone not blocked either way; "
                "with friends the user, a friend or a fellow group member"
            ),
        },
        "Role": {"type": "string", "description": "only in my own object: admin or empty"},
        "Deactivated": {"type": "boolean", "description": "present (true) only when an administrator deactivated it"},
    },
}
SEARCHED_USER = {
    "type": "object",
    "properties": dict(
        USER["properties"],
        Relation={
            "type": "string",
            "enum": ["friend", "requested", "asking", "blocked", ""],
            "description": "friend; requested: I asked them; asking: they asked me; blocked: by me; empty: none",
        },
        MayMessage={
            "type": "boolean",
            "description": "I may open a private chat with them (DIRECT_MESSAGES: members, anyone not blocked "
            "either way; friends, a friend); otherwise the app offers to add them as a friend",
        },
    ),
}
LOGIN_USER = {
    "type": "object",
    "properties": dict(USER["properties"], Token={"type": "string", "description": "bearer token"}),
}
GROUP = {
    "type": "object",
    "properties": {
        "ID": {"type": "integer"},
        "Name": {"type": "string"},
        "OwnerId": {"type": "integer"},
        "Img": {"type": "string"},
        "Desc": {"type": "string"},
        "Members": {"type": "integer"},
        "Policy": {
            "type": "string",
            "enum": ["open", "invite"],
            "description": "open: anyone with the ID or name joins; invite: members add people (/contact/addMember)",
        },
        "History": {
            "type": "string",
            "enum": ["all", "join"],
            "description": "what newcomers read: all earlier messages, or only those from their join on",
        },
        "WhoMayAdd": {
            "type": "string",
            "enum": ["members", "admins"],
            "description": "who may add people: every member, or only the owner and the admins",
        },
        "Default": {
            "type": "boolean",
            "description": "every new account joins it (DEFAULT_GROUPS; administrators: /admin/defaultGroups)",
        },
        "WhoMayMentionAll": {
            "type": "string",
            "enum": ["members", "admins", "nobody"],
            "description": "who may write @all and @here: every member, the owner and the admins, or nobody",
        },
        "WhoMayPin": {
            "type": "string",
            "enum": ["members", "admins"],
            "description": "who may pin and unpin messages: every member, or only the owner and the admins",
        },
        "WhoMayWrite": {
            "type": "string",
            "enum": ["members", "admins"],
            "description": "who may write: every member, or only the owner and the admins (an announcement group)",
        },
        "Notice": {
            "type": "object",
            "description": "the group notice (群公告), in /contact/loadcommunity only (members): "
            "{Text, UserId: who set it, Time: when, ms; 0 never}",
        },
    },
}
MESSAGE = {
    "type": "object",
    "properties": {
        "Id": {"type": "integer", "description": "unique, grows with each message stored"},
        "Seq": {"type": "integer", "description": "grows by one within the conversation"},
        "UserId": {"type": "integer", "description": "the sender"},
        "TargetId": {"type": "integer", "description": "the recipient user (Type 1) or group (Type 2)"},
        "Type": {"type": "integer", "enum": [1, 2]},
        "Media": {
            "type": "integer",
            "enum": [1, 2, 3, 4, 5, 6],
            "description": "1 text, 2 emoji, 3 voice, 4 image, 5 file of any type, "
            "6 chat record (forwarded messages merged into one: Record) (0: recalled)",
        },
        "Content": {"type": "string", "description": "the text; for Media 5 the file's Url (what older clients show)"},
        "Url": {"type": "string"},
        "Amount": {"type": "integer"},
        "CreateTime": {"type": "integer", "description": "server time in milliseconds"},
        "ClientMsgId": {"type": "string"},
        "File": {"$ref": "#/definitions/FileInfo"},
        "Forward": {"$ref": "#/definitions/ForwardOrigin"},
        "Record": {"$ref": "#/definitions/RecordCard"},
        "MentionAll": {
            "type": "string",
            "enum": ["all", "here"],
            "description": "a group text with @all (every member) or @here (the members online when it was sent)",
        },
        "RootId": {"type": "integer", "description": "a thread reply only: the Id of its thread's root"},
        "AlsoInChat": {"type": "boolean", "description": "a thread reply also sent to the conversation (else absent)"},
        "Thread": {"$ref": "#/definitions/ThreadCount"},
    },
}
FORWARD_ORIGIN = {
    "type": "object",
    "description": "a forwarded message only: who first wrote it and when",
    "properties": {
        "UserId": {"type": "integer"},
        "Name": {"type": "string", "description": "their display name (else name) when it was forwarded"},
        "CreateTime": {"type": "integer", "description": "when the original was sent, ms"},
    },
}
RECORD_CARD = {
    "type": "object",
    "description": "a chat record (Media 6) only: the card; GET /message/record gives its items",
    "properties": {
        "Title": {"type": "string"},
        "Count": {"type": "integer", "description": "the messages it holds"},
        "Preview": {
            "type": "array",
            "description": "the first four: sender's name, Media, and a snippet of a text (a file's name)",
            "items": {
                "type": "object",
                "properties": {"Name": {"type": "string"}, "Media": {"type": "integer"}, "Snippet": {"type": "string"}},
            },
        },
    },
}
RECORD_ITEM = {
    "type": "object",
    "description": "one message of a chat record, as it was when forwarded",
    "properties": {
        "UserId": {"type": "integer"},
        "Name": {"type": "string"},
        "CreateTime": {"type": "integer"},
        "Media": {"type": "integer"},
        "Content": {"type": "string"},
        "Url": {"type": "string"},
        "Amount": {"type": "integer"},
        "File": {"$ref": "#/definitions/FileInfo"},
    },
}
THREAD_COUNT = {
    "type": "object",
    "description": "a root with replies only: its thread's line (N replies, last at ...)",
    "properties": {
        "Replies": {"type": "integer"},
        "LastId": {"type": "integer", "description": "the last reply's Id"},
        "LastTime": {"type": "integer", "description": "the last reply's time, ms"},
    },
}
THREAD_STATE = {
    "type": "object",
    "description": "one thread as the caller has it (also the Type 23 frame their connections get)",
    "properties": {
        "RootId": {"type": "integer"},
        "ChatType": {"type": "integer", "enum": [1, 2]},
        "TargetId": {"type": "integer", "description": "the other user (ChatType 1) or the group"},
        "Following": {"type": "boolean"},
        "ReadId": {"type": "integer", "description": "read up to this reply Id"},
        "Unread": {"type": "integer", "description": "replies of others after ReadId (recalled ones not counted)"},
        "Replies": {"type": "integer"},
        "LastId": {"type": "integer"},
        "LastTime": {"type": "integer"},
        "Root": {"$ref": "#/definitions/Message"},
    },
}
FILE_INFO = {
    "type": "object",
    "description": "Media 5 messages only: the file behind Url (a download)",
    "properties": {
        "Name": {"type": "string", "description": "the sender's file name, sanitised"},
        "Size": {"type": "integer", "description": "bytes"},
        "Mime": {"type": "string", "description": "the type read from the content or the name (shown only)"},
    },
}

_STATUS = {
    "type": "object",
    "properties": {
        "Ok": {"type": "boolean"},
        "Url": {"type": "string", "description": "scheme, host, port and path only: never a user, password or query"},
        "Backend": {"type": "string", "description": "Database only: sqlite, mysql or postgresql"},
        "Error": {"type": "string", "description": "the exception's class name, when not Ok"},
    },
}
NODE = {
    "type": "object",
    "description": "one node's /health snapshot as it last published it (chat/nodes.py)",
    "properties": {
        "Node": {"type": "string", "description": "the node id (its bus id)"},
        "State": {"type": "string", "enum": ["up", "stale", "stopped"], "description": "stale: three snapshots missed"},
        "This": {"type": "boolean", "description": "the node that answered (its snapshot taken now)"},
        "LastSeen": {"type": "integer", "description": "when it last published, ms (Redis's clock)"},
        "Age": {"type": "number", "description": "seconds since then"},
        "Host": {"type": "string"},
        "Pid": {"type": "integer"},
        "Worker": {"type": "integer", "description": "the worker's index with GINCHAT_WORKERS, else null"},
        "Started": {"type": "integer", "description": "ms"},
        "Connections": {"type": "integer"},
        "Bus": {"type": "string"},
        "BusStats": {"type": "object", "description": "packet counters: sent, received, own, bad_signature, ..."},
        "StoreQueue": {"type": "integer", "description": "messages waiting to be stored"},
        "Database": _STATUS,
        "Redis": _STATUS,
    },
}
SEARCH_HIT = {
    "type": "object",
    "properties": {
        "Id": {"type": "integer", "description": "the message"},
        "Seq": {"type": "integer"},
        "UserId": {"type": "integer", "description": "the sender"},
        "TargetId": {"type": "integer", "description": "as in Message"},
        "Type": {"type": "integer", "enum": [1, 2]},
        "Media": {"type": "integer"},
        "CreateTime": {"type": "integer", "description": "server time in milliseconds"},
        "SenderName": {"type": "string"},
        "ConvType": {"type": "integer", "enum": [1, 2], "description": "1 private, 2 group"},
        "ConvId": {"type": "integer", "description": "the other person (private) or the group: history's targetId"},
        "ConvName": {"type": "string"},
        "Snippet": {"type": "string", "description": "about 120 characters around the first match"},
        "Parts": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the snippet cut into plain, match, plain, match, ...: odd indexes are the matches",
        },
        "RootId": {"type": "integer", "description": "a hit in a thread only: its root (open the thread)"},
    },
}

DEFINITIONS = {
    "Envelope": _envelope(),
    "User": USER,
    "Group": GROUP,
    "Message": MESSAGE,
    "FileInfo": FILE_INFO,
    "ForwardOrigin": FORWARD_ORIGIN,
    "RecordCard": RECORD_CARD,
    "RecordEnvelope": _envelope(data=RECORD_CARD, rows=RECORD_ITEM),
    "UserEnvelope": _envelope(data={"$ref": "#/definitions/User"}),
    "LoginEnvelope": _envelope(data=LOGIN_USER),
    "UserListEnvelope": _envelope(rows={"$ref": "#/definitions/User"}),
    "UserSearchEnvelope": _envelope(rows=SEARCHED_USER),
    "GroupEnvelope": _envelope(data={"$ref": "#/definitions/Group"}),
    "GroupListEnvelope": _envelope(rows={"$ref": "#/definitions/Group"}),
    "MessageListEnvelope": _envelope(rows={"$ref": "#/definitions/Message"}),
    "ThreadCount": THREAD_COUNT,
    "ThreadState": THREAD_STATE,
    "ThreadEnvelope": _envelope(data={"$ref": "#/definitions/ThreadState"}, rows={"$ref": "#/definitions/Message"}),
    "ThreadListEnvelope": _envelope(
        data={
            "type": "object",
            "properties": {"Unread": {"type": "integer", "description": "followed threads with unread replies"}},
        },
        rows={"$ref": "#/definitions/ThreadState"},
    ),
    "NodeListEnvelope": _envelope(rows=NODE),
    "SearchHit": SEARCH_HIT,
    "SearchEnvelope": _envelope(
        data={
            "type": "object",
            "properties": {
                "Before": {
                    "type": "integer",
                    "x-nullable": True,
                    "description": "pass as before for the next page; null on the last page",
                }
            },
        },
        rows={"$ref": "#/definitions/SearchHit"},
    ),
    "UploadEnvelope": _envelope(data={"type": "string", "description": "the URL path of the file"}),
    "FileUploadEnvelope": _envelope(
        data={
            "type": "object",
            "properties": {
                "Url": {"type": "string", "description": "/uploads/<uuid>.bin: the Url of a Media 5 message"},
                "Name": {"type": "string"},
                "Size": {"type": "integer"},
                "Mime": {"type": "string"},
            },
        }
    ),
}


def _error(description):
    return {"description": description, "schema": {"$ref": "#/definitions/Envelope"}}


# Answers many routes share; a route's docstring names one as
# ``401: {$ref: "#/responses/NotLoggedIn"}``.
RESPONSES = {
    "NotLoggedIn": _error("not logged in"),
    "BadParameter": _error("missing or malformed parameter"),
    "NotOwner": _error("not the owner"),
    "NoSuchUser": _error("no such user"),
    "NoSuchGroup": _error("no such group"),
    "Blocked": _error("one of you has blocked the other"),
    "NotAdmin": _error("not an administrator"),
}
