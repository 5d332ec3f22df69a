"""User and group names: the one normal form and lookup key that every
lookup, uniqueness check and login limit uses."""

import unicodedata

KEY_MAX = 64  # the width of the name_key columns


def normal_form(name):
    """The form a name is stored and shown in: NFKC, so that compatibility
    look-alikes (fullwidth ``ｂｏｂ``, ``ſ``, ligatures) become the plain letters."""
    return unicodedata.normalize("NFKC", name or "")


def name_key(name):
    """The lookup key of a name: NFKC, case-folded and NFKC again (case folding
    can undo the normal form), so "Bob", "bob", "ＢＯＢ" and "ſam"/"sam" are one."""
    return unicodedata.normalize("NFKC", normal_form(name).casefold())
