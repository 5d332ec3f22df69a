"""Thin HTTP handlers over the domain layer (one module per area)."""

from flask_login import current_user

from ginchat.domain.people import search_key_of
from ginchat.utils import params
from ginchat.utils.ratelimit import RateLimiter


def search_request(empty_lists_all=False):
    """The q, page and size of a people or group search, q's search key, and
    one search counted against SEARCHES_PER_MINUTE: a bad q is a 400 before
    it counts. ``empty_lists_all``: an empty or absent q is allowed (key "":
    list everyone)."""
    text = params.get_str("q", required=not empty_lists_all, max_len=256)
    page = params.get_int("page", default=1, minimum=1, maximum=10_000)
    size = params.get_int("size", default=20, minimum=1, maximum=50)
    key = search_key_of(text) if text or not empty_lists_all else ""
    RateLimiter.of().check_search(current_user.id)
    return text, key, page, size
