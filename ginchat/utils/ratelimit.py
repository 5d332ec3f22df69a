"""Abuse limits kept in Redis, so that they hold across every node.

Each limit is a counter ``rl:<kind>:<key>`` that lives for its window from
the first hit (INCR and PEXPIRE in one Lua script, so a counter can never be
left without an expiry). Kinds and their settings (see config.py):

- ``login_name`` / ``login_ip``: failed logins per user name (its
  ``name_key``, the key every lookup uses) / per client address within
  LOGIN_FAIL_WINDOW. Each login reserves one attempt on both counters in one
  script *before* the password is checked, so concurrent guesses cannot all
  pass the check; over the limit it answers 429 and counts nothing. A
  successful login gives its reservation back.
- ``register_ip``: accounts created per client address within
  REGISTRATION_WINDOW.
- ``msg``: chat messages and changes (edits, reactions, receipts...) per
  user per second, over all connections, HTTP and nodes (on top of the
  per-connection token bucket of the chat engine).
- ``change``: edits and reactions per user per second, on the socket and
  over HTTP, on every node (they count as ``msg`` too).
- ``upload``: uploads per user per minute.
- ``search``: people and group searches per user per minute.
- ``msg_search`` / ``sync``: message searches / ``/message/sync`` calls per
  user per minute (each reads many rows: a flood of them stalls a node).

``RATE_LIMITS=off`` turns every limit off. When Redis cannot be reached the
limits fail open (chat goes on) and a warning is logged, at most every
LOG_EVERY seconds.

The counters are three small Lua scripts of our own rather than the ``limits``
library: the login reservation counts two counters, both or none, and gives one
back on success, which a one-key hit cannot do; and its keys carry each limit's
amount, so nodes set up with different limits would not share a count.
"""

import logging
import time

import redis
from flask import current_app

from ginchat.errors import AppError
from ginchat.settings import settings
from ginchat.utils.names import name_key

log = logging.getLogger("ginchat.ratelimit")

LOG_EVERY = 10.0
REDIS_RETRY = 2.0  # seconds without asking Redis after it failed

# KEYS[1]: the counter; ARGV[1]: the window in ms, ARGV[2]: how much to add.
_HIT = """
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""

# Reserve one login attempt on every counter, or on none.
# KEYS: the counters; ARGV[1]: the window in ms, ARGV[2..]: each counter's limit.
# Returns {0, ttl, i} when counter i is full (nothing counted), else {1}.
_RESERVE = """
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[1]) end
    return {0, ttl, i}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return {1}
"""

# Give one reservation back: KEYS[1] counts one less (and goes when at zero).
_RELEASE = """
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""


class RateLimited(AppError):
    """429 with the seconds to wait (sent as Retry-After on HTTP)."""

    def __init__(self, msg, retry_after):
        super().__init__(429, msg)
        self.retry_after = max(1, int(-(-retry_after // 1)))


class RateLimiter:
    def __init__(self, app):
        self.app = app
        self.enabled = settings(app).rate_limits
        self.redis = app.extensions["redis"]
        self._script = self.redis.register_script(_HIT)
        self._reserve = self.redis.register_script(_RESERVE)
        self._release = self.redis.register_script(_RELEASE)
        self._warned = 0.0
        # After a Redis error the limits stay open this long without asking
        # Redis again, so a dead Redis costs chat no connect timeouts.
        self._down_until = 0.0
        self.failed_open = 0  # checks let through because Redis did not answer
        app.extensions["ratelimit"] = self

    @staticmethod
    def of(app=None):
        app = app or current_app
        limiter = app.extensions.get("ratelimit")
        return limiter if limiter is not None else RateLimiter(app)

    def _available(self):
        if not self.enabled:
            return False
        if self._down_until and time.monotonic() < self._down_until:
            self.failed_open += 1
            return False
        return True

    def _fail_open(self, exc):
        self.failed_open += 1
        now = time.monotonic()
        self._down_until = now + REDIS_RETRY
        if now - self._warned >= LOG_EVERY:
            self._warned = now
            log.warning("rate limits not enforced: Redis unavailable (%s)", exc.__class__.__name__)

    # --- the counter ------------------------------------------------------------
    def hit(self, kind, key, limit, window, amount=1):
        """Count ``amount`` and return (count, seconds left in the window);
        (0, 0) when off or when Redis fails."""
        if not self._available():
            return 0, 0.0
        try:
            count, ttl = self._script(keys=[f"rl:{kind}:{key}"], args=[int(window * 1000), amount])
        except redis.RedisError as exc:
            self._fail_open(exc)
            return 0, 0.0
        return int(count), int(ttl) / 1000.0

    def peek(self, kind, key):
        """(count, seconds left) without counting."""
        if not self._available():
            return 0, 0.0
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                count, ttl = pipe.get(f"rl:{kind}:{key}").pttl(f"rl:{kind}:{key}").execute()
        except redis.RedisError as exc:
            self._fail_open(exc)
            return 0, 0.0
        return int(count or 0), max(0, int(ttl or 0)) / 1000.0

    def clear(self, kind, key):
        if not self._available():
            return
        try:
            self.redis.delete(f"rl:{kind}:{key}")
        except redis.RedisError as exc:
            self._fail_open(exc)

    def limit(self, kind, key, limit, window, msg):
        """Count one; raise RateLimited once more than ``limit`` were counted."""
        count, left = self.hit(kind, key, limit, window)
        if count > limit:
            raise RateLimited(msg, left)

    # --- the rules ------------------------------------------------------------------
    def reserve_login(self, name, ip):
        """Before checking a password: count this attempt against the name and
        the address at once, or refuse (429) while either is at its limit."""
        if not self._available():
            return
        found = settings(self.app)
        keys = [f"rl:login_name:{_login_key(name)}", f"rl:login_ip:{ip or '-'}"]
        limits = [found.login_fails_per_name, found.login_fails_per_ip]
        window = found.login_fail_window
        try:
            result = self._reserve(keys=keys, args=[int(window * 1000), *limits])
        except redis.RedisError as exc:
            self._fail_open(exc)
            return
        if int(result[0]) == 0:
            left = int(result[1]) / 1000.0
            what = "this name" if int(result[2]) == 1 else "your address"
            raise RateLimited(f"too many failed logins for {what}: try again in {max(1, round(left))} s", left)

    def login_succeeded(self, name, ip):
        """The owner got in: their name's failure count starts again, and the
        address gets this attempt back (it keeps its failures, so one address
        cannot probe many names)."""
        if not self._available():
            return
        try:
            self.redis.delete(f"rl:login_name:{_login_key(name)}")
            self._release(keys=[f"rl:login_ip:{ip or '-'}"])
        except redis.RedisError as exc:
            self._fail_open(exc)

    def check_registration(self, ip):
        count, left = self.peek("register_ip", ip or "-")
        if count >= settings(self.app).registrations_per_ip:
            raise RateLimited(
                f"too many accounts created from your address: try again in {max(1, round(left))} s", left
            )

    def registered(self, ip):
        self.hit("register_ip", ip or "-", 0, settings(self.app).registration_window)

    def check_message(self, user_id):
        """One chat message or change (an edit, a reaction) of ``user_id``, on
        any connection or over HTTP, on any node."""
        limit = settings(self.app).user_msg_rate
        self.limit(
            "msg", user_id, limit, 1.0, f"too many messages and changes from your account: at most {limit} per second"
        )

    def check_change(self, user_id):
        """One edit or reaction of ``user_id``, on the socket or over HTTP, on any node."""
        limit = settings(self.app).user_change_rate
        self.limit("change", user_id, limit, 1.0, f"too many edits and reactions: at most {limit} per second")

    def check_upload(self, user_id):
        limit = settings(self.app).uploads_per_minute
        self.limit("upload", user_id, limit, 60.0, f"too many uploads: at most {limit} per minute")

    def check_search(self, user_id):
        limit = settings(self.app).searches_per_minute
        self.limit("search", user_id, limit, 60.0, f"too many searches: at most {limit} per minute")

    def check_message_search(self, user_id):
        limit = settings(self.app).message_searches_per_minute
        self.limit("msg_search", user_id, limit, 60.0, f"too many message searches: at most {limit} per minute")

    def check_sync(self, user_id):
        limit = settings(self.app).syncs_per_minute
        self.limit("sync", user_id, limit, 60.0, f"too many sync requests: at most {limit} per minute")


def _login_key(name):
    # The name's lookup key: every spelling that finds the account shares its count.
    return name_key(name)
