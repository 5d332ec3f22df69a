"""Checks shared by the HTTP API tests: the envelope of every answer and the
rule that no answer carries a password hash, salt or token."""

import re

ENVELOPE_KEYS = ["Code", "Msg", "Data", "Rows", "Total"]
PUBLIC_USER_KEYS = {"ID", "Name", "DisplayName", "Avatar", "Phone", "Email", "Online"}  # issue 15: DisplayName
GROUP_KEYS = {"ID", "Name", "OwnerId", "Img", "Desc", "Members"}
# Issue 13: closed groups; issue 27: Default (every new account joins it).
GROUP_SETTING_KEYS = {
    "Policy",
    "History",
    "WhoMayAdd",
    "Default",
    "WhoMayPin",
    "WhoMayWrite",
}  # issue 28: pins, announcements
# Issue 9 extends the friend and group lists (API.md: extend freely).
# Issue 15: Muted (a per-conversation mute kept on the server).
FRIEND_LIST_KEYS = {"Unread", "LastMessage", "ReadId", "PeerReadId", "Muted"}
GROUP_LIST_KEYS = {"Unread", "LastMessage", "ReadId", "Role", "Muted", "Notice"}
# Issue 28: who may write @all and @here; a mute that silences them too.
GROUP_SETTING_KEYS = GROUP_SETTING_KEYS | {"WhoMayMentionAll"}
FRIEND_LIST_KEYS = FRIEND_LIST_KEYS | {"MutedCompletely"}
GROUP_LIST_KEYS = GROUP_LIST_KEYS | {"MutedCompletely"}

# Key names that would betray a credential, compared case-insensitively.
SECRET_KEYS = {"password", "passwd", "pwd", "salt", "token", "digest", "hash", "identity", "repassword"}
# What werkzeug's password hashes (and an MD5 hex digest) look like.
HASH_RE = re.compile(r"^(scrypt|pbkdf2|argon2|bcrypt)[:$]|^\$2[aby]\$|^[0-9a-f]{32}$")


def assert_no_secrets(value, allow_token=False, path="$"):
    """Walk a JSON value: no credential key, no string that looks like a hash.
    ``allow_token`` admits ``Data.Token`` (the login answer) and nothing else."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if str(key).lower() in SECRET_KEYS and not (allow_token and here == "$.Data.Token"):
                raise AssertionError(f"{here} must not be in an answer: {value!r}")
            assert_no_secrets(item, allow_token, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_no_secrets(item, allow_token, f"{path}[{i}]")
    elif isinstance(value, str) and path != "$.Data.Token":
        assert not HASH_RE.search(value), f"{path} looks like a password hash: {value!r}"


def answer(r, status, allow_token=False):
    """Assert the HTTP status and the Code/Msg/Data/Rows/Total envelope; return it."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:400]}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    body = r.json()
    assert list(body) == ENVELOPE_KEYS, body
    assert body["Code"] == (0 if status < 400 else -1), body
    assert isinstance(body["Msg"], str) and body["Msg"], body
    if status >= 400:
        assert body["Data"] is None and body["Rows"] is None and body["Total"] is None, body
    assert_no_secrets(body, allow_token=allow_token)
    return body


def error(r, status, *words):
    """An error answer whose message mentions every one of ``words``."""
    body = answer(r, status)
    for word in words:
        assert word.lower() in body["Msg"].lower(), f"{word!r} not in {body['Msg']!r}"
    return body


def listing(r):
    """A 200 list answer: Rows a list, Total an int at least len(Rows)."""
    body = answer(r, 200)
    assert isinstance(body["Rows"], list), body
    assert isinstance(body["Total"], int) and body["Total"] >= len(body["Rows"]), body
    assert body["Data"] is None, body
    return body


def public_user(data):
    # Issue 18: my own object carries Role; a deactivated account's, Deactivated.
    keys = set(data) - {"Role", "Deactivated"}
    assert keys in (PUBLIC_USER_KEYS, PUBLIC_USER_KEYS | FRIEND_LIST_KEYS), data
    assert isinstance(data["ID"], int) and isinstance(data["Online"], bool), data
    return data


def group(data):
    listed = set(data) & GROUP_LIST_KEYS
    assert set(data) - listed == GROUP_KEYS | GROUP_SETTING_KEYS and listed in (set(), GROUP_LIST_KEYS), data
    assert isinstance(data["ID"], int) and isinstance(data["Members"], int), data
    return data
