"""Message history routes, for participants only."""

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import text

from ginchat.auth import public
from ginchat.domain.access import may_read
from ginchat.domain.search import MAX_QUERY, search_messages, words_of
from ginchat.errors import bad_request, forbidden, unauthorized
from ginchat.extensions import db, get_redis
from ginchat.limits import MAX_ID, MAX_MSG_ID
from ginchat.models import message as messages
from ginchat.models import message_store
from ginchat.models.contact import Contact
from ginchat.utils import params, resp
from ginchat.utils.ratelimit import RateLimiter


def private_history():
    """Private history between users A and B (the original's Redis sorted set;
    here read from SQL). The caller must be A or B.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: userIdA, in: formData, type: integer, required: true}
      - {name: userIdB, in: formData, type: integer, required: true}
      - {name: start, in: formData, type: integer, minimum: 0, default: 0, description: "0 is the newest message"}
      - {name: end, in: formData, type: integer, default: -1, description: "inclusive; -1 means through the oldest (at most 1000 rows)"}
      - {name: isRev, in: formData, type: boolean, default: false, description: "true: oldest first within the window"}
    responses:
      200: {description: "Rows are messages, Total counts the conversation", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "the caller is neither A nor B", schema: {$ref: "#/definitions/Envelope"}}
    """
    a = params.get_int("userIdA", required=True, minimum=1, maximum=MAX_ID)
    b = params.get_int("userIdB", required=True, minimum=1, maximum=MAX_ID)
    start = params.get_int("start", default=0, minimum=0, maximum=10_000_000)
    end = params.get_int("end", default=-1, minimum=-1, maximum=10_000_000)
    reverse = params.get_bool("isRev")
    if current_user.id not in (a, b):
        raise forbidden("you can read only your own conversations")
    if end >= 0 and end < start:
        raise bad_request("end must be -1 or at least start")
    if end >= 0 and end - start >= 1000:
        end = start + 999
    conv = messages.conv_key(messages.PRIVATE, a, b)
    rows = messages.window(conv, start, end)
    if reverse:
        rows.reverse()
    return resp.ok_list(rows, messages.count_in(conv))


def history():
    """A conversation's messages older than `before` (or the latest), oldest
    first. In a group whose History is join, a member reads only what came
    after they (last) joined; Total counts what they may read.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: type, in: query, type: integer, required: true, enum: [1, 2], description: "1 private, 2 group"}
      - {name: targetId, in: query, type: integer, required: true, description: "the other user, or the group"}
      - {name: before, in: query, type: integer, description: "a message Id; only older messages"}
      - {name: after, in: query, type: integer, minimum: 0, description: "a message Id; the limit messages right after it instead of the latest (reading on from a search hit), still oldest first"}
      - {name: limit, in: query, type: integer, minimum: 1, maximum: 200, default: 50}
      - {name: inChat, in: query, type: boolean, default: false, description: "true: only what the conversation shows, thread replies left out (but those also sent to the conversation); Total counts those"}
    responses:
      200: {description: "Rows are messages, Total counts the conversation", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member of the group", schema: {$ref: "#/definitions/Envelope"}}
    """
    msg_type = params.get_int("type", required=True, minimum=1, maximum=2)
    target = params.get_int("targetId", required=True, minimum=1, maximum=MAX_ID)
    before = params.get_int("before", minimum=1, maximum=MAX_MSG_ID)
    limit = params.get_int("limit", default=50, minimum=1, maximum=200)
    since = params.get_int("after", minimum=0, maximum=MAX_MSG_ID)
    chat_only = params.get_bool("inChat")
    after = may_read(current_user.id, msg_type, target)
    conv = messages.conv_key(msg_type, current_user.id, target)
    if since is not None:
        rows = messages.history_after(conv, max(since, after), before, limit, chat_only)
    else:
        rows = messages.history(conv, before, limit, after, chat_only)
    return resp.ok_list(rows, messages.count_in(conv, after, chat_only))


def sync():
    """Every message for me with Id > since, oldest first (offline catch-up);
    of each group only what I may read (its History setting at my join).
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: since, in: query, type: integer, minimum: 0, default: 0, description: "the last message Id seen"}
      - {name: limit, in: query, type: integer, minimum: 1, maximum: 1000, default: 200}
      - {name: updates, in: query, type: boolean, default: false, description: "true: also the changes (Type 15 frames: edits, reactions) made after since to older messages, in their place in the Id sequence"}
    responses:
      200: {description: "Rows are messages; Total is the number of rows (ask again with the last Id while it equals limit)", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {description: "malformed parameter", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      429: {description: "more than SYNCS_PER_MINUTE sync requests of this user (all nodes); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    since = params.get_int("since", default=0, minimum=0, maximum=MAX_MSG_ID)
    limit = params.get_int("limit", default=200, minimum=1, maximum=1000)
    changes = params.get_bool("updates")
    RateLimiter.of().check_sync(current_user.id)
    rows = message_store.fetch_since(current_user.id, Contact.history_floors(current_user.id), since, limit, changes)
    return resp.ok_list(rows, len(rows))


def search():
    """Full-text search of every message I may read (my private chats, my
    groups within their History setting), newest first. Each word of q must
    appear in the text (from three letters on, as the start of a word);
    recalled messages never match. GET or POST (a form or JSON body: a
    query longer than a URL may be is still answered with a 400).
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: q, in: query, type: string, required: true, maxLength: 200, description: "words (letters and digits; other characters separate them), at most 8"}
      - {name: before, in: query, type: integer, description: "a message Id: only older hits (the Before of the previous page)"}
      - {name: size, in: query, type: integer, minimum: 1, maximum: 50, default: 20}
    responses:
      200: {description: "Rows are hits, newest first; Total is the number of rows; Data.Before pages on", schema: {$ref: "#/definitions/SearchEnvelope"}}
      400: {description: "q missing, longer than 200 characters, without a letter or digit, or of more than 8 words; a malformed before or size", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      429: {description: "more than MESSAGE_SEARCHES_PER_MINUTE message searches of this user (all nodes); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
      503: {description: "SQLite: the search ran past SEARCH_BUDGET seconds and was stopped (narrow it), or too many searches are running", schema: {$ref: "#/definitions/Envelope"}}
    """
    q = params.get_str("q", required=True, max_len=MAX_QUERY)
    before = params.get_int("before", minimum=1, maximum=MAX_MSG_ID)
    size = params.get_int("size", default=20, minimum=1, maximum=50)
    words = words_of(q)  # a bad q is a 400 before it counts
    RateLimiter.of().check_message_search(current_user.id)
    rows, next_before = search_messages(current_user.id, words, before, size)
    return jsonify(resp.envelope(0, "ok", data={"Before": next_before}, rows=rows, total=len(rows))), 200


def from_this_host():
    """Did the request come from this host? Behind trusted proxies
    (PROXY_COUNT) both the forwarded client and the proxy must be local."""
    import ipaddress

    addresses = [request.remote_addr, request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")]
    for address in addresses:
        if address is None:
            continue
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        ip = getattr(ip, "ipv4_mapped", None) or ip
        if not ip.is_loopback:
            return False
    return request.remote_addr is not None


@public
def health():
    """Health check for a gateway: 200 when the database and Redis answer.
    ---
    tags: [chat]
    description: |
      The chat itself runs over the WebSocket GET /chat (alias /user/sendUserMsg):
      its frames, errors, close codes and ?since= replay are in docs/PROTOCOL.md.
    parameters:
      - {name: detail, in: query, type: boolean, required: false, description: "also count live greenlets (slow: a heap walk; for leak checks); only for a logged-in user or a request from the node's own host"}
    responses:
      200: {description: "healthy; Data has the node's connection count, its Node id, Bus and BusStats, StoreQueue (messages waiting for storage), Worker (its index, only with GINCHAT_WORKERS) and, with detail, Greenlets", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "detail is not a boolean", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "detail asked for without a login, from another host", schema: {$ref: "#/definitions/Envelope"}}
      503: {description: "the database or Redis does not answer", schema: {$ref: "#/definitions/Envelope"}}
    """
    engine = current_app.extensions["chat"]
    detail = params.get_bool("detail")
    if detail and not (current_user.is_authenticated or from_this_host()):
        # The heap walk costs the whole node a pause: not for anyone who asks.
        raise unauthorized("detail is for logged-in users and requests from this host: log in first")
    try:
        db.session.execute(text("SELECT 1"))
        get_redis().ping()
    except Exception as exc:  # a health check reports, it does not raise
        return resp.fail(503, f"unhealthy: {exc.__class__.__name__}")
    data = engine.health()
    if detail:
        import gc

        from greenlet import greenlet

        data["Greenlets"] = sum(1 for o in gc.get_objects() if isinstance(o, greenlet) and not o.dead)
    return resp.ok(data)
