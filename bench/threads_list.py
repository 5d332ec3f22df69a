"""How long one page of the Threads view (GET /message/threads) takes for a
user who follows thousands of threads in a big database (issue 28: "a Threads
view that never loads on a big database").

It builds a SQLite database of its own (a temporary folder, the app's schema
by its migrations), fills it with bulk inserts: ``--messages`` messages
(default 200,000) in ``--groups`` groups of which user 1 is a member, of
which ``--threads`` (default 5,000) are roots with replies; user 1 follows
every thread (and reads a tenth of them), the root's author and the repliers
follow theirs too. Then it asks for pages of user 1's list through the route
itself (Flask's test client with a bearer token, so the JSON, the access
rules and the unread counts are in the time): the first page, one in the
middle and the last, each ``--repeat`` times, and prints the median and the
slowest of each, and SQLite's plan of the list query (which index it uses).

Not part of ``make bench`` (it needs no server, and takes about a minute,
most of it the filling). Run:

    .venv/bin/python -m bench.threads_list [--messages 200000] [--threads 5000] [--repeat 20]
"""

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=5_000)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--size", type=int, default=20, help="threads per page (the browser asks for 20)")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the database folder (printed)")
    args = ap.parse_args(argv)
    if args.threads * 2 > args.messages:
        ap.error("--messages must be at least twice --threads (a root and a reply each)")

    folder = tempfile.mkdtemp(prefix="bench-threads-")
    print(f"{processor()}, {os.cpu_count()} cores; load average at the start: {load()}")
    try:
        run(args, folder)
        print(f"load average at the end: {load()}")
    finally:
        if args.keep:
            print(f"database kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def processor():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "processor unknown"


def load():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run(args, folder):
    from ginchat import create_app
    from ginchat.extensions import RedisHandle

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/ginchat.db",
            "INSTANCE_PATH": folder,
            "LOG_LEVEL": "WARNING",
            "BUS": "none",
            "RATE_LIMITS": "off",
        }
    )
    try:
        t0 = time.monotonic()
        with app.app_context():
            token = fill(args)
        print(
            f"filled: {args.messages:,} messages, {args.threads:,} threads followed by user 1, "
            f"{args.groups} groups, {args.users} users in {time.monotonic() - t0:.1f} s",
            file=sys.stderr,
        )
        with app.app_context():
            plan(args)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        pages = (args.threads + args.size - 1) // args.size
        print(f"GET /message/threads?size={args.size} (user 1: {args.threads:,} threads, {pages} pages)")
        for page in sorted({1, (pages + 1) // 2, pages}):
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                r = client.get("/message/threads", query_string={"page": page, "size": args.size}, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, r.get_data(as_text=True)[:200]
            body = r.get_json()
            assert body["Total"] == args.threads and len(body["Rows"]) > 0, body["Total"]
            print(
                f"  page {page:>4}: median {statistics.median(times):6.1f} ms, slowest {max(times):6.1f} ms "
                f"({len(body['Rows'])} rows, {body['Data']['Unread']:,} unread threads)"
            )
    finally:
        RedisHandle.close(app)


def fill(args):
    """The rows, by bulk inserts; answers user 1's bearer token."""
    from sqlalchemy import insert, update
    from werkzeug.security import generate_password_hash

    from ginchat.extensions import db
    from ginchat.models import AuthToken, Community, Contact, UserBasic, message_table, msg_counter
    from ginchat.models.contact import MEMBER
    from ginchat.models.thread import thread_follow
    from ginchat.models.user_basic import utcnow
    from ginchat.utils.names import name_key, skeleton

    rng = random.Random(28)
    now = utcnow()
    pw = generate_password_hash("bench-password", method="pbkdf2:sha256:1000")
    db.session.execute(
        insert(UserBasic.__table__),
        [
            dict(
                id=i,
                name=f"tb{i}",
                name_key=name_key(f"tb{i}"),
                name_skeleton=skeleton(f"tb{i}"),
                password=pw,
                created_at=now,
                updated_at=now,
            )
            for i in range(1, args.users + 1)
        ],
    )
    token = secrets.token_urlsafe(24)
    db.session.execute(
        insert(AuthToken.__table__),
        [
            dict(
                user_id=1,
                digest=AuthToken.digest_of(token),
                created_at=now,
                expires_at=now + timedelta(days=1),
                revoked=False,
            )
        ],
    )
    groups = list(range(1, args.groups + 1))
    db.session.execute(
        insert(Community.__table__),
        [
            dict(
                id=g,
                name=f"tg{g}",
                name_key=f"tg{g}",
                name_skeleton=skeleton(f"tg{g}"),
                owner_id=1,
                img="",
                desc="",
                created_at=now,
            )
            for g in groups
        ],
    )
    db.session.execute(
        insert(Contact.__table__),
        [
            dict(owner_id=u, target_id=g, type=MEMBER, desc="", created_at=now)
            for g in groups
            for u in range(1, args.users + 1)
        ],
    )
    db.session.commit()

    # Messages in Id order, each in a random group; the first --threads of
    # them spread over the table are roots, and every reply goes to a root
    # written before it. Replies: about half of the messages after the roots.
    total = args.messages
    every = total // args.threads
    roots = {}  # root id -> {"group", "user", "replies", "last", "last_time", "users"}
    open_roots = []
    seqs = {}
    rows = []
    follows = []
    start_ms = int(time.time() * 1000) - total * 1000
    conn = db.session.connection()

    def flush():
        if rows:
            conn.execute(insert(message_table), rows)
            rows.clear()

    for msg_id in range(1, total + 1):
        user = rng.randint(1, args.users)
        created = start_ms + msg_id * 1000
        root_id = None
        if msg_id % every == 1 and len(roots) < args.threads:
            group = rng.choice(groups)
            roots[msg_id] = {
                "group": group,
                "user": user,
                "replies": 0,
                "last": None,
                "last_time": None,
                "users": {user},
            }
            open_roots.append(msg_id)
        elif open_roots and rng.random() < 0.5:
            root_id = open_roots[-1 - min(len(open_roots) - 1, int(rng.expovariate(0.05)))]  # mostly recent threads
            root = roots[root_id]
            group = root["group"]
            root["replies"] += 1
            root["last"], root["last_time"] = msg_id, created
            root["users"].add(user)
        else:
            group = rng.choice(groups)
        conv = f"g:{group}"
        seqs[conv] = seqs.get(conv, 0) + 1
        rows.append(
            dict(
                id=msg_id,
                conv=conv,
                seq=seqs[conv],
                user_id=user,
                target_id=group,
                type=2,
                media=1,
                content=f"message {msg_id}",
                search_text=f"message {msg_id}",
                url="",
                amount=0,
                client_msg_id=None,
                create_time=created,
                root_id=root_id,
            )
        )
        if len(rows) >= 20_000:
            flush()
    flush()
    # A root without a reply gets one at the end (a thread is a root with replies).
    msg_id = total
    for root_id, root in roots.items():
        if not root["replies"]:
            msg_id += 1
            conv = f"g:{root['group']}"
            seqs[conv] += 1
            rows.append(
                dict(
                    id=msg_id,
                    conv=conv,
                    seq=seqs[conv],
                    user_id=2,
                    target_id=root["group"],
                    type=2,
                    media=1,
                    content=f"message {msg_id}",
                    search_text=f"message {msg_id}",
                    url="",
                    amount=0,
                    client_msg_id=None,
                    create_time=start_ms + msg_id * 1000,
                    root_id=root_id,
                )
            )
            root.update(replies=1, last=msg_id, last_time=start_ms + msg_id * 1000)
            root["users"].add(2)
    flush()
    for root_id, root in roots.items():
        conn.execute(
            update(message_table)
            .where(message_table.c.id == root_id)
            .values(replies=root["replies"], last_reply=root["last"], last_reply_time=root["last_time"])
        )
        readers = root["users"] | {1}
        for user in readers:
            read_all = user != 1 or rng.random() < 0.1  # user 1 has read a tenth of them
            follows.append(
                dict(
                    user_id=user,
                    root_id=root_id,
                    conv=f"g:{root['group']}",
                    following=1,
                    read_id=root["last"] if read_all else root_id,
                )
            )
    for chunk in range(0, len(follows), 20_000):
        conn.execute(insert(thread_follow), follows[chunk : chunk + 20_000])
    conn.execute(update(msg_counter).where(msg_counter.c.name == "message").values(value=msg_id))
    db.session.commit()
    print(f"  {len(follows):,} thread_follow rows", file=sys.stderr)
    return token


def plan(args):
    """SQLite's plan of the list's page query for user 1."""
    from ginchat.extensions import db
    from ginchat.models import thread_list
    from ginchat.models.contact import Contact

    captured = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "thread_follow" in statement and "LIMIT" in statement.upper():
            captured.append((statement, parameters))

    from sqlalchemy import event

    engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        thread_list.followed(1, Contact.history_floors(1), 1, args.size)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    if not captured:
        return
    statement, parameters = captured[-1]
    raw = db.session.connection().connection.driver_connection
    steps = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    print("plan of the page query (SQLite):")
    for step in steps:
        print(f"  {step[-1]}")


if __name__ == "__main__":
    main()
