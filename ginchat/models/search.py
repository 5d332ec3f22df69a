"""Full-text search over message text with each database's own engine
(migrations/versions/0006_message_search.py makes the indexes):

- SQLite: the FTS5 table ``message_fts``; its ``readers`` column holds who
  may read each message (``u<id>`` for both people of a private message,
  ``g<id>`` for a group's), so one MATCH walks only the searcher's messages,
  newest first, however many others the table holds (and however many
  groups the searcher is in). The query runs on a native thread within a
  time budget (search_reader.py).
- MariaDB/MySQL: the InnoDB FULLTEXT index, in BOOLEAN MODE (``+word*``);
  words the index cannot hold (shorter than innodb_ft_min_token_size, or a
  stop word) are matched with REGEXP instead, so no word is silently ignored.
- PostgreSQL: the GIN index on ``to_tsvector('simple', content)``.

Every engine gets the same words: letters and digits only (the caller's
``terms``), each quoted or escaped here, so no query syntax of any engine
can come from a user. The read rule is message.readable_by whatever the
engine, and a recalled message (blanked, Media 0) never matches.
"""

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, TextClause, column, func, literal_column, select, table, text, union_all
from sqlalchemy import exc as sa_exc

from ginchat.extensions import db
from ginchat.models import search_index
from ginchat.models.message import CALL, RECALLED, message_table, readable_by, readable_by_index, to_frame
from ginchat.models.search_reader import SearchReader, too_slow
from ginchat.settings import settings
from ginchat.utils.cjk import CJK_RUN, char_token, pair_tokens, pieces

UNSEARCHED = (RECALLED, CALL)  # recalled messages, and call records (JSON, not words)

FTS_TABLE = "message_fts"
FTS_VIEW = "message_search"
MYSQL_INDEX = "ix_message_content_ft"
PG_INDEX = "ix_message_content_tsv"
PREFIX_FROM = 3  # shorter words match whole words only (a one-letter prefix matches half the table)
# MariaDB/MySQL: a searcher who may read at most this many messages is
# searched from them (SCAN_PAGE rows a query), not from the FULLTEXT index.
SCAN_READABLE = 20_000
SCAN_PAGE = 500
# A word is a run of letters and digits: what every engine's tokenizer splits
# on, and nothing that any engine's query syntax gives a meaning to.
WORD_RE = re.compile(r"[^\W_]+")

_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))
_SIMPLE: ColumnElement[Any] = literal_column(
    "'simple'::regconfig"
)  # literal: the GIN index is on exactly this expression
_mysql_limits: dict[str, tuple[int, set[str]]] = {}


def fold(text):
    """Case and accents set aside, as the engines compare words."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_terms(words):
    """The terms of ``words``: each word cut where CJK text meets other
    letters or digits (版本rel42 -> 版本, rel42), a CJK piece in the folded
    form its tokens are made of (NFKC, case-folded)."""
    terms = []
    for word in words:
        for piece in pieces(unicodedata.normalize("NFKC", word)):
            terms.append(piece.casefold() if is_cjk(piece) else piece)
    return list(dict.fromkeys(terms))


def is_cjk(term):
    return CJK_RUN.fullmatch(term) is not None


def cjk_tokens(term):
    """What the index must hold for a CJK term: one character is the start
    of a token (a pair it begins, or a run's last character): (token, True);
    more characters are the phrase of their pairs, in order: (tokens, False)."""
    if len(term) == 1:
        return [char_token(term)], True
    return pair_tokens(term)[:-1], False


def in_models(name, type_, parent_names):
    """Alembic's include_name: leave the search engine's own objects (FTS5
    tables and their shadow tables, SQLite's index mark message_fts_upto,
    the full-text indexes) out of the comparison of the database with the models."""
    if type_ == "table":
        return not name.startswith(FTS_TABLE)
    if type_ == "index":
        return name not in (MYSQL_INDEX, PG_INDEX)
    return True


def search(user_id, groups, terms, before, limit):
    """Up to ``limit`` messages ``user_id`` may read whose text holds every
    word of ``terms`` (as a word, or the start of one from PREFIX_FROM
    letters), with Ids below ``before`` (None: the newest), newest first,
    as frames. ``groups``: {group id: history floor} (Contact.history_floors)."""
    c = message_table.c
    dialect = db.session.get_bind().dialect.name
    terms = split_terms(terms)
    readable = readable_by(user_id, groups)
    query = select(message_table).where(readable, c.media.notin_(UNSEARCHED))
    if dialect == "sqlite":
        query = query.join_from(_fts, message_table, c.id == _fts.c.rowid)
        query = query.where(_fts.c[FTS_TABLE].op("MATCH")(fts5_query(user_id, groups, terms)))
        if before is not None:
            query = query.where(_fts.c.rowid < before)
        # The index follows the table from behind (search_index.py): what it
        # does not hold yet is indexed first, so every stored message is found.
        statement = query.order_by(_fts.c.rowid.desc()).limit(limit)
        rows = SearchReader.of().rows(statement, terms, prepare=search_index.index_pending_raw)
    elif dialect == "postgresql":
        if before is not None:
            query = query.where(c.id < before)
        vector = func.to_tsvector(_SIMPLE, func.coalesce(c.search_text, c.content))
        query = query.where(vector.op("@@")(func.to_tsquery(_SIMPLE, tsquery(terms))))
        rows = db.session.execute(query.order_by(c.id.desc()).limit(limit)).mappings()
    else:
        rows = mysql_search(query, user_id, groups, terms, before, limit)
    return [to_frame(row) for row in rows]


def mysql_search(query, user_id, groups, terms, before, limit):
    """MariaDB/MySQL. InnoDB's full-text search finds every message of the
    table that holds the words before the read rule can drop one: a searcher
    who may read a thousand messages waited seconds for a word half the table
    holds (issue 24). So when the searcher may read at most SEARCH_SCAN_READABLE
    messages, the search starts from those (the read rule's indexes) instead;
    past that, the FULLTEXT index, within SEARCH_BUDGET. ``query``: the
    messages ``user_id`` may read (search() makes it)."""
    c = message_table.c
    parts = readable_by_index(user_id, groups)
    most = settings().search_scan_readable
    if most and readable_count(parts, most + 1) <= most:
        return scan_readable(parts, terms, before, limit)
    query = query.where(*mysql_conditions(terms))
    if before is not None:
        query = query.where(c.id < before)
    return within_budget(query.order_by(c.id.desc()).limit(limit))


def _by_index(query, index):
    return query.with_hint(message_table, f"FORCE INDEX ({index})", "mysql")


def readable_count(parts, most):
    """How many messages ``parts`` (readable_by_index) select, counting to
    ``most`` at most in each (index entries only)."""
    c = message_table.c
    each = [_by_index(select(c.id).where(cond), index).limit(most) for cond, index in parts]
    return db.session.execute(select(func.count()).select_from(union_all(*each).subquery())).scalar()


def scan_readable(parts, terms, before, limit):
    """The newest ``limit`` messages of ``parts`` (readable_by_index) below
    ``before`` that hold every word of ``terms``: the database keeps the rows
    whose text holds each word anywhere (LIKE: the column's collation sets
    case and accents aside, as the FULLTEXT index does) and the word rule
    (whole words, prefixes from PREFIX_FROM letters) is applied here, on
    pages of Ids and texts only (the driver reads each row in Python, on the
    loop), the first just twice what is wanted."""
    c = message_table.c
    folded = [t if is_cjk(t) else fold(t) for t in terms]
    likes = [c.content.like(f"%{t}%") for t in terms]
    found: dict[int, Any] = {}
    size = min(SCAN_PAGE, 2 * limit)
    while True:
        each = []
        for cond, index in parts:
            query = _by_index(select(c.id, c.content).where(cond, c.media.notin_(UNSEARCHED), *likes), index)
            if before is not None:
                query = query.where(c.id < before)
            each.append(query.order_by(c.id.desc()).limit(size))
        page = union_all(*each).subquery()
        rows = db.session.execute(select(page).order_by(page.c.id.desc()).limit(size)).all()
        # (A message to oneself is both sent and received: found once.)
        found.update((msg_id, True) for msg_id, content in rows if holds_every(content, folded))
        if len(found) >= limit or len(rows) < size:
            break
        before, size = rows[-1][0], min(SCAN_PAGE, size * 4)
    ids = sorted(found, reverse=True)[:limit]
    if not ids:
        return []
    return db.session.execute(select(message_table).where(c.id.in_(ids)).order_by(c.id.desc())).mappings().all()


def holds_every(content, terms):
    """Does ``content`` hold each of ``terms`` (folded) as a word, or as the
    start of one from PREFIX_FROM letters, a CJK term anywhere?"""
    content = unicodedata.normalize("NFKC", content)
    words = {fold(p) for w in WORD_RE.findall(content) for p in pieces(w) if not is_cjk(p)}
    cjk = content.casefold()
    return all(t in cjk if is_cjk(t) else any(word_matches(w, t) for w in words) for t in terms)


def word_matches(word, term):
    """Does ``word`` match ``term`` (both folded): equal, or from PREFIX_FROM letters on, its start?"""
    return word.startswith(term) if len(term) >= PREFIX_FROM else word == term


def within_budget(query):
    """The rows of ``query``, stopped by the server past SEARCH_BUDGET seconds (503)."""
    conn = db.session.connection()
    budget = settings().search_budget
    if getattr(conn.dialect, "is_mariadb", False):
        limit, reset = f"SET SESSION max_statement_time = {budget:g}", "SET SESSION max_statement_time = 0"
    else:
        limit, reset = f"SET SESSION max_execution_time = {int(budget * 1000)}", "SET SESSION max_execution_time = 0"
    conn.exec_driver_sql(limit)
    try:
        return conn.execute(query).mappings().all()
    except sa_exc.OperationalError as exc:
        if (
            exc.orig is not None and exc.orig.args and exc.orig.args[0] in (1969, 3024)
        ):  # MariaDB's, MySQL's "interrupted: time's up"
            raise too_slow(budget) from None
        raise
    finally:
        conn.exec_driver_sql(reset)


def _word(term):
    if is_cjk(term):
        tokens, prefix = cjk_tokens(term)
        return f'"{tokens[0]}"*' if prefix else '"' + " ".join(tokens) + '"'  # a phrase: consecutive tokens
    return f'"{term}"*' if len(term) >= PREFIX_FROM else f'"{term}"'


def fts5_query(user_id, groups, terms):
    """The FTS5 MATCH expression: every word in the text and one of the
    searcher's reader tokens (terms are letters and digits: quoting them
    leaves no FTS5 syntax in them). Every group is named, however many: the
    read rule stays in the index, so the query walks the searcher's messages
    and never the whole table (which a member of many groups could make it
    do, issue 24)."""
    words = " AND ".join(_word(t) for t in terms)
    readers = [f"u{int(user_id)}"] + [f"g{int(gid)}" for gid in sorted(groups)]
    return f"content : ({words}) AND readers : ({' OR '.join(readers)})"


def tsquery(terms):
    """A to_tsquery text: each word (letters and digits, nothing to escape),
    prefixes as ``word:*``, a CJK word as the phrase of its tokens."""
    return " & ".join(_tsquery_term(t) for t in terms)


def _tsquery_term(term):
    if is_cjk(term):
        tokens, prefix = cjk_tokens(term)
        return f"{tokens[0]}:*" if prefix else "(" + " <-> ".join(tokens) + ")"
    return f"{term.lower()}:*" if len(term) >= PREFIX_FROM else term.lower()


def _against(term):
    if is_cjk(term):
        tokens, prefix = cjk_tokens(term)
        return f"+{tokens[0]}*" if prefix else '+"' + " ".join(tokens) + '"'
    return f"+{term}*" if len(term) >= PREFIX_FROM else f"+{term}"


def mysql_conditions(terms):
    """MATCH ... AGAINST for the words the FULLTEXT index holds, a word-boundary REGEXP for the others."""
    min_size, stopwords = _mysql_index_limits()
    indexed: list[str] = []
    others: list[str] = []
    for term in terms:
        low = term.lower()
        (indexed if is_cjk(term) or (len(term) >= min_size and low not in stopwords) else others).append(low)
    conditions: list[ColumnElement[bool] | TextClause] = []
    if indexed:
        against = " ".join(_against(t) for t in indexed)
        conditions.append(
            text("MATCH (message.content, message.search_text) AGAINST (:against IN BOOLEAN MODE)").bindparams(
                against=against
            )
        )
    for term in others:  # letters and digits: nothing a regular expression gives a meaning to
        pattern = f"\\b{term}" if len(term) >= PREFIX_FROM else f"\\b{term}\\b"
        conditions.append(message_table.c.content.regexp_match(pattern))
    return conditions


def _mysql_index_limits():
    """(innodb_ft_min_token_size, the stop words) of this server, read once."""
    bind = db.session.get_bind()
    key = str(bind.engine.url)
    if key not in _mysql_limits:
        conn = db.session.connection()
        min_size, enabled, table_name = conn.execute(
            text("SELECT @@innodb_ft_min_token_size, @@innodb_ft_enable_stopword, @@innodb_ft_server_stopword_table")
        ).one()
        words: set[str] = set()
        if enabled:
            if table_name:
                schema, _, name = str(table_name).partition("/")
                quote = conn.dialect.identifier_preparer.quote
                words = set(conn.execute(text(f"SELECT value FROM {quote(schema)}.{quote(name)}")).scalars())
            else:
                words = set(
                    conn.execute(text("SELECT value FROM INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD")).scalars()
                )
        _mysql_limits[key] = (int(min_size), {str(w).lower() for w in words})
    return _mysql_limits[key]
