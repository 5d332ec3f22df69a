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

from sqlalchemy import column, func, literal_column, select, table, text

from ginchat.extensions import db
from ginchat.models.message import RECALLED, message_table, readable_by, to_frame
from ginchat.models.search_reader import SearchReader

FTS_TABLE = "message_fts"
FTS_VIEW = "message_search"
MYSQL_INDEX = "ix_message_content_ft"
PG_INDEX = "ix_message_content_tsv"
PREFIX_FROM = 3  # shorter words match whole words only (a one-letter prefix matches half the table)

_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))
_SIMPLE = literal_column("'simple'::regconfig")  # literal: the GIN index is on exactly this expression
_mysql_limits = {}


def in_models(name, type_, parent_names):
    """Alembic's include_name: leave the search engine's own objects (FTS5
    tables and their shadow tables, the full-text indexes) out of the
    comparison of the database with the models."""
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
    query = select(message_table).where(readable_by(user_id, groups), c.media != RECALLED)
    if dialect == "sqlite":
        query = query.join_from(_fts, message_table, c.id == _fts.c.rowid)
        query = query.where(_fts.c[FTS_TABLE].op("MATCH")(fts5_query(user_id, groups, terms)))
        if before is not None:
            query = query.where(_fts.c.rowid < before)
        query = query.order_by(_fts.c.rowid.desc())
    else:
        if before is not None:
            query = query.where(c.id < before)
        if dialect == "postgresql":
            vector = func.to_tsvector(_SIMPLE, c.content)
            query = query.where(vector.op("@@")(func.to_tsquery(_SIMPLE, tsquery(terms))))
        else:
            query = query.where(*mysql_conditions(terms))
        query = query.order_by(c.id.desc())
    query = query.limit(limit)
    if dialect == "sqlite":
        rows = SearchReader.of().rows(query, terms)
    else:
        rows = db.session.execute(query).mappings()
    return [to_frame(row) for row in rows]


def _word(term):
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
    """A to_tsquery text: each word (letters and digits, nothing to escape), prefixes as ``word:*``."""
    return " & ".join(f"{t.lower()}:*" if len(t) >= PREFIX_FROM else t.lower() for t in terms)


def mysql_conditions(terms):
    """MATCH ... AGAINST for the words the FULLTEXT index holds, a word-boundary REGEXP for the others."""
    min_size, stopwords = _mysql_index_limits()
    indexed, others = [], []
    for term in terms:
        low = term.lower()
        (indexed if len(term) >= min_size and low not in stopwords else others).append(low)
    conditions = []
    if indexed:
        against = " ".join(f"+{t}*" if len(t) >= PREFIX_FROM else f"+{t}" for t in indexed)
        conditions.append(
            text("MATCH (message.content) AGAINST (:against IN BOOLEAN MODE)").bindparams(against=against)
        )
    for term in others:  # letters and digits: nothing a regular expression gives a meaning to
        pattern = f"\\b{term}" if len(term) >= PREFIX_FROM else f"\\b{term}\\b"
        conditions.append(message_table.c.content.regexp_match(pattern))
    return conditions


def _mysql_index_limits():
    """(innodb_ft_min_token_size, the stop words) of this server, read once."""
    bind = db.session.get_bind()
    key = str(bind.url)
    if key not in _mysql_limits:
        conn = db.session.connection()
        min_size, enabled, table_name = conn.execute(
            text("SELECT @@innodb_ft_min_token_size, @@innodb_ft_enable_stopword, @@innodb_ft_server_stopword_table")
        ).one()
        words = set()
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
