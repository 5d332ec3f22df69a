"""Every setting is parsed once, when the app starts (ginchat/config.py,
Settings): the values the code reads are typed, and a bad one stops the
start with one line naming the environment variable and what is wrong."""

import dataclasses

import pytest

from ginchat.config import Config
from ginchat.settings import SettingError, Settings, settle


def test_the_defaults_parse_to_their_types():
    found = Settings.from_config({})
    assert found.recall_seconds == 120.0 and isinstance(found.recall_seconds, float)
    assert found.replay_page == 500 and isinstance(found.replay_page, int)
    assert found.rate_limits is True and found.fast_handshake is True and found.ws_compression is False
    assert found.max_connections is None  # auto
    assert found.bus == "udp" and found.friend_add == "instant" and found.direct_messages == "members"
    assert found.tls is True and found.https_port == Config.HTTPS_PORT
    assert found.search_test_slow_word is None and found.tls_cert is None


def test_every_field_names_a_setting_of_config():
    for item in dataclasses.fields(Settings):
        assert hasattr(Config, item.metadata["key"] or item.name.upper()), item.name


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings.from_config({}).recall_seconds = 1


@pytest.mark.parametrize(
    "key, value, parsed",
    [
        ("RECALL_SECONDS", "30", 30.0),  # the environment's text
        ("RECALL_SECONDS", 0.5, 0.5),
        ("REPLAY_PAGE", "7", 7),
        ("REPLAY_PAGE", 7.0, 7),
        ("SEARCH_SCAN_READABLE", "20_000", 20000),
        ("RATE_LIMITS", "off", False),
        ("RATE_LIMITS", False, False),  # GINCHAT_RATE_LIMITS=false, which Flask reads as JSON
        ("RATE_LIMITS", "ON", True),
        ("FAST_HANDSHAKE", "false", False),
        ("WS_COMPRESSION", 1, True),
        ("INVITES_BY_MEMBERS", "yes", True),
        ("MAX_CONNECTIONS", "auto", None),
        ("MAX_CONNECTIONS", "5", 5),
        ("BUS", " Redis ", "redis"),
        ("TLS", "off", False),
        ("TLS", False, False),
        ("TLS", "auto", True),
        ("SEARCH_TEST_SLOW_WORD", "SLOW", "slow"),
        ("TLS_CA_DIR", "", None),
    ],
)
def test_good_values_are_read(key, value, parsed):
    assert getattr(Settings.from_config({key: value}), key.lower()) == parsed


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("RECALL_SECONDS", "abc", "GINCHAT_RECALL_SECONDS must be a number of seconds, got 'abc'"),
        ("RECALL_SECONDS", -1, "GINCHAT_RECALL_SECONDS must be a number of seconds, got -1"),
        ("RECALL_SECONDS", True, "GINCHAT_RECALL_SECONDS must be a number of seconds, got True"),
        ("EDIT_SECONDS", "nan", "GINCHAT_EDIT_SECONDS must be a number of seconds, got 'nan'"),
        ("REPLAY_PAGE", "1.5", "GINCHAT_REPLAY_PAGE must be a whole number of messages >= 1, got '1.5'"),
        ("REPLAY_PAGE", 0, "GINCHAT_REPLAY_PAGE must be a whole number of messages >= 1, got 0"),
        ("UDP_PORT", "", "GINCHAT_UDP_PORT must be a whole number, got ''"),
        ("MAX_UPLOAD_MB", [10], "GINCHAT_MAX_UPLOAD_MB must be a number of MiB, got [10]"),
        ("BUS_DROP_RATE", 2, "GINCHAT_BUS_DROP_RATE must be a number from 0 to 1, got 2"),
        ("RATE_LIMITS", "maybe", "GINCHAT_RATE_LIMITS must be on or off, got 'maybe'"),
        ("FAST_HANDSHAKE", "nope", "GINCHAT_FAST_HANDSHAKE must be true or false, got 'nope'"),
        (
            "MAX_CONNECTIONS",
            "lots",
            "GINCHAT_MAX_CONNECTIONS must be auto or a whole number of connections, got 'lots'",
        ),
        ("BUS", "tcp", "GINCHAT_BUS must be udp, redis or none, got 'tcp'"),
        ("FRIEND_ADD", "ask", "GINCHAT_FRIEND_ADD must be instant or request, got 'ask'"),
        ("REGISTRATION", "secret", "GINCHAT_REGISTRATION must be open, invite or closed, got 'secret'"),
        ("UPLOAD_STORAGE", "nfs", "GINCHAT_UPLOAD_STORAGE must be db or folder, got 'nfs'"),
        ("PASSWORD_HASH", "md5", "GINCHAT_PASSWORD_HASH='md5': use scrypt"),
        ("HOST", {"a": 1}, "GINCHAT_HOST must be a string, got {'a': 1}"),
    ],
)
def test_a_bad_value_names_the_setting_and_what_is_wrong(key, value, message):
    with pytest.raises(SettingError) as caught:
        Settings.from_config({key: value})
    assert str(caught.value).startswith(message)
    # The checks it replaced raised either: callers catching one still do.
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, RuntimeError)


@pytest.mark.parametrize(
    "uri, storage, ttl",
    [
        ("sqlite:////srv/ginchat.db", "folder", 0),
        ("mysql+pymysql://chat@db/ginchat", "db", 120),
        ("postgresql+psycopg://chat@db/ginchat", "db", 120),
    ],
)
def test_auto_values_are_settled_by_the_database_s_kind(uri, storage, ttl):
    assert settle({"SQLALCHEMY_DATABASE_URI": uri}) == {"UPLOAD_STORAGE": storage, "TOKEN_CACHE_TTL": ttl}
    found = Settings.from_config({"SQLALCHEMY_DATABASE_URI": uri, "UPLOAD_STORAGE": "auto"})
    assert (found.upload_storage, found.token_cache_ttl) == (storage, ttl)
    assert settle({"SQLALCHEMY_DATABASE_URI": uri, "UPLOAD_STORAGE": "folder", "TOKEN_CACHE_TTL": 5}) == {}


def test_the_database_url_and_redis_url_stay_out_of_the_repr():
    shown = repr(Settings.from_config({"SQLALCHEMY_DATABASE_URI": "mysql://u:pw@h/d", "REDIS_URL": "redis://:pw@h"}))
    assert "pw" not in shown
