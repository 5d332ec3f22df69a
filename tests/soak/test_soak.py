"""The soak: constant chat against a real node process for SOAK_SECONDS
(default 180; CI runs 60), with reconnects (polite and abrupt) and resends
of unacknowledged messages, as the browser app does. At the end every sent
message is stored once and reached each of its recipients exactly once;
memory and file descriptors of the node did not grow beyond bounds.
Run with ``make soak`` (``SOAK_SECONDS=600 make soak``)."""

import json
import os
import random
import secrets
import socket
import struct
import time

import gevent
import pytest
import websocket

from multinode import NodeProcess, node_settings, shared  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # a long soak of node processes


SECONDS = float(os.environ.get("SOAK_SECONDS", "180"))
USERS = 10
SEND_EVERY = 0.1  # seconds between one user's messages (10 users: 100 msg/s)
RECONNECT_EVERY = (2.0, 8.0)  # seconds a connection lives


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Chatter:
    """One user: one connection at a time, reconnecting with since, resending
    what was not acknowledged."""

    def __init__(self, node, user, targets):
        self.node, self.user, self.targets = node, user, targets
        self.received = []  # Ids of message frames, over every connection, in order
        self.last_id = 0
        self.pending = {}  # ClientMsgId -> frame, until acknowledged
        self.sent = {}  # ClientMsgId -> frame, everything ever sent
        self.acked = {}  # ClientMsgId -> Id
        self.conn = None
        self.reconnects = 0
        self.errors = []

    def connect(self):
        self.conn = websocket.create_connection(
            f"{self.node.ws_url}/chat?token={self.user.token}&since={self.last_id}", timeout=30
        )
        for frame in list(self.pending.values()):
            self.conn.send(json.dumps(frame))

    def drop(self):
        conn, self.conn = self.conn, None
        if random.random() < 0.5:
            conn.close()
        else:  # abrupt: a reset, no close frame
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.sock.close()
        self.reconnects += 1

    def read(self, conn):
        while True:
            try:
                raw = conn.recv()
            except Exception:
                return
            if not raw:
                return
            frame = json.loads(raw)
            if frame.get("Type") in (1, 2):
                self.received.append(frame["Id"])
                self.last_id = max(self.last_id, frame["Id"])
                if frame["UserId"] == self.user.id and frame["ClientMsgId"] in self.pending:
                    self.acked[frame["ClientMsgId"]] = frame["Id"]
                    del self.pending[frame["ClientMsgId"]]
            elif frame.get("Type") == -1:
                self.errors.append(frame)

    def run(self, until):
        count = 0
        while time.monotonic() < until:
            self.connect()
            reader = gevent.spawn(self.read, self.conn)
            life = time.monotonic() + random.uniform(*RECONNECT_EVERY)
            while time.monotonic() < min(life, until):
                kind, target = random.choice(self.targets)
                cmid = f"s{self.user.id}-{count}"
                count += 1
                frame = {"Type": kind, "TargetId": target, "Media": 1, "Content": f"soak {cmid}", "ClientMsgId": cmid}
                self.pending[cmid] = self.sent[cmid] = frame
                try:
                    self.conn.send(json.dumps(frame))
                except Exception:
                    break
                gevent.sleep(SEND_EVERY)
            self.drop()
            reader.join(timeout=10)

    def settle(self):
        """Reconnect until every sent message is acknowledged."""
        for _ in range(20):
            self.connect()
            reader = gevent.spawn(self.read, self.conn)
            deadline = time.monotonic() + 10
            while self.pending and time.monotonic() < deadline:
                gevent.sleep(0.1)
            gevent.sleep(1.0)  # the last deliveries to this user
            self.conn.close()
            reader.join(timeout=10)
            if not self.pending:
                return


@pytest.mark.timeout(SECONDS + 600)
def test_soak_constant_chat_with_reconnects(shared, workdir):
    settings = node_settings(
        shared["db"],
        shared["redis"],
        "none",
        RATE_LIMITS="on",
        REGISTRATIONS_PER_IP=1000,
        LOGIN_FAILS_PER_IP=1000,
        SYNCS_PER_MINUTE=1_000_000,  # the check below pages through every message stored
    )
    node = NodeProcess("soak-" + secrets.token_hex(3), workdir, settings).start().wait_ready()
    try:
        api = node.api
        users = [api.user("soak") for _ in range(USERS)]
        for i in range(0, USERS, 2):
            api.befriend(users[i], users[i + 1])
        group = api.group(users[0], *users[1:])
        chatters = []
        for i, user in enumerate(users):
            partner = users[i + 1 if i % 2 == 0 else i - 1]
            chatters.append(Chatter(node, user, [(1, partner.id), (2, group["ID"])]))
        members = {u.id for u in users}

        start = time.monotonic()
        until = start + SECONDS
        jobs = [gevent.spawn(c.run, until) for c in chatters]
        gevent.sleep(min(30, SECONDS / 4))
        rss_warm = rss_kib(node.proc.pid)
        gevent.joinall(jobs, raise_error=True)
        rss_end = rss_kib(node.proc.pid)
        gevent.joinall([gevent.spawn(c.settle) for c in chatters], raise_error=True)

        # Every message sent was stored exactly once (resends by ClientMsgId too).
        stored = []
        since = 0
        while True:
            rows = users[0].get("/message/sync", since=since, limit=200).json()["Rows"]
            stored += rows
            if len(rows) < 200:
                break
            since = rows[-1]["Id"]
        # users[0] sees its private chat and the group; check the rest per user below.
        for c in chatters:
            assert not c.pending, f"user {c.user.id}: never acknowledged {list(c.pending)[:5]}"
            assert set(c.acked) == set(c.sent)
            assert [e for e in c.errors if e["Code"] != 429] == [], c.errors[:5]
        by_id = {}
        for c in chatters:
            for cmid, msg_id in c.acked.items():
                by_id.setdefault(msg_id, set()).add(cmid)
        assert all(len(v) == 1 for v in by_id.values())
        total = sum(len(c.sent) for c in chatters)
        assert len(by_id) == total, "each ClientMsgId stored once"

        # Each user received each message meant for them exactly once.
        frames = {row["Id"]: row for row in stored}
        for c in chatters:
            rows = []
            since = 0
            while True:
                page = c.user.get("/message/sync", since=since, limit=200).json()["Rows"]
                rows += page
                if len(page) < 200:
                    break
                since = page[-1]["Id"]
            expected = sorted(r["Id"] for r in rows)
            dupes = len(c.received) - len(set(c.received))
            assert dupes == 0, f"user {c.user.id}: {dupes} duplicate deliveries"
            assert sorted(c.received) == expected, (
                f"user {c.user.id}: missing {sorted(set(expected) - set(c.received))[:10]}"
            )
        assert members and frames

        # Bounded resources: no growth of descriptors once everyone left,
        # memory within a bound after the warm-up.
        gevent.sleep(1)
        health = node.health()
        assert health["Connections"] == 0
        growth_mib = (rss_end - rss_warm) / 1024
        reconnects = sum(c.reconnects for c in chatters)
        print(
            f"\nsoak: {SECONDS:.0f} s, {total} messages, {reconnects} reconnects, "
            f"RSS {rss_warm / 1024:.1f} -> {rss_end / 1024:.1f} MiB, fds {fds(node.proc.pid)}"
        )
        assert growth_mib < 40, f"RSS grew {growth_mib:.1f} MiB after the warm-up"
        assert fds(node.proc.pid) < 60
        assert "Traceback" not in node.log()
    finally:
        node.stop()
