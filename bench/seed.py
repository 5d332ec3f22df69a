"""Seed a GinChat database for the bench, directly through the models' tables.

Registering thousands of users through the API costs ~0.2 s each (scrypt), so
the bench writes users, bearer tokens, friendships, one group and (scenario 4)
messages with bulk inserts instead: one password hash is computed and shared,
every user gets a token of its own (only its SHA-256 is stored, as the API
does). The server under test is not running meanwhile; it reads the same
database afterwards like any other.

Run: ``python -m bench.seed OUT.json --users N --pairs P --group G [--messages M]``
with the server's GINCHAT_* environment; writes the users and tokens to OUT.json.
"""

import argparse
import json
import random
import secrets
import sys
import time
from datetime import timedelta

PASSWORD = "bench-password"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--group", type=int, default=1000, help="members of the bench group (0: none)")
    ap.add_argument("--messages", type=int, default=0, help="messages stored (scenario 4)")
    ap.add_argument("--probe", type=int, default=1000, help="messages of the probed conversation (users 1-2)")
    args = ap.parse_args(argv)

    from sqlalchemy import insert, update
    from werkzeug.security import generate_password_hash

    from ginchat import create_app
    from ginchat.extensions import RedisHandle, db
    from ginchat.models import AuthToken, Community, Contact, UserBasic, message_table, msg_counter
    from ginchat.models.contact import FRIEND, MEMBER
    from ginchat.models.user_basic import utcnow
    from ginchat.utils.names import name_key, skeleton

    app = create_app({"LOG_LEVEL": "WARNING"})
    t0 = time.monotonic()
    users = []
    try:
        with app.app_context():
            # One hash for every user, and a cheap one: the browser clients log
            # in through the real route once per connection (a default scrypt
            # hash would cost the server ~0.1 s of CPU per login).
            pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
            now = utcnow()
            rows, toks = [], []
            for i in range(1, args.users + 1):
                name = f"bench{i}"
                rows.append(
                    dict(
                        id=i,
                        name=name,
                        name_key=name_key(name),
                        name_skeleton=skeleton(name),
                        password=pw,
                        created_at=now,
                        updated_at=now,
                    )
                )
                token = secrets.token_urlsafe(24)
                toks.append(
                    dict(
                        user_id=i,
                        digest=AuthToken.digest_of(token),
                        created_at=now,
                        expires_at=now + timedelta(days=30),
                        revoked=False,
                    )
                )
                users.append({"id": i, "token": token, "name": name, "password": PASSWORD, "groups": []})
            for chunk in range(0, len(rows), 5000):
                db.session.execute(insert(UserBasic.__table__), rows[chunk : chunk + 5000])
                db.session.execute(insert(AuthToken.__table__), toks[chunk : chunk + 5000])
            contacts = []
            pairs = []
            for k in range(args.pairs):
                a, b = 2 * k + 1, 2 * k + 2
                pairs.append([a, b])
                contacts.append(dict(owner_id=a, target_id=b, type=FRIEND, desc="", created_at=now))
                contacts.append(dict(owner_id=b, target_id=a, type=FRIEND, desc="", created_at=now))
            group_id = None
            if args.group:
                db.session.execute(
                    insert(Community.__table__),
                    [
                        dict(
                            id=1,
                            name="benchgroup",
                            name_key="benchgroup",
                            name_skeleton=skeleton("benchgroup"),
                            owner_id=1,
                            img="",
                            desc="",
                            created_at=now,
                        )
                    ],
                )
                group_id = 1
                for uid in range(1, args.group + 1):
                    contacts.append(dict(owner_id=uid, target_id=group_id, type=MEMBER, desc="", created_at=now))
                    users[uid - 1]["groups"].append(group_id)
            for chunk in range(0, len(contacts), 5000):
                db.session.execute(insert(Contact.__table__), contacts[chunk : chunk + 5000])
            db.session.commit()
            if args.messages:
                seed_messages(db, insert, update, message_table, msg_counter, args.messages, args.probe, args.pairs)
    finally:
        RedisHandle.close(app)
    with open(args.out, "w") as fh:
        json.dump({"users": users, "pairs": pairs, "group": group_id}, fh)
    print(
        f"seeded {args.users} users, {args.pairs} pairs, group of {args.group}, {args.messages} messages "
        f"in {time.monotonic() - t0:.1f}s",
        file=sys.stderr,
    )


# Words for the search scenario: the same in every database size, so that a
# query finds the same hits whatever the table's size. Each message has six
# words of a 5,000-word vocabulary (log-uniform: a few common, most rare) and:
#   rendezvous  in every 10th message of the whole table (probe and filler);
#   quartz      in 1 % of the filler and every 50th message of the probe (those
#               also hold rendezvous when the table's size is a multiple of 1,000);
#   zeppelin    in 5 % of the filler only: the probe's users have none.
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
VOCABULARY = [
    _SYLLABLES[n % 70] + _SYLLABLES[(n // 70) % 70] + _SYLLABLES[(n * 7 + 3) % 70] + "x"[: n % 2] for n in range(5000)
]


def words_for(msg_id, probe_index=None):
    rng = random.Random(msg_id)
    words = [VOCABULARY[int(5000 ** rng.random()) - 1] for _ in range(6)]
    if msg_id % 10 == 0:
        words.append("rendezvous")
    if (probe_index is not None and probe_index % 50 == 49) or (probe_index is None and msg_id % 100 == 7):
        words.append("quartz")
    if probe_index is None and msg_id % 20 == 3:
        words.append("zeppelin")
    return " ".join(words)


# The Chinese half of each message (issue 26): a sentence of three to six
# two-character words glued together, as Chinese is written, from a
# 1,600-word vocabulary whose characters never make the words below, and:
#   会议  inside the sentence of every 10th message (as rendezvous);
#   预算  in 1 % of the filler and every 50th message of the probe (as quartz);
#   飞艇  in 5 % of the filler only (as zeppelin); nobody wrote 火星.
_HAN = "我们你他她明天今下午上早晚开讨论项目代码测试版本发布文档问题方案进度客户需求设计产品服务数据接口系统网络安全"
ZH_VOCABULARY = [a + b for a in _HAN[:40] for b in _HAN if a != b][:1600]


def chinese_for(msg_id, probe_index=None):
    rng = random.Random(-msg_id)
    words = [ZH_VOCABULARY[int(1600 ** rng.random()) - 1] for _ in range(3 + msg_id % 4)]
    if msg_id % 10 == 0:
        words.insert(1, "会议")
    if (probe_index is not None and probe_index % 50 == 49) or (probe_index is None and msg_id % 100 == 7):
        words.insert(1, "预算")
    if probe_index is None and msg_id % 20 == 3:
        words.insert(1, "飞艇")
    return "".join(words) + "。"


def seed_messages(db, insert, update, table, counter, total, probe, pairs):
    """``total`` messages: filler among the other pairs first, then ``probe``
    messages between users 1 and 2 (the newest, so a query for them finds
    the same rows whatever the table's size)."""
    from ginchat.models import search_index
    from ginchat.models.message import conv_key
    from ginchat.utils.cjk import search_text

    now = int(time.time() * 1000)
    seqs = {}
    batch = []
    conn = db.session.connection()
    filler = max(0, total - probe)
    msg_id = 0

    def add(user, target, probe_index=None):
        nonlocal msg_id
        msg_id += 1
        conv = conv_key(1, user, target)
        seq = seqs.get(conv, 0) + 1
        seqs[conv] = seq
        batch.append((msg_id, conv, seq, user, target, probe_index))

    def flush():
        if batch:
            conn.execute(
                insert(table),
                [
                    dict(
                        id=i,
                        conv=c,
                        seq=s,
                        user_id=u,
                        target_id=t,
                        type=1,
                        media=1,
                        content=(text := f"seeded message {i} {words_for(i, k)} {chinese_for(i, k)}"),
                        search_text=search_text(text),
                        url="",
                        amount=0,
                        client_msg_id=None,
                        create_time=now,
                    )
                    for i, c, s, u, t, k in batch
                ],
            )
            batch.clear()

    for k in range(filler):
        pair = 1 + k % max(1, pairs - 1)  # pairs 2..: users 3 and up
        a, b = 2 * pair + 1, 2 * pair + 2
        add(a, b) if k % 2 == 0 else add(b, a)
        if len(batch) >= 20000:
            flush()
            db.session.commit()
            conn = db.session.connection()
            if msg_id % 200000 < 20000:
                print(f"  {msg_id} messages", file=sys.stderr, flush=True)
    for k in range(min(probe, total)):
        add(1, 2, k) if k % 2 == 0 else add(2, 1, k)
    flush()
    conn.execute(update(counter).where(counter.c.name == "message").values(value=msg_id))
    # SQLite's full-text index follows the table (0017): index them all now,
    # as the server's store would in the background, before any search is timed.
    search_index.index_pending(conn, most=None)
    db.session.commit()


if __name__ == "__main__":
    main()
