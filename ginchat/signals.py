"""Events the chat engine listens to, so models need not know about it.

Each is sent after the change is committed, with the app as sender.
"""

from blinker import Namespace

_signals = Namespace()

# group_id=, user_id=: a user became a member of a group (created, joined or
# added); actor_id=: who did it; history_id=: the Id after which they read.
group_member_added = _signals.signal("group-member-added")
# user_id=, friend_id=: two users became friends.
friendship_added = _signals.signal("friendship-added")
# user_id=, sessions= (ids) or keep=/up_to=: login sessions of a user ended
# (see ginchat/chat/sessions.py); their sockets close on every node.
sessions_ended = _signals.signal("sessions-ended")
