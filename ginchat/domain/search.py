"""Message search: the words of a query, the messages the searcher may read
that hold them (the read rule of access.may_read and the history floors of
sync, through message.readable_by), and for each hit its conversation and a
snippet around the match."""

import re

from sqlalchemy import select

from ginchat.errors import bad_request
from ginchat.extensions import db
from ginchat.models import search as engine
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.message import GROUP
from ginchat.models.search import WORD_RE, fold
from ginchat.models.user_basic import UserBasic
from ginchat.utils.cjk import pieces

MAX_QUERY = 200
MAX_WORDS = 8
SNIPPET = 120  # characters of text shown around the first match
_SPACES = re.compile(r"\s+")


def words_of(q):
    """The words of query ``q`` (already at most MAX_QUERY characters), or a 400."""
    words = list(dict.fromkeys(WORD_RE.findall(q or "")))
    if not words:
        raise bad_request("q must hold at least one letter or digit")
    if len(words) > MAX_WORDS:
        raise bad_request(f"q may hold at most {MAX_WORDS} words")
    return words


def search_messages(user_id, words, before, size):
    """The page of hits for ``words`` (words_of the query) below message Id
    ``before`` (None: from the newest), newest first: (rows, the ``before``
    of the next page or None)."""
    floors = Contact.history_floors(user_id)
    frames = engine.search(user_id, floors, words, before, size + 1)
    more = len(frames) > size
    frames = frames[:size]
    names = _names(user_id, frames)
    matcher = _ascii_matcher([fold(w) for w in words])
    rows = [_hit(user_id, frame, words, names, matcher) for frame in frames]
    return rows, (frames[-1]["Id"] if more else None)


def _names(user_id, frames):
    """{("u"|"g", id): name} for the senders and conversations of ``frames``."""
    users = {f["UserId"] for f in frames}
    users |= {f["TargetId"] for f in frames if f["Type"] != GROUP}
    groups = {f["TargetId"] for f in frames if f["Type"] == GROUP}
    names = {}
    people, teams = UserBasic.__table__.c, Community.__table__.c  # plain rows: no ORM objects to build
    if users:
        for uid, name in db.session.execute(select(people.id, people.name).where(people.id.in_(users))):
            names[("u", uid)] = name
    if groups:
        for gid, name in db.session.execute(select(teams.id, teams.name).where(teams.id.in_(groups))):
            names[("g", gid)] = name
    return names


def _hit(user_id, frame, words, names, matcher):
    if frame["Type"] == GROUP:
        conv = ("g", frame["TargetId"])
    else:
        conv = ("u", frame["TargetId"] if frame["UserId"] == user_id else frame["UserId"])
    parts = snippet(frame["Content"], words, matcher)
    return {
        "Id": frame["Id"],
        "Seq": frame["Seq"],
        "UserId": frame["UserId"],
        "TargetId": frame["TargetId"],
        "Type": frame["Type"],
        "Media": frame["Media"],
        "CreateTime": frame["CreateTime"],
        "SenderName": names.get(("u", frame["UserId"]), ""),
        "ConvType": frame["Type"],
        "ConvId": conv[1],
        "ConvName": names.get(conv, ""),
        "Snippet": "".join(parts),
        "Parts": parts,
    } | ({"RootId": frame["RootId"]} if frame.get("RootId") else {})  # a hit in a thread opens the thread


def _matches(word, terms):
    folded = fold(word)
    return any(engine.word_matches(folded, t) for t in terms)


def _spans(content, terms):
    """Where ``content`` (not all ASCII) matches ``terms`` (split_terms): the
    words, or pieces of words between CJK runs, that match a word term, and
    every place a CJK term stands, in order and without overlaps."""
    words = [fold(t) for t in terms if not engine.is_cjk(t)]
    cjk = [t for t in terms if engine.is_cjk(t)]
    found = []
    for m in WORD_RE.finditer(content):
        at = m.start()
        for piece in pieces(m.group()):
            if engine.is_cjk(piece):
                folded = piece.casefold()
                for term in cjk:
                    found += [(at + i, at + i + len(term)) for i in _places(folded, term)]
            elif _matches(piece, words):
                found.append((at, at + len(piece)))
            at += len(piece)
    spans, end = [], 0
    for s, e in sorted(found):
        if s >= end:
            spans.append((s, e))
            end = e
    return spans


def _places(text, term):
    at = text.find(term)
    while at >= 0:
        yield at
        at = text.find(term, at + len(term))


def _ascii_matcher(terms):
    """One regular expression for the words of ASCII text that match ``terms``
    (folded, letters and digits only: nothing to escape)."""
    alternatives = [t + r"[^\W_]*" if len(t) >= engine.PREFIX_FROM else t + r"(?![^\W_])" for t in terms if t.isascii()]
    if not alternatives:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + ")", re.IGNORECASE | re.ASCII)


def snippet(content, words, matcher=False):
    """About SNIPPET characters of ``content`` around its first matching word,
    as alternating parts: plain, match, plain, match, ... (plain first, so the
    odd indexes are the matches to highlight)."""
    terms = [fold(w) for w in words]
    if matcher is False:
        matcher = _ascii_matcher(terms)
    if content.isascii():  # the common case, in one pass of one expression
        spans = [m.span() for m in matcher.finditer(content)] if matcher else []
    else:
        spans = _spans(content, engine.split_terms(words))
    start, end = 0, len(content)
    if len(content) > SNIPPET:
        first = spans[0][0] if spans else 0
        start = max(0, first - SNIPPET // 3)
        while start > 0 and not content[start - 1].isspace() and first - start < SNIPPET // 2:
            start -= 1  # do not cut the word before the match in half
        end = min(len(content), start + SNIPPET)
    parts, at = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts += [content[at:s], content[s:e]]
        at = e
    parts.append(content[at:end])
    if start > 0:
        parts[0] = "…" + parts[0]
    if end < len(content):
        parts[-1] = parts[-1] + "…"
    return [_SPACES.sub(" ", part) for part in parts]
