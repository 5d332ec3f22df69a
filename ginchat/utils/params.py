"""Reading request parameters the way Gin's FormValue does.

A parameter comes from the form body, the query string or, when the body is
JSON, from the JSON object. Each reader checks the type and answers a clear
400 through ``AppError`` when the value is missing or malformed.

Text no database can store (a lone UTF-16 surrogate, which JSON can spell
as "\\ud800") is refused for every route before its view runs
(``check_request_text``, installed by ``init_app``), whatever reads the
request afterwards: these readers, Flask-WTF's page forms or anything else.
"""

import re

from flask import g, request

from ginchat.errors import bad_request
from ginchat.limits import MAX_ID, MAX_JSON_DEPTH

_MISSING = object()
TOO_DEEP = f"is nested too deeply: JSON of at most {MAX_JSON_DEPTH} levels is accepted"
# ASCII digits only: str.isdigit() also admits "²" or "١", which int() rejects or misreads.
_INT_RE = re.compile(r"-?[0-9]{1,19}")


def unstorable(text):
    """Why ``text`` cannot be stored, or None: a lone surrogate has no UTF-8
    form, so every database driver refuses it."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone UTF-16 surrogate (such as \\ud800), which is not text"
    return None


def first_unstorable(value, name):
    """(field name, reason) of the first string in ``value`` (nested lists and
    objects, their keys too) that cannot be stored, or of a value nested more
    than MAX_JSON_DEPTH levels; None when all is well. ``name`` is the
    top-level field the value came in. A loop, not recursion: a value may be
    as deep as json could parse."""
    if isinstance(value, str):  # most fields: no walk
        reason = unstorable(value)
        return (name, reason) if reason else None
    if not isinstance(value, (dict, list)):
        return None
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            reason = unstorable(item)
            if reason:
                return name, reason
            continue
        if isinstance(item, dict):
            keys, values = item.keys(), item.values()
        elif isinstance(item, list):
            keys, values = (), item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return name, TOO_DEEP
        for key in keys:
            if isinstance(key, str) and unstorable(key):
                return name, "has a key that " + unstorable(key)
        # Reversed, so the first string in reading order is the one reported.
        pending.extend((child, depth + 1) for child in reversed(list(values)))
    return None


def first_unstorable_field(source):
    """(field name, reason) of the first field of a query string or a form
    (a MultiDict) whose name or value cannot be stored, or None."""
    for name, value in source.items(multi=True):
        found = first_unstorable(value, name) or first_unstorable(name, name)
        if found:
            return found
    return None


def field_label(name):
    """A field name fit for an error message (a name may itself be bad text)."""
    return name if not unstorable(name) else ascii(name)


def check_request_text():
    """before_request: a 400 naming the field when the query string, the form
    or the JSON body holds text that cannot be stored."""
    sources = [request.args]
    # Werkzeug decodes query strings and forms as UTF-8, so their bytes never
    # make a surrogate; the cheap ones are checked all the same. Multipart
    # bodies (uploads) are not parsed here, before the view's own limits.
    if request.mimetype == "application/x-www-form-urlencoded":
        sources.append(request.form)
    for source in sources:
        found = first_unstorable_field(source)
        if found:
            raise bad_request(f"{field_label(found[0])} {found[1]}")
    if request.is_json:
        body = parsed_json()
        if isinstance(body, dict):
            for name, value in body.items():
                found = first_unstorable(name, name) or first_unstorable(value, name)
                if found:
                    raise bad_request(f"{field_label(found[0])} {found[1]}")
        elif body is not None:
            found = first_unstorable(body, "the JSON body")
            if found:
                raise bad_request(f"{found[0]} {found[1]}")


def parsed_json():
    """The JSON body, or None when it is no JSON; a 400 when it is nested
    deeper than json can parse (json raises RecursionError, not ValueError)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise bad_request(f"the JSON body {TOO_DEEP}") from None


def init_app(app):
    app.before_request(check_request_text)


def _json_body():
    if "_json_body" not in g:
        body = None
        if request.is_json:
            body = parsed_json()
            if body is None and request.get_data(cache=True):
                raise bad_request("the body is not valid JSON")
            if body is not None and not isinstance(body, dict):
                raise bad_request("the JSON body must be an object")
        g._json_body = body or {}
    return g._json_body


def raw(name):
    """The raw value of ``name`` or ``_MISSING``; form and query first."""
    if name in request.form:
        value = request.form[name]
    elif name in request.args:
        value = request.args[name]
    else:
        value = _json_body().get(name, _MISSING)
    found = first_unstorable(value, name)
    if found:
        raise bad_request(f"{found[0]} {found[1]}")
    return value


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
