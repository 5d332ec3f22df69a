"""Probe (issue 24, item 2): does message search stall other people's chat?

Starts GinChat (bench/targets.py: a server process of its own, seeded with
``bench.seed``: filler messages among pairs of users, the newest ones
between users 1 and 2, "zeppelin" in 5 % of the filler and in none of
theirs), then measures a bystander's chat round trip (user 3 sends to user
4 over the WebSocket; the time until 4 receives it) for PHASE seconds each:

- ``baseline``: nobody searches;
- ``1 searcher`` / ``4 searchers``: users 1, 2, 5, 6 search without pause
  (queries that read many rows: a prefix of a word of every message, a
  word only others' messages hold, a common word);
- ``201 groups``: a user who created 201 empty groups searches (the read
  rule leaves the SQLite index past 200 groups on b474833).

Rate limits are off (as in the bench: the figures are what the searches
cost, not what the limit refuses; with limits on, each searcher gets
MESSAGE_SEARCHES_PER_MINUTE searches a minute). Every count and time is
bounded; only 127.0.0.1 is used.

Run from the repository: ``python -m bench.probes.search_flood --db sqlite``
(or ``--db mariadb``; MariaDB uses the database ``PROBE_MYSQL_DB``, dropped
and made anew). Prints one JSON line per phase and a table.
"""

import argparse
import itertools
import json
import os
import sys
import tempfile
import threading
import time

import requests
import websocket

from bench.targets import GinChat

PROBE_MYSQL_DB = os.environ.get("PROBE_MYSQL_DB", "ginchat_probe_h2")
QUERIES = ["see", "zeppelin", "rendezvous", "mes"]


def pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


class Target(GinChat):
    name = "probe"

    def reset_backends(self):
        if self.db_url and self.db_url.startswith("mysql"):
            import subprocess

            sql = f"DROP DATABASE IF EXISTS {PROBE_MYSQL_DB}; CREATE DATABASE {PROBE_MYSQL_DB} CHARACTER SET utf8mb4"
            subprocess.run(["mysql", "-h127.0.0.1", "-uroot", "-e", sql], check=True)


def bystander(url, sender, receiver, target, seconds, out):
    """Round trips sender -> receiver for ``seconds``, one every 20 ms."""
    ws_a = websocket.create_connection(f"{url}/chat?token={sender}", timeout=30)
    ws_b = websocket.create_connection(f"{url}/chat?token={receiver}", timeout=30)
    deadline = time.monotonic() + seconds
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
            mark = f"rt{n}-{time.monotonic_ns()}"
            t0 = time.perf_counter()
            ws_a.send(json.dumps({"Type": 1, "TargetId": target, "Media": 1, "Content": mark}))
            while True:
                frame = json.loads(ws_b.recv())
                if frame.get("Content") == mark:
                    break
            out.append(time.perf_counter() - t0)
            time.sleep(0.02)
    finally:
        ws_a.close()
        ws_b.close()


def searcher(base, token, stop, out, queries=QUERIES):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for q in itertools.cycle(queries):
        if stop.is_set():
            return
        t0 = time.perf_counter()
        try:
            r = session.get(f"{base}/message/search", params={"q": q}, timeout=60)
            out.append((time.perf_counter() - t0, r.status_code))
        except requests.RequestException:
            out.append((time.perf_counter() - t0, "error"))


def phase(name, base, ws_url, seed, tokens, seconds):
    users = {u["id"]: u["token"] for u in seed["users"]}
    stop = threading.Event()
    searches = []
    threads = [threading.Thread(target=searcher, args=(base, t, stop, searches)) for t in tokens]
    for t in threads:
        t.start()
    time.sleep(0.3 if tokens else 0)
    trips = []
    bystander(ws_url, users[3], users[4], 4, seconds, trips)
    stop.set()
    for t in threads:
        t.join(70)
    statuses = {}
    for _, status in searches:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    ok = [t for t, s in searches if s == 200]
    row = {
        "phase": name,
        "trips": len(trips),
        "trip_p50_ms": pct(trips, 0.5),
        "trip_p99_ms": pct(trips, 0.99),
        "searches": len(searches),
        "search_p50_ms": pct(ok, 0.5),
        "statuses": statuses,
    }
    print(json.dumps(row), flush=True)
    return row


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "mariadb"], default="sqlite")
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each phase")
    ap.add_argument("--groups", type=int, default=201)
    ap.add_argument("--workdir")
    args = ap.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="search-flood-")
    db_url = None
    if args.db == "mariadb":
        db_url = f"mysql+pymysql://root@127.0.0.1:3306/{PROBE_MYSQL_DB}"
    target = Target(workdir, "probe", "search flood", db_url=db_url)
    t0 = time.monotonic()
    seed = target.seed(users=60, pairs=20, group=0, messages=args.messages)
    print(f"seeded in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    target.start()
    try:
        base = f"http://127.0.0.1:{target.port}"
        ws_url = f"ws://127.0.0.1:{target.port}"
        tokens = {u["id"]: u["token"] for u in seed["users"]}
        rows = [
            phase("baseline", base, ws_url, seed, [], args.seconds),
            phase("1 searcher", base, ws_url, seed, [tokens[1]], args.seconds),
            phase("4 searchers", base, ws_url, seed, [tokens[i] for i in (1, 2, 5, 6)], args.seconds),
        ]
        many = tokens[50]
        t1 = time.perf_counter()
        for n in range(args.groups):
            r = requests.post(
                f"{base}/contact/createCommunity",
                data={"name": f"probe{n}"},
                headers={"Authorization": f"Bearer {many}"},
                timeout=30,
            )
            assert r.status_code == 201, r.text
        made = time.perf_counter() - t1
        print(f"{args.groups} groups made in {made:.1f} s", file=sys.stderr, flush=True)
        rows.append(phase(f"{args.groups} groups", base, ws_url, seed, [many], args.seconds))
    finally:
        target.stop()
    print(f"\n{args.db}, {args.messages} messages: bystander round trip (ms) and search time")
    print("| phase | trips | p50 | p99 | searches | search p50 | statuses |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['phase']} | {r['trips']} | {r['trip_p50_ms']} | {r['trip_p99_ms']} | {r['searches']} "
            f"| {r['search_p50_ms']} | {r['statuses']} |"
        )
    base_p50 = rows[0]["trip_p50_ms"] or 0
    worst = max((r["trip_p50_ms"] or 0) for r in rows[1:])
    print(f"worst p50 / baseline p50: {worst / base_p50:.1f}" if base_p50 else "")


if __name__ == "__main__":
    main()
