"""Events the domain sends and the chat engine listens to, so neither the
models nor the domain need know about sockets.

Each is sent after the change is committed, with the app as sender.
"""

from blinker import Namespace

_signals = Namespace()

# group_id=, user_id=: a user became a member of a group (created, joined or
# added); actor_id=: who did it; history_id=: the Id after which they read;
# announce= (default True): False when the domain tells the people itself.
group_member_added = _signals.signal("group-member-added")
# group_id=, user_id=, actor_id=, event= ("member_left" or "member_removed"):
# a member left or was removed; the members hear it, then every node forgets them.
group_member_removed = _signals.signal("group-member-removed")
# group_id=, actor_id=, members= (optional ids): the owner dissolved the group
# (they were its last member), or an administrator did (members: who belonged).
group_dissolved = _signals.signal("group-dissolved")
# user_id=, friend_id=, card= (user_id's user_card): two users became friends.
friendship_added = _signals.signal("friendship-added")
# user_id=, friend_id=: user_id ended the friendship (removed or blocked friend_id).
friendship_ended = _signals.signal("friendship-ended")
# event=, users= (ids), group= (a group id or None), user_id=, group_id=,
# actor_id=, extra= (optional: keys the event adds to the frame): a notice
# (Type 14) for the users and the group's members.
notice = _signals.signal("notice")
# frame= (Type 10), users=, group=, skip=: a read cursor moved; the frame goes
# to the users and the group's members but those in skip.
read_moved = _signals.signal("read-moved")
# frame= (Type 13), users=, group=, skip=, url=, urls=: a message was recalled; the
# frame goes as read_moved's does; url is its upload ("" for none), urls those
# of a recalled chat record's items.
message_recalled = _signals.signal("message-recalled")
# user_id=, sessions= (ids) or keep=/up_to=: login sessions of a user ended
# (see ginchat/chat/sessions.py); their sockets close on every node.
sessions_ended = _signals.signal("sessions-ended")
# frame= (Type 15, with ``Except`` for group members who may not read the
# message): a message was edited or its reactions changed; it goes through the
# bus's ordered delivery like a message (its Id is its place in the sequence).
message_updated = _signals.signal("message-updated")
# frames= (messages, Type 1 or 2): messages stored outside the socket's store
# (forwarded ones, POST /message/forward); they go through the bus's ordered
# delivery here and on every node, as the store's do.
message_stored = _signals.signal("message-stored")
# (The message_updated frame may also be a Type 20: a message pinned or
# unpinned, with its own place in the Id sequence; see ginchat/domain/pins.py.)
# group_id=: who may write in a group may have narrowed (its WhoMayWrite, an
# admin's role, its owner changed): every node's map of writers forgets it.
group_rules_changed = _signals.signal("group-rules-changed")
# frame= (Type 21), user_id=: the user saved or unsaved a message; the frame
# goes to their own connections on every node.
message_saved = _signals.signal("message-saved")
