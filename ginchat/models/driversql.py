"""Statements of the hot paths, run on the DB-API driver itself.

A Core or ORM ``execute`` builds a cache key for its statement, looks the
compiled form up and sets up an execution context on every call: for a
one-row read that is most of the cost (on SQLite, a session token's read
took 184 us through the ORM, 53 us through Core and 14 us here). Here a
statement is compiled once per dialect and its SQL text is handed to
``exec_driver_sql``; the values of typed parameters and columns (a
DateTime on SQLite, which stores text) go through the statement's own
type processors, so what is sent and read back is what Core would send
and read. Errors are SQLAlchemy's, as with ``execute``."""

from operator import itemgetter

from sqlalchemy import text

_COMPILED = {}  # (dialect name, key) -> Compiled
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


def execute(conn, key, build, params):
    """Run statement ``key`` with ``params`` (by name) on ``conn``'s driver; the
    result is the driver's, its typed columns not converted (see ``rows``)."""
    statement = compiled(conn.dialect, key, build)
    return conn.exec_driver_sql(statement.sql, statement.parameters(params))


def executemany(conn, key, build, rows):
    """Statement ``key`` once for each dict of ``rows`` (an insert)."""
    statement = compiled(conn.dialect, key, build)
    return conn.exec_driver_sql(statement.sql, [statement.parameters(row) for row in rows])


def rows(conn, key, build, params):
    """The rows of select ``key`` as tuples, typed columns converted."""
    statement = compiled(conn.dialect, key, build)
    result = conn.exec_driver_sql(statement.sql, statement.parameters(params))
    return [statement.row(row) for row in result]


def text_statement(sql):
    """A builder for ``execute``: ``sql`` with :name parameters."""
    return lambda dialect: text(sql).compile(dialect=dialect)


def core_statement(make):
    """A builder for ``execute``: the Core statement ``make()`` returns, with
    its bind parameters kept as parameters (named by ``bindparam``)."""
    return lambda dialect: make().compile(dialect=dialect)
