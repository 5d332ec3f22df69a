"""Statements of the hot paths, run on the DB-API driver itself.

A Core or ORM ``execute`` builds a cache key for its statement, looks the
compiled form up and sets up an execution context on every call: for a
one-row read that is most of the cost (on SQLite, a session token's read
took 184 us through the ORM, 53 us through Core and 14 us here). Here a
statement is compiled once per dialect and its SQL text goes to a cursor
of the connection's DB-API connection, inside the Connection's own
transaction (``exec_driver_sql`` still built an execution context and a
result's metadata per call: for the message store's resend look-up, the
metadata of every column of ``message`` on every batch); the values of
typed parameters and columns (a DateTime on SQLite, which stores text) go
through the statement's own type processors, so what is sent and read
back is what Core would send and read. Errors are SQLAlchemy's, as with
``execute``, and a lost connection is invalidated as ``execute`` does."""

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import text

_COMPILED: dict[tuple[str, Any], "Compiled"] = {}  # (dialect name, key) -> Compiled
_MAX = 1024  # statements kept (the message store's look-up has shapes that vary with its batch)


class Compiled:
    """A statement compiled for one dialect: the driver's SQL, how to pick
    the driver's parameters from a dict of them (``pick``: None when the
    driver takes the dict by name), and the bind processors of the
    parameters and the result processors of the columns that have any."""

    __slots__ = ("binds", "columns", "pick", "sql")

    def __init__(self, statement, dialect):
        self.sql = str(statement)
        order = tuple(statement.positiontup) if statement.positional else None
        # The driver's parameters from a dict of them: a tuple in the
        # statement's order for a positional driver, else the dict itself.
        self.pick: Callable[[dict[str, Any]], Any] | None
        if order is None:
            self.pick = None
        elif len(order) == 1:
            self.pick = lambda params, name=order[0]: (params[name],)
        else:
            self.pick = itemgetter(*order) if order else lambda params: ()
        self.binds = []
        for name, bind in statement.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.binds.append((name, process))
        self.columns = []
        selected = getattr(statement.statement, "selected_columns", ())
        for index, column in enumerate(selected):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                self.columns.append((index, process))

    def parameters(self, params):
        if self.binds:
            params = dict(params)
            for name, process in self.binds:
                if name in params:
                    params[name] = process(params[name])
        return self.pick(params) if self.pick is not None else params

    def row(self, row):
        """A result row as a tuple, its typed columns converted."""
        if not self.columns:
            return tuple(row)
        values = list(row)
        for index, process in self.columns:
            values[index] = process(values[index])
        return tuple(values)


def compiled(dialect, key, build):
    """Statement ``key`` compiled for ``dialect``: ``build(dialect)`` makes
    its compiled form on the first use on each dialect, never again."""
    found = _COMPILED.get((dialect.name, key))
    if found is None:
        found = Compiled(build(dialect), dialect)
        if len(_COMPILED) >= _MAX:
            _COMPILED.clear()
        _COMPILED[(dialect.name, key)] = found
    return found


class Result:
    """The rows a statement read, as the driver gave them (typed columns not
    converted: see ``rows``), with the few accessors the callers use."""

    __slots__ = ("names", "data")

    def __init__(self, names, data):
        self.names = names
        self.data = data

    def __iter__(self):
        return iter(self.data)

    def all(self):
        return list(self.data)

    def scalar(self):
        return self.data[0][0] if self.data else None

    def mappings(self):
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.data]


def _run(conn, sql, params, many=False):
    """``sql`` on a cursor of ``conn``'s DB-API connection, in its transaction.
    Driver errors become SQLAlchemy's (a disconnection invalidates the
    connection, as ``Connection.execute`` would)."""
    if not conn.in_transaction():
        conn.begin()  # what exec_driver_sql's autobegin does
    dbapi_conn = conn.connection.dbapi_connection
    dialect = conn.dialect
    cursor = dbapi_conn.cursor()
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        description = cursor.description
        if description is None:
            return Result((), ())
        return Result(tuple(d[0] for d in description), cursor.fetchall())
    except dialect.loaded_dbapi.Error as error:
        disconnect = dialect.is_disconnect(error, dbapi_conn, cursor)
        if disconnect:
            conn.invalidate(error)
        raise sa_exc.DBAPIError.instance(
            sql, params, error, dialect.loaded_dbapi.Error, connection_invalidated=disconnect, dialect=dialect
        ) from error
    finally:
        try:
            cursor.close()
        except Exception:  # the connection is gone: nothing to close
            pass


def execute(conn, key, build, params):
    """Run statement ``key`` with ``params`` (by name) on ``conn``'s driver; the
    result is the driver's, its typed columns not converted (see ``rows``)."""
    statement = compiled(conn.dialect, key, build)
    return _run(conn, statement.sql, statement.parameters(params))


def executemany(conn, key, build, rows):
    """Statement ``key`` once for each dict of ``rows`` (an insert)."""
    statement = compiled(conn.dialect, key, build)
    return _run(conn, statement.sql, [statement.parameters(row) for row in rows], many=True)


def rows(conn, key, build, params):
    """The rows of select ``key`` as tuples, typed columns converted."""
    statement = compiled(conn.dialect, key, build)
    return [statement.row(row) for row in _run(conn, statement.sql, statement.parameters(params))]


def text_statement(sql):
    """A builder for ``execute``: ``sql`` with :name parameters."""
    return lambda dialect: text(sql).compile(dialect=dialect)


def core_statement(make):
    """A builder for ``execute``: the Core statement ``make()`` returns, with
    its bind parameters kept as parameters (named by ``bindparam``)."""
    return lambda dialect: make().compile(dialect=dialect)
