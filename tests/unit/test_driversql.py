"""Statements run on the driver (ginchat/models/driversql.py), on a plain
SQLAlchemy engine over a temporary SQLite file (no app, no server): typed
values go in and come back as Core would send and read them, and each
statement is compiled once per dialect."""

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, bindparam, create_engine, select

from ginchat.models import driversql

metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("at", DateTime),
)

AFTER = driversql.core_statement(
    lambda: (
        select(events.c.id, events.c.name, events.c.at)
        .where(events.c.at >= bindparam("after"), events.c.name != bindparam("skip"))
        .order_by(events.c.id)
    )
)


def engine_with_rows(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            events.insert(),
            [
                {"id": 1, "name": "old", "at": datetime(2020, 1, 1, 12, 0, 0)},
                {"id": 2, "name": "new", "at": datetime(2026, 12, 6, 6, 0, 0, 250)},
                {"id": 3, "name": "skip", "at": datetime(2026, 12, 6, 6, 0, 1)},
            ],
        )
    return engine


def test_typed_parameters_and_columns_match_core(tmp_path):
    engine = engine_with_rows(tmp_path)
    params = {"after": datetime(2026, 1, 1), "skip": "skip"}
    with engine.connect() as conn:
        rows = driversql.rows(conn, "after", AFTER, params)
        core = [tuple(row) for row in conn.execute(AFTER(conn.dialect).statement, params)]
    assert rows == core == [(2, "new", datetime(2026, 12, 6, 6, 0, 0, 250))]
    assert isinstance(rows[0][2], datetime)  # SQLite stores text; the column's processor made it a datetime


def test_a_statement_is_compiled_once_per_dialect(tmp_path):
    engine = engine_with_rows(tmp_path)
    builds = []

    def build(dialect):
        builds.append(dialect.name)
        return driversql.text_statement("SELECT count(*) FROM events WHERE id > :n")(dialect)

    with engine.connect() as conn:
        counts = [driversql.execute(conn, "count-after", build, {"n": n}).scalar() for n in (0, 1, 2)]
    assert counts == [3, 2, 1]
    assert builds == ["sqlite"]


def test_executemany_inserts_every_row(tmp_path):
    engine = engine_with_rows(tmp_path)

    def build(dialect):
        return events.insert().compile(dialect=dialect, column_keys=["id", "name", "at"])

    with engine.begin() as conn:
        driversql.executemany(
            conn,
            "insert-events",
            build,
            [{"id": 10 + n, "name": f"n{n}", "at": datetime(2027, 1, 1, 0, 0, n)} for n in range(3)],
        )
    with engine.connect() as conn:
        got = driversql.rows(conn, "after", AFTER, {"after": datetime(2027, 1, 1), "skip": ""})
    assert got == [(10 + n, f"n{n}", datetime(2027, 1, 1, 0, 0, n)) for n in range(3)]
