"""Every route of GinChat on one screen (the Go project's router/app.go)."""

from flask import Blueprint, redirect

from ginchat.auth import public
from ginchat.chat import view as chat
from ginchat.chat.handshake import HandshakePath
from ginchat.service import (
    admin,
    admission,
    calls,
    certificate,
    contact,
    forwarding,
    friends,
    group,
    index,
    members,
    message,
    message_updates,
    pins,
    receipt,
    threads,
    trust,
    user,
)
from ginchat.settings import settings
from ginchat.uploads import routes as uploads

api = Blueprint("api", __name__)
pages = Blueprint("pages", __name__)
ws = Blueprint("chat", __name__)

# --- pages (Jinja) ---------------------------------------------------------
pages.add_url_rule("/", "index", index.index, methods=["GET", "POST"])
pages.add_url_rule("/index", "index_alias", index.index, methods=["GET", "POST"])
pages.add_url_rule("/toRegister", "to_register", index.to_register, methods=["GET", "POST"])
pages.add_url_rule("/toAdmin", "admin", index.admin_page)
pages.add_url_rule("/resetPassword", "reset_password", index.reset_password, methods=["GET", "POST"])
pages.add_url_rule("/toChat", "to_chat", index.to_chat)
pages.add_url_rule("/toChat/addFriend", "add_friend", index.add_friend_form, methods=["POST"])
pages.add_url_rule("/toChat/createGroup", "create_group", index.create_group_form, methods=["POST"])
pages.add_url_rule("/toChat/joinGroup", "join_group", index.join_group_form, methods=["POST"])
pages.add_url_rule("/logout", "logout", index.logout_page, methods=["POST"])
pages.add_url_rule("/favicon.ico", "favicon", index.favicon)
pages.add_url_rule("/ca.crt", "ca_cert", certificate.ca_cert)  # https on the LAN: what devices install
# HTTPS on the LAN (issue 25): installing the CA, and the https port every page knows.
pages.add_url_rule("/trust", "trust", trust.trust_page)
pages.app_context_processor(trust.page_context)

# --- users -------------------------------------------------------------------
api.add_url_rule("/user/createUser", view_func=user.create_user, methods=["POST"])
api.add_url_rule("/user/findUserByNameAndPwd", view_func=user.find_user_by_name_and_pwd, methods=["POST"])
api.add_url_rule("/user/logout", view_func=user.logout, methods=["POST"])
api.add_url_rule("/user/logoutOthers", view_func=user.logout_others, methods=["POST"])
api.add_url_rule("/user/getUserList", view_func=user.get_user_list, methods=["POST"])
api.add_url_rule("/user/find", view_func=user.find, methods=["POST"])
api.add_url_rule("/user/findMany", view_func=user.find_many, methods=["POST"])
api.add_url_rule("/user/search", view_func=user.search_users, methods=["GET"])
api.add_url_rule("/user/updateUser", view_func=user.update_user, methods=["POST"])
api.add_url_rule("/user/setLanguage", view_func=user.set_language, methods=["POST"])
api.add_url_rule("/user/dismissTip", view_func=user.dismiss_tip_route, methods=["POST"])
api.add_url_rule("/user/deleteUser", view_func=user.delete_user, methods=["POST"])

# --- friends and groups ----------------------------------------------------
api.add_url_rule("/searchFriends", view_func=contact.search_friends, methods=["POST"])
api.add_url_rule("/contact/addfriend", view_func=contact.add_friend, methods=["POST"])
api.add_url_rule("/contact/createCommunity", view_func=group.create_community, methods=["POST"])
api.add_url_rule("/contact/loadcommunity", view_func=group.load_community, methods=["POST"])
api.add_url_rule("/contact/joinGroup", view_func=group.join_group_route, methods=["POST"])
api.add_url_rule("/contact/searchGroups", view_func=group.search_groups_route, methods=["GET"])
api.add_url_rule("/contact/mute", view_func=contact.mute, methods=["POST"])

# --- friend requests, blocks, running a group, read cursors, recall ----------
api.add_url_rule("/contact/requestFriend", view_func=friends.request_friend_route, methods=["POST"])
api.add_url_rule("/contact/friendRequests", view_func=friends.friend_requests, methods=["POST"])
api.add_url_rule("/contact/answerRequest", view_func=friends.answer_request, methods=["POST"])
api.add_url_rule("/contact/removeFriend", view_func=friends.remove_friend, methods=["POST"])
api.add_url_rule("/contact/block", view_func=friends.block_user, methods=["POST"])
api.add_url_rule("/contact/unblock", view_func=friends.unblock_user, methods=["POST"])
api.add_url_rule("/contact/blocked", view_func=friends.blocked_users, methods=["POST"])
api.add_url_rule("/contact/groupMembers", view_func=members.group_members, methods=["POST"])
api.add_url_rule("/contact/quitGroup", view_func=members.quit_group, methods=["POST"])
api.add_url_rule("/contact/removeMember", view_func=members.remove_member, methods=["POST"])
api.add_url_rule("/contact/updateGroup", view_func=members.update_group, methods=["POST"])
api.add_url_rule("/contact/transferGroup", view_func=members.transfer_group, methods=["POST"])
api.add_url_rule("/contact/addMember", view_func=members.add_member, methods=["POST"])
api.add_url_rule("/contact/setAdmin", view_func=members.set_admin, methods=["POST"])
api.add_url_rule("/message/read", view_func=receipt.mark_read, methods=["POST"])
api.add_url_rule("/message/reads", view_func=receipt.read_cursors, methods=["GET"])
api.add_url_rule("/message/recall", view_func=receipt.recall, methods=["POST"])
api.add_url_rule("/message/edit", view_func=message_updates.edit, methods=["POST"])
api.add_url_rule("/message/react", view_func=message_updates.react, methods=["POST"])
api.add_url_rule("/message/mentions", view_func=message_updates.mentions_of_me, methods=["GET"])
# Forwarding (issue 28): one by one or merged into a chat record; a record's items.
api.add_url_rule("/message/forward", view_func=forwarding.forward, methods=["POST"])
api.add_url_rule("/message/record", view_func=forwarding.record, methods=["GET"])
# threads (ginchat/service/threads.py; replies go over the socket with RootId)
api.add_url_rule("/message/thread", "thread", threads.thread, methods=["GET"])
api.add_url_rule("/message/threads", "threads", threads.followed, methods=["GET"])
api.add_url_rule("/message/thread/follow", "thread_follow", threads.follow, methods=["POST"])
api.add_url_rule("/message/thread/read", "thread_read", threads.mark_read, methods=["POST"])
# Calls (issue 29): the settings a browser needs; the call runs over the socket.
api.add_url_rule("/call/config", view_func=calls.call_config, methods=["GET"])
# Pins, saved messages and group notices (issue 28, ginchat/service/pins.py).
api.add_url_rule("/message/pin", view_func=pins.pin, methods=["POST"])
api.add_url_rule("/message/pins", view_func=pins.pinned, methods=["GET"])
api.add_url_rule("/message/save", view_func=pins.save, methods=["POST"])
api.add_url_rule("/message/saved", view_func=pins.saved, methods=["GET"])
api.add_url_rule("/contact/setNotice", view_func=pins.set_notice, methods=["POST"])
api.add_url_rule("/contact/seeNotice", view_func=pins.see_notice, methods=["POST"])

# --- administrators (ginchat/service/admin.py) ---------------------------------
api.add_url_rule("/admin/users", "admin_users", admin.users, methods=["POST"])
api.add_url_rule("/admin/createUser", "admin_create_user", admin.create_user, methods=["POST"])
api.add_url_rule("/admin/setRole", "admin_set_role", admin.set_role, methods=["POST"])
api.add_url_rule("/admin/deactivate", "admin_deactivate", admin.deactivate, methods=["POST"])
api.add_url_rule("/admin/reactivate", "admin_reactivate", admin.reactivate, methods=["POST"])
api.add_url_rule("/admin/deleteUser", "admin_delete_user", admin.delete_user, methods=["POST"])
api.add_url_rule("/admin/registration", "admin_registration", admission.registration, methods=["POST"])
api.add_url_rule("/admin/createInvitation", "admin_create_invitation", admission.create_invitation, methods=["POST"])
api.add_url_rule("/admin/invitations", "admin_invitations", admission.invitations, methods=["POST"])
api.add_url_rule("/admin/revokeInvitation", "admin_revoke_invitation", admission.revoke_invitation, methods=["POST"])
api.add_url_rule("/admin/groups", "admin_groups", admin.groups, methods=["POST"])
api.add_url_rule("/admin/transferGroup", "admin_transfer_group", admin.transfer_group, methods=["POST"])
api.add_url_rule("/admin/dissolveGroup", "admin_dissolve_group", admin.dissolve_group, methods=["POST"])
api.add_url_rule("/admin/defaultGroups", "admin_default_groups", admin.default_groups, methods=["POST"])
api.add_url_rule("/admin/defaultGroups", "admin_default_groups_list", admin.default_groups_list, methods=["GET"])
api.add_url_rule("/admin/resetLink", "admin_reset_link", admin.reset_link, methods=["POST"])
api.add_url_rule("/admin/audit", "admin_audit_log", admin.audit_log, methods=["POST"])
api.add_url_rule("/admin/nodes", "admin_nodes", admin.nodes, methods=["GET"])
api.add_url_rule("/user/resetPassword", "admin_reset_password", admin.reset_password, methods=["POST"])

# --- uploads ---------------------------------------------------------------
api.add_url_rule("/attach/upload", view_func=uploads.upload, methods=["POST"])
api.add_url_rule("/attach/file", view_func=uploads.upload_file, methods=["POST"])
# merge_slashes=False: /uploads/%2f... is a 404, not a redirect.
api.add_url_rule("/uploads/<path:name>", view_func=uploads.serve_upload, methods=["GET"], merge_slashes=False)
api.add_url_rule(
    "/asset/upload/<path:name>", "serve_upload_alias", uploads.serve_upload, methods=["GET"], merge_slashes=False
)

# --- messages ----------------------------------------------------------------
api.add_url_rule("/user/redisMsg", view_func=message.private_history, methods=["POST"])
api.add_url_rule("/message/history", view_func=message.history, methods=["GET"])
api.add_url_rule("/message/sync", view_func=message.sync, methods=["GET"])
api.add_url_rule("/message/search", view_func=message.search, methods=["GET", "POST"])
api.add_url_rule("/health", view_func=message.health, methods=["GET"])

# --- chat over WebSocket (simple-websocket, as flask-sock routes it: chat/view.py)
ws.route("/chat", endpoint="chat", websocket=True)(chat.websocket_view(chat.chat))
ws.route("/user/sendUserMsg", endpoint="chat_alias", websocket=True)(chat.websocket_view(chat.chat))
ws.before_request(chat.check_handshake)


@public
def swagger_index():
    return redirect("/swagger/", code=302)


def register_routes(app):
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(ws)
    app.add_url_rule("/swagger/index.html", "swagger_index", swagger_index)
    if settings(app).fast_handshake:
        # Bearer-token handshakes skip Flask's request pipeline (the same rules;
        # see ginchat/chat/handshake.py). ProxyFix, applied later, wraps it.
        app.wsgi_app = HandshakePath(app, app.wsgi_app)
