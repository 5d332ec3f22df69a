"""Reading request parameters the way Gin's FormValue does.

A parameter comes from the form body, the query string or, when the body is
JSON, from the JSON object. Each reader checks the type and answers a clear
400 through ``AppError`` when the value is missing or malformed.
"""

import re

from flask import g, request

from ginchat.errors import bad_request

_MISSING = object()
# ASCII digits only: str.isdigit() also admits "²" or "١", which int() rejects or misreads.
_INT_RE = re.compile(r"-?[0-9]{1,19}")
# Row IDs are INTEGER columns on every backend (PostgreSQL refuses a larger
# number with an error), so an ID parameter is checked against this bound.
MAX_ID = 2**31 - 1


def _json_body():
    if "_json_body" not in g:
        body = None
        if request.is_json:
            body = request.get_json(silent=True)
            if body is None and request.get_data(cache=True):
                raise bad_request("the body is not valid JSON")
            if body is not None and not isinstance(body, dict):
                raise bad_request("the JSON body must be an object")
        g._json_body = body or {}
    return g._json_body


def raw(name):
    """The raw value of ``name`` or ``_MISSING``; form and query first."""
    if name in request.form:
        return request.form[name]
    if name in request.args:
        return request.args[name]
    body = _json_body()
    if name in body:
        return body[name]
    return _MISSING


def present(name):
    value = raw(name)
    return value is not _MISSING and value is not None and value != ""


def get_str(name, required=False, default=None, max_len=255, strip=True):
    value = raw(name)
    if value is _MISSING or value is None or value == "":
        if required:
            raise bad_request(f"{name} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad_request(f"{name} must be a string")
    value = str(value)
    if strip:
        value = value.strip()
    if "\x00" in value:
        raise bad_request(f"{name} must not contain NUL characters")
    if required and not value:
        raise bad_request(f"{name} is required")
    if max_len is not None and len(value) > max_len:
        raise bad_request(f"{name} is longer than {max_len} characters")
    return value


def get_given(name, max_len=255):
    """None when ``name`` is absent, "" when given empty (to clear a field)."""
    if raw(name) is _MISSING:
        return None
    return get_str(name, max_len=max_len) or ""


def to_int(name, value, minimum=None, maximum=None):
    """Convert ``value`` to an int or raise a 400 naming ``name``."""
    if isinstance(value, bool):
        raise bad_request(f"{name} must be an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise bad_request(f"{name} must be an integer")
    if minimum is not None and number < minimum:
        raise bad_request(f"{name} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise bad_request(f"{name} must be at most {maximum}")
    return number


def get_int(name, required=False, default=None, minimum=None, maximum=None):
    value = raw(name)
    if value is _MISSING or value is None or value == "":
        if required:
            raise bad_request(f"{name} is required")
        return default
    return to_int(name, value, minimum, maximum)


def get_id(name, required=False):
    """A row ID: a positive integer that fits the INTEGER columns."""
    return get_int(name, required=required, minimum=1, maximum=MAX_ID)


def get_bool(name, default=False):
    value = raw(name)
    if value is _MISSING or value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise bad_request(f"{name} must be true or false")
