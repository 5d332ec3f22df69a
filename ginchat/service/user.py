"""User routes (the Go project's service/user.go)."""

from flask import g, session
from flask_login import current_user, logout_user

from ginchat import i18n
from ginchat.auth import public, start_session
from ginchat.domain import accounts, admission
from ginchat.domain.admin import delete_own_account, dismiss_tip
from ginchat.domain.people import directory, public_users, search_people, seen_user, seen_users
from ginchat.domain.sessions import end_other_sessions, end_session
from ginchat.errors import bad_request, unauthorized
from ginchat.extensions import db
from ginchat.limits import MAX_ID
from ginchat.models.user_basic import UserBasic
from ginchat.service import search_request
from ginchat.uploads import check_icon
from ginchat.utils import params, resp


def log_in(name, password, remote_addr):
    """Check the password, start a fresh session and issue a new token."""
    user = accounts.log_in(name, password, remote_addr)
    return user, start_session(user, remote_addr)


def check_current_password(user, password, field):
    from flask import request

    accounts.check_current_password(user, password, field, request.remote_addr)


@public
def create_user():
    """Register a new user.
    ---
    tags: [user]
    consumes: [application/x-www-form-urlencoded, application/json]
    parameters:
      - {name: name, in: formData, type: string, required: true, description: "unique, 1-32 characters, no spaces; stored in Unicode NFKC (fullwidth letters become plain ones); no invisible or formatting characters, no combining-mark tricks, no confusable mix of scripts (Unicode TR39, moderately restrictive)"}
      - {name: password, in: formData, type: string, required: true, description: "6-128 characters"}
      - {name: Identity, in: formData, type: string, required: false, description: "the password repeated (as in the original)"}
      - {name: repassword, in: formData, type: string, required: false, description: "alias of Identity"}
      - {name: invite, in: formData, type: string, required: false, description: "an invitation token (needed when REGISTRATION is invite; lets one in when it is closed too)"}
      - {name: displayName, in: formData, type: string, required: false, description: "the name shown to others (DisplayName): up to 64 characters, spaces allowed, not unique; NFKC; no control, invisible or formatting characters. Empty: the name is shown"}
    responses:
      201: {description: "created; Data is the user", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {description: "missing or invalid parameter (the message names what is wrong with a name), or the passwords differ", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "registration is not open and no valid invitation came (the message says which); the first account of an empty database always comes in, and is the administrator", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the name is taken (regardless of case and NFKC), or looks like one that is (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many accounts created from this address (REGISTRATIONS_PER_IP); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    from flask import request

    name = params.get_str("name", required=True, max_len=64)
    password = params.get_str("password", required=True, max_len=256, strip=False)
    repeat = params.get_str("Identity", strip=False, max_len=256)
    if repeat is None:
        repeat = params.get_str("repassword", strip=False, max_len=256)
    invite = params.get_str("invite", max_len=200)
    display_name = params.get_str("displayName", max_len=256) or ""
    user = admission.register(name, password, repeat, request.remote_addr, invite, display_name)
    return resp.ok(public_users([user], user.id)[0], msg="registered", status=201)


@public
def find_user_by_name_and_pwd():
    """Log in: sets the session cookie and issues a fresh bearer Token. The
    name is matched regardless of case and in NFKC (as it was registered); each
    attempt counts against the name's and the address's failure limits before
    the password is checked, and a success gives it back.
    ---
    tags: [user]
    consumes: [application/x-www-form-urlencoded, application/json]
    parameters:
      - {name: name, in: formData, type: string, required: true}
      - {name: password, in: formData, type: string, required: true}
    responses:
      200: {description: "Data is the user with its Token", schema: {$ref: "#/definitions/LoginEnvelope"}}
      400: {description: "missing parameter", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "wrong name or password", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "the password is right but an administrator deactivated the account", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many failed logins for this name or from this address (LOGIN_FAILS_PER_NAME, LOGIN_FAILS_PER_IP); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    from flask import request

    name = params.get_str("name", required=True, max_len=64)
    password = params.get_str("password", required=True, max_len=256, strip=False)
    user, token = log_in(name, password, request.remote_addr)
    data = public_users([user], user.id)[0]
    data["Token"] = token
    return resp.ok(data, msg="logged in")


def log_out():
    """End the caller's login session: its token, its cookie and its sockets."""
    session_id = g.get("session_id")
    if session_id is not None:
        end_session(current_user.id, session_id)
    logout_user()
    session.clear()


def logout():
    """Log out: ends this login session: its token, its cookie and its open WebSockets on every node.
    ---
    tags: [user]
    security: [{Bearer: []}]
    responses:
      200: {description: "logged out", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    log_out()
    return resp.ok(msg="logged out")


def logout_others():
    """Log out everywhere else: ends every other session of mine (their tokens,
    cookies and open WebSockets, on every node); this one stays.
    ---
    tags: [user]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is {Ended: how many sessions ended}", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    ended = end_other_sessions(current_user.id, keep=g.session_id)
    return resp.ok({"Ended": ended}, msg=f"{ended} other session{'' if ended == 1 else 's'} ended")


def set_language():
    """Choose the interface language of my pages and chat app (the Me tab);
    the next page I load uses it, on every device of mine.
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: language, in: formData, type: string, required: true, enum: ["", "en", "zh-CN"], description: "en: English; zh-CN: Simplified Chinese; empty: follow each browser's Accept-Language"}
    responses:
      200: {description: "Data is {Language: the setting, Effective: the language my pages now use}", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "not one of the languages; nothing changed", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    given = params.get_given("language", max_len=16)
    if given is None:
        raise bad_request("language is required: empty, en or zh-CN")
    chosen = i18n.check_language(given)
    if chosen is None:
        raise bad_request("language must be empty (follow the browser), en or zh-CN")
    user = current_user._get_current_object()
    user.language = chosen
    db.session.commit()
    g.pop("language", None)
    return resp.ok({"Language": chosen, "Effective": i18n.language()}, msg="language set")


def dismiss_tip_route():
    """I have read a one-time tip of the chat app: it is not shown again, on
    any device of mine. ``first_admin``: the first account's "you are the
    administrator" (issue 27). A tip that was not shown to me changes nothing.
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: tip, in: formData, type: string, required: true, enum: ["first_admin"], description: "which tip"}
    responses:
      200: {description: "dismissed (or there was nothing to dismiss)", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "no tip, or not one of the tips; nothing changed", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    tip = params.get_str("tip", max_len=32)
    if not tip:
        raise bad_request("tip is required: first_admin")
    dismiss_tip(current_user._get_current_object(), tip)
    return resp.ok(msg="tip dismissed")


def get_user_list():
    """List users, a page at a time. Phone and Email are empty except for
    yourself and your friends; Online is false except for those you may see
    online: everyone but those blocked either way (DIRECT_MESSAGES=members),
    or yourself, your friends and the members of your groups (friends).
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: page, in: formData, type: integer, minimum: 1, default: 1}
      - {name: size, in: formData, type: integer, minimum: 1, maximum: 100, default: 20}
    responses:
      200: {description: "Rows are users, Total counts them all", schema: {$ref: "#/definitions/UserListEnvelope"}}
      400: {description: "bad page or size", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    page = params.get_int("page", default=1, minimum=1, maximum=10_000_000)
    size = params.get_int("size", default=20, minimum=1, maximum=100)
    users, total = UserBasic.page(page, size)
    return resp.ok_list(public_users(users, current_user.id), total)


def search_users():
    """Find people to talk to: live accounts whose name or display name, or
    any word of them, starts with ``q`` (or, for Chinese, Japanese or Korean
    text, holds it anywhere: 伟 finds 张伟; a Chinese name is also found by
    its pinyin, whole or as initials: zhangwei, zw), regardless of case and
    width (NFKC, case-folded), by name, a page at a time. Never yourself, a deactivated account, or anyone
    who blocked you. Each row is the public user object (Phone and Email
    only for friends; Online for everyone you may message under
    DIRECT_MESSAGES=members, only for friends and fellow group members under
    friends) with Relation: what adding them would do, and MayMessage:
    whether you may open a private chat with them (DIRECT_MESSAGES).

    An empty (or absent) ``q`` is the directory: every live account (but you
    and those who blocked you) by display name, or name where there is none;
    each row also has the state of your private chat with them: Unread,
    LastMessage, ReadId and PeerReadId (as /searchFriends gives them).
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: q, in: query, type: string, required: false, description: "the start of a name, of a display name or of any word of them; any part of a CJK name; a Chinese name's pinyin (zhangwei, zw); up to 64 characters. Empty or absent: every account (the directory)"}
      - {name: page, in: query, type: integer, minimum: 1, default: 1}
      - {name: size, in: query, type: integer, minimum: 1, maximum: 50, default: 20}
    responses:
      200: {description: "Rows are users, each with Relation (friend, requested: you asked them, asking: they asked you, blocked: by you, or empty); Total counts every match", schema: {$ref: "#/definitions/UserSearchEnvelope"}}
      400: {description: "q longer than 64 characters or with nothing to search by (only punctuation), bad page or size", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      429: {description: "more than SEARCHES_PER_MINUTE searches (people and groups together); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    _text, key, page, size = search_request(empty_lists_all=True)
    if not key:
        rows, total = directory(current_user.id, page, size)
    else:
        rows, total = search_people(current_user.id, key, page, size)
    return resp.ok_list(rows, total)


def find():
    """One user's public profile. Phone and Email are empty unless it is you or
    a friend; Online is false unless you may see it: with DIRECT_MESSAGES=members
    anyone not blocked either way, with friends you, a friend or a member of
    one of your groups. A deactivated account (Deactivated true, never Online) is found
    only by its friends, its fellow group members and administrators: its
    messages stay in their conversations.
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: userId, in: formData, type: integer, required: true}
    responses:
      200: {description: "Data is the user", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {description: "missing or malformed userId", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {$ref: "#/responses/NoSuchUser"}
    """
    return resp.ok(seen_user(params.get_id("userId", required=True), current_user))


FIND_MANY_MAX = 100  # ids /user/findMany answers at once


def id_list(name, most):
    """Positive ids, comma-separated (or a JSON list): 400 for none, more
    than ``most``, or a bad one (named)."""
    value = params.raw(name)
    if isinstance(value, list):
        parts = value
    else:
        text = params.get_str(name, required=True, max_len=most * 12) or ""
        parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise bad_request(f"{name} lists no id")
    if len(parts) > most:
        raise bad_request(f"{name} may list at most {most} ids")
    return [params.to_int(f"{name} ({part!r})", part, minimum=1, maximum=MAX_ID) for part in parts]


def find_many():
    """Several users' public profiles at once, for a page that shows people
    by name (the browser app looks up the senders, reactors and readers it
    meets in one request). Each as /user/find answers it; ids the viewer may
    not look up (unknown, deleted, or deactivated and not a friend or fellow
    group member) are left out of Rows, not refused.
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: userIds, in: formData, type: string, required: true, description: "user ids, comma-separated, at most 100; repeats are answered once"}
    responses:
      200: {description: "Rows are the users found, in the order asked; Total counts them", schema: {$ref: "#/definitions/UserListEnvelope"}}
      400: {description: "userIds missing, empty, malformed, or more than 100", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    ids = id_list("userIds", FIND_MANY_MAX)
    rows = seen_users(ids, current_user)
    return resp.ok_list(rows, len(rows))


def update_user():
    """Change my own profile; only the fields given change.
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: name, in: formData, type: string, description: "a new unique name, by the rules of createUser"}
      - {name: displayName, in: formData, type: string, description: "the name shown to others, by the rules of createUser; empty clears it"}
      - {name: password, in: formData, type: string, description: "a new password, 6-128 characters; needs oldPassword, and ends every other session (tokens, cookies, sockets) of mine"}
      - {name: oldPassword, in: formData, type: string, description: "my current password: required with password, ignored without it"}
      - {name: phone, in: formData, type: string, description: "6-20 digits, + - and spaces allowed; empty clears"}
      - {name: email, in: formData, type: string, description: "an e-mail address; empty clears"}
      - {name: icon, in: formData, type: string, description: "avatar: the URL path of an upload"}
    responses:
      200: {description: "Data is the updated user", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {description: "invalid value, or a new password without oldPassword", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "oldPassword is not my current password; nothing changed", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many wrong passwords for this name (they count as failed logins); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the name is taken, or looks like one that is (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    user = current_user._get_current_object()
    password = params.get_str("password", max_len=256, strip=False)
    if password is not None:
        # Whoever holds a session must not lock its owner out with it.
        old = params.get_str("oldPassword", max_len=256, strip=False)
        if old is None:
            raise bad_request("oldPassword (your current password) is required to set a new password")
        check_current_password(user, old, "oldPassword")
    icon = params.get_given("icon", max_len=255)
    accounts.update_profile(
        user,
        name=params.get_str("name", max_len=64),
        password=password,
        phone=params.get_given("phone", max_len=32),
        email=params.get_given("email", max_len=255),
        avatar=check_icon(icon) if icon else icon,
        display_name=params.get_given("displayName", max_len=256),
    )
    if password is not None:
        end_other_sessions(user.id, keep=g.session_id)
    return resp.ok(public_users([user], user.id)[0], msg="updated")


def delete_user():
    """Deactivate my own account (soft delete); needs my password.
    ---
    tags: [user]
    security: [{Bearer: []}]
    parameters:
      - {name: password, in: formData, type: string, required: true}
    responses:
      200: {description: "deactivated; every session of the account ends (tokens, cookies, open WebSockets)", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing password", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "wrong password", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "I am the last administrator: make another one first", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many wrong passwords for this name (they count as failed logins); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    password = params.get_str("password", required=True, max_len=256, strip=False)
    user = current_user._get_current_object()
    check_current_password(user, password, "password")
    delete_own_account(user)
    logout_user()
    session.clear()
    return resp.ok(msg="account deactivated")


__all__ = [
    "create_user",
    "find_user_by_name_and_pwd",
    "logout",
    "logout_others",
    "get_user_list",
    "find",
    "search_users",
    "update_user",
    "set_language",
    "delete_user",
    "log_in",
    "log_out",
    "end_other_sessions",
    "unauthorized",
]
