"""Every setting, parsed once: create_app reads Config (ginchat/config.py),
the GINCHAT_* environment and the overrides into app.config, then parses
every setting of GinChat's own into one typed, frozen Settings. A bad value
stops the start with one line naming the environment variable and what is
wrong. Code reads ``settings(app).x`` (or ``settings().x`` in a request or
app context), never app.config["X"]. Flask's and its extensions' own keys
(SECRET_KEY, SQLALCHEMY_*, SESSION_*) stay in app.config, where those
libraries read them.

Adding a setting: its default in Config (UPPER_CASE: the GINCHAT_ environment
name without the prefix), a field of Settings below of the same name in lower
case with its parser (whole, number, flag, text, optional_text, choice,
auto_or_whole, below), then read it as settings(app).its_name.
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from flask import Flask, current_app

from ginchat.config import Config

__all__ = ["Settings", "SettingError", "change", "load", "settings", "settle"]

SETTINGS_KEY = "ginchat.settings"  # app.extensions[SETTINGS_KEY]: the app's Settings
DEFAULT_TOKEN_CACHE_TTL = 120  # TOKEN_CACHE_TTL=auto with a database server


# --- the parsers: one per kind of value ---------------------------------------------
# werkzeug's generate_password_hash methods: scrypt[:N:r:p] or pbkdf2[:sha256|sha512[:rounds]]
PASSWORD_HASH_RE = re.compile(r"^(?:scrypt(?::\d+:\d+:\d+)?|pbkdf2(?::sha(?:256|512)(?::\d+)?)?)$")
FALSE_WORDS = ("", "0", "false", "off", "no", "none")
TRUE_WORDS = ("1", "true", "on", "yes")


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


# --- the settings -------------------------------------------------------------------
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
