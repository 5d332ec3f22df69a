"""Faults: Redis stopped and started again, the database unavailable for a
while, SIGTERM and a restart, and thousands of connections dropped abruptly.
(A client that never reads: tests/test_chat.py.)"""

import logging
import os
import secrets
import signal
import socket
import sqlite3
import struct
from urllib.parse import urlsplit, urlunsplit

import gevent
import gevent.server
import gevent.socket
import pytest
import redis as redis_lib
import requests
import websocket
from sqlalchemy import create_engine, text

from conftest import DB_KIND
from helpers import Api, wait_for
from multinode import NodeProcess, RedisServer, node_settings, shared  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # node processes, a Redis of their own, faults injected


def close_code_and_frames(conn, timeout=20):
    """Every message frame until the server's close frame, and its code."""
    conn.settimeout(timeout)
    frames = []
    while True:
        try:
            opcode, frame = conn.recv_data_frame(True)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return None, frames
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return (struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None), frames
        if opcode == websocket.ABNF.OPCODE_TEXT:
            import json

            frames.append(json.loads(frame.data.decode()))


@pytest.fixture
def errors_logged(caplog):
    """ERROR records of the ginchat loggers (expected: none)."""
    caplog.set_level(logging.WARNING, logger="ginchat")
    return lambda: [r for r in caplog.records if r.name.startswith("ginchat") and r.levelno >= logging.ERROR]


# --- Redis stopped and restarted ------------------------------------------------------
def test_chat_goes_on_while_redis_is_down_and_presence_recovers(make_server, workdir, errors_logged):
    redis_server = RedisServer(workdir).start().wait_ready()
    try:
        server = make_server(REDIS_URL=redis_server.url, HEARTBEAT_TIMEOUT=3, HEARTBEAT_INTERVAL=1)
        api = Api(server)
        a, b = api.user(), api.user()
        api.befriend(a, b)
        wa, wb = a.ws(), b.ws()
        probe = redis_lib.Redis.from_url(redis_server.url)
        assert wait_for(lambda: probe.exists(f"online_{a.id}") == 1, timeout=10)

        redis_server.stop()
        for i in range(5):
            wa.send(Type=1, TargetId=b.id, Content=f"while down {i}", ClientMsgId=f"down-{i}")
        assert [m["Content"] for m in wb.messages(5)] == [f"while down {i}" for i in range(5)]
        assert requests.get(server.url + "/health", timeout=10).status_code == 503
        # Friends still load (everyone shown offline), logins still work.
        assert b.post("/searchFriends").json()["Rows"][0]["Online"] is False
        c = api.user()
        assert c.id

        # The same port, an empty Redis: presence comes back by itself.
        redis_server = RedisServer(workdir, port=redis_server.port).start().wait_ready()
        probe = redis_lib.Redis.from_url(redis_server.url)
        assert wait_for(lambda: probe.exists(f"online_{a.id}") == 1 and probe.exists(f"online_{b.id}") == 1, timeout=15)
        assert wait_for(lambda: requests.get(server.url + "/health", timeout=10).status_code == 200, timeout=10)
        wa.send(Type=1, TargetId=b.id, Content="after", ClientMsgId="after")
        assert wb.messages(1)[0]["Content"] == "after"
        assert a.id in server.engine.client_map and b.id in server.engine.client_map
        # And the limits count again once Redis is back.
        for i in range(40):
            wa.send(Type=1, TargetId=b.id, Content=f"count {i}")
            wb.messages(1)
            if probe.exists(f"rl:msg:{a.id}"):
                break
            gevent.sleep(0.2)  # the poll interval: each round sends a message and looks again
        assert probe.exists(f"rl:msg:{a.id}")
        wa.close()
        wb.close()
        assert errors_logged() == []
    finally:
        redis_server.stop()


# --- the database unavailable -----------------------------------------------------------
class TcpCutter:
    """A TCP relay in front of the database server: ``cut()`` drops every
    connection and refuses new ones (a network fault), ``mend()`` ends it."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.down = False
        self.pairs = []
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()
        self.port = self.server.server_port

    def _handle(self, client, _addr):
        if self.down:
            client.close()
            return
        try:
            upstream = gevent.socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        pair = (client, upstream)
        self.pairs.append(pair)
        jobs = [gevent.spawn(self._pump, client, upstream), gevent.spawn(self._pump, upstream, client)]
        gevent.joinall(jobs)
        for sock in pair:
            sock.close()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.down = True
        for pair in self.pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.pairs = []

    def mend(self):
        self.down = False

    def stop(self):
        self.cut()
        self.server.stop()


class DatabaseFault:
    """A real outage of the database the app uses: a locked SQLite file (with
    a short busy timeout), or a cut connection to the MySQL/PostgreSQL server."""

    def __init__(self, base_config):
        self.url = base_config["SQLALCHEMY_DATABASE_URI"]
        self.cutter = None
        self.lock = None
        if DB_KIND == "sqlite":
            self.path = self.url.split("///", 1)[1]
            self.overrides = {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.2}}}
        else:
            parts = urlsplit(self.url)
            self.cutter = TcpCutter(parts.hostname, parts.port)
            netloc = parts.netloc.rsplit("@", 1)
            host = f"127.0.0.1:{self.cutter.port}"
            netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
            self.overrides = {
                "SQLALCHEMY_DATABASE_URI": urlunsplit(parts._replace(netloc=netloc)),
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            }

    def start(self):
        if self.cutter:
            self.cutter.cut()
        else:
            self.lock = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")

    def end(self):
        if self.cutter:
            self.cutter.mend()
        else:
            self.lock.execute("ROLLBACK")
            self.lock.close()

    def close(self):
        if self.cutter:
            self.cutter.stop()


def test_database_outage_gives_error_frames_and_loses_nothing_acknowledged(
    make_server, base_config, api, errors_logged
):
    fault = DatabaseFault(base_config)
    try:
        server = make_server(RATE_LIMITS="off", **fault.overrides)
        sapi = Api(server)
        a, b = sapi.user(), sapi.user()
        sapi.befriend(a, b)
        group = sapi.group(b, a)
        wa, wb = a.ws(), b.ws()
        wa.send(Type=1, TargetId=b.id, Content="before", ClientMsgId="before")
        assert wb.messages(1)[0]["Content"] == "before"
        assert wa.messages(1)[0]["ClientMsgId"] == "before"

        fault.start()
        answers = {}
        for i in range(6):
            wa.send(Type=1, TargetId=b.id, Content=f"m{i}", ClientMsgId=f"m-{i}")
        # A rule that is not in memory yet must be read from SQL: refused too.
        wa.send(Type=2, TargetId=group["ID"], Content="to the group", ClientMsgId="g-0")
        while len(answers) < 7:
            frame = wa.recv(timeout=30)
            answers[frame["ClientMsgId"]] = frame
        refused = [cmid for cmid, f in answers.items() if f["Type"] == -1]
        assert refused, answers
        assert all(answers[c]["Code"] == 503 and "database is unavailable" in answers[c]["Msg"] for c in refused)
        assert "g-0" in refused
        fault.end()

        # The connection stayed open: the senders resend what was refused.
        acked = {cmid: f["Id"] for cmid, f in answers.items() if f["Type"] != -1}
        deadline_tries = 0
        while refused and deadline_tries < 50:
            deadline_tries += 1
            for cmid in refused:
                if cmid == "g-0":
                    wa.send(Type=2, TargetId=group["ID"], Content="to the group", ClientMsgId=cmid)
                else:
                    wa.send(Type=1, TargetId=b.id, Content="m" + cmid[2:], ClientMsgId=cmid)
            again = {}
            while len(again) < len(refused):
                frame = wa.recv(timeout=30)
                if frame.get("ClientMsgId") in refused:
                    again[frame["ClientMsgId"]] = frame
            acked.update({c: f["Id"] for c, f in again.items() if f["Type"] != -1})
            refused = [c for c, f in again.items() if f["Type"] == -1]
            if refused:
                gevent.sleep(0.2)  # the pool reconnects
        assert not refused
        got = wb.messages(7, timeout=20)
        assert sorted(f["Id"] for f in got) == sorted(acked.values())
        assert [f for f in wb.quiet(0.5) if f.get("Type") in (1, 2)] == []
        # SQL holds exactly what was acknowledged, once each.
        rows = b.get("/message/sync", since=0, limit=200).json()["Rows"]
        assert sorted(r["Id"] for r in rows if r["ClientMsgId"] in acked) == sorted(acked.values())
        wa.close()
        wb.close()
        assert [r for r in errors_logged() if "database unavailable" not in r.getMessage()] == []
    finally:
        fault.close()


# --- SIGTERM and a restart ----------------------------------------------------------------
def test_sigterm_stores_what_is_queued_closes_with_1001_and_a_restart_loses_nothing(shared, workdir):
    settings = node_settings(shared["db"], shared["redis"], "none")
    node = NodeProcess("term-" + secrets.token_hex(3), workdir, settings).start().wait_ready()
    try:
        api = node.api
        a, b = api.user(), api.user()
        api.befriend(a, b)
        wa, wb = api.ws(a), api.ws(b, since=0)
        count = 400
        for i in range(count):
            wa.send(Type=1, TargetId=b.id, Content=f"n{i}", ClientMsgId=f"n-{i}")
        first = wa.messages(1)  # the node is busy with them: stop it now
        os.killpg(node.proc.pid, signal.SIGTERM)
        code_a, frames_a = close_code_and_frames(wa.conn)
        frames_a = first + frames_a
        code_b, frames_b = close_code_and_frames(wb.conn)
        assert code_a == 1001 and code_b == 1001, (code_a, code_b)
        assert node.proc.wait(timeout=30) == 0
        log = node.log()
        assert "Traceback" not in log and "still unstored" not in log, log[-3000:]

        node.start().wait_ready()
        acks = {f["ClientMsgId"]: f["Id"] for f in frames_a if f.get("Type") == 1}
        assert acks, "the sender got no acknowledgement before the close"
        seen = [f["Id"] for f in frames_b if f.get("Type") == 1]
        wb2 = api.ws(b, since=max(seen) if seen else 0)
        stored = b.get("/message/sync", since=0, limit=1000).json()["Rows"]
        stored_ids = sorted(r["Id"] for r in stored)
        rest = wb2.messages(len(stored_ids) - len(seen), timeout=20) if len(stored_ids) > len(seen) else []
        assert [f for f in wb2.quiet(0.5) if f.get("Type") in (1, 2)] == []
        got = seen + [f["Id"] for f in rest]
        assert sorted(got) == stored_ids, "the recipient got each stored message exactly once"
        # Everything stored before the shutdown was acknowledged before the
        # close frame (the store queue was drained first), and every
        # acknowledged message is stored.
        assert sorted(acks.values()) == stored_ids
        wb2.close()
    finally:
        node.stop()


@pytest.mark.skipif(
    DB_KIND == "sqlite",
    reason="a locked SQLite file blocks the whole process inside SQLite; this runs on MySQL/MariaDB and PostgreSQL",
)
def test_sigterm_with_a_storage_backlog_stores_it_before_closing(shared, workdir):
    settings = node_settings(shared["db"], shared["redis"], "none")
    node = NodeProcess("backlog-" + secrets.token_hex(3), workdir, settings).start().wait_ready()
    lock_engine = create_engine(shared["db"])
    try:
        api = node.api
        a, b = api.user(), api.user()
        api.befriend(a, b)
        wa = api.ws(a)
        with lock_engine.connect() as conn:
            # Hold the Id counter's row: every storage transaction waits.
            conn.execute(text("UPDATE msg_counter SET value = value WHERE name = 'message'"))
            count = 50
            for i in range(count):
                wa.send(Type=1, TargetId=b.id, Content=f"q{i}", ClientMsgId=f"q-{i}")
            assert wait_for(lambda: node.health()["StoreQueue"] + 1 >= count, timeout=20), node.health()
            os.killpg(node.proc.pid, signal.SIGTERM)
            gevent.sleep(1.0)  # deliberately: time in which the node must not exit with a backlog
            assert node.proc.poll() is None
            conn.rollback()
        code, frames = close_code_and_frames(wa.conn)
        assert code == 1001
        assert sorted(f["ClientMsgId"] for f in frames if f.get("Type") == 1) == sorted(f"q-{i}" for i in range(count))
        assert node.proc.wait(timeout=30) == 0
    finally:
        lock_engine.dispose()
        node.stop()


# --- thousands of connections dropped abruptly -------------------------------------------------
def socket_ports(pid):
    """Each TCP socket inode of ``pid`` -> its remote port (0 for a listener)."""
    ports = {}
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            ports[cols[9]] = int(cols[2].rsplit(":", 1)[1], 16)
    return ports


def fds_apart_from(pid, port):
    """(descriptors of ``pid`` apart from its sockets to ``port``, those sockets)."""
    ports = socket_ports(pid)
    to_port = other = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:[") and ports.get(target[8:-1]) == port:
            to_port += 1
        else:
            other += 1
    return other, to_port


def test_two_thousand_connections_dropped_abruptly_leak_nothing(shared, workdir):
    settings = node_settings(shared["db"], shared["redis"], "none")
    pool_max = settings["REDIS_MAX_CONNECTIONS"] = 20
    settings["MAX_SOCKETS_PER_USER"] = 0  # 100 sockets for each of its 20 users
    redis_port = urlsplit(shared["redis"]).port or 6379
    node = NodeProcess("leak-" + secrets.token_hex(3), workdir, settings).start().wait_ready()
    try:
        api = node.api
        users = [api.user() for _ in range(20)]
        port = node.port
        conns = []

        def open_one(k):
            user = users[k % len(users)]
            if k % 10 == 9:  # some never finish the handshake
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(b"GET /chat?token=" + user.token.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: web")
                return sock
            conn = websocket.create_connection(f"{node.ws_url}/chat?token={user.token}", timeout=30)
            if k % 3 == 0:
                conn.send('{"Type": 3}')
            return conn.sock

        def open_many(total):
            socks = []
            for start in range(0, total, 100):
                jobs = [gevent.spawn(open_one, k) for k in range(start, start + 100)]
                gevent.joinall(jobs, raise_error=True)
                socks += [j.value for j in jobs]
            return socks

        def drop(socks):  # abruptly: a reset, no close frame
            for sock in socks:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()

        # Warm up with the same kind of burst, so the database connection
        # pool has grown to what such a burst needs.
        drop(open_many(200))
        assert wait_for(lambda: node.health()["Connections"] == 0, timeout=20)
        gevent.sleep(1)  # deliberately: the pools' idle greenlets and sockets settle before the sample

        def sample():
            # The Redis pool may still grow after the warm-up, by however many
            # commands a burst happens to have in flight at once: its sockets
            # are counted apart, against the pool's bound (REDIS_MAX_CONNECTIONS).
            fds, to_redis = fds_apart_from(node.proc.pid, redis_port)
            greenlets = requests.get(node.url + "/health?detail=1", timeout=30).json()["Data"]["Greenlets"]
            return fds, greenlets, to_redis

        fds_before, greenlets_before, _ = sample()
        total = 2000
        conns = open_many(total)
        opened = node.health()["Connections"]
        assert opened >= total * 0.9 - 5, opened
        assert fds_apart_from(node.proc.pid, redis_port)[0] > fds_before + opened  # each socket is really held
        drop(conns)
        assert wait_for(lambda: node.health()["Connections"] == 0, timeout=60)

        def settled():
            fds, greenlets, to_redis = sample()
            settled.last = (fds, greenlets, to_redis)
            return fds <= fds_before + 2 and greenlets <= greenlets_before + 2 and to_redis <= pool_max

        assert wait_for(settled, timeout=30, interval=0.5), (
            f"before: {fds_before} fds (sockets to Redis apart), {greenlets_before} greenlets; "
            f"after (fds, greenlets, sockets to Redis): {settled.last}; the Redis pool holds {pool_max} at most"
        )
        log = node.log()
        assert "Traceback" not in log, log[log.find("Traceback") - 300 :][:4000]
        print(
            f"\n2,000 dropped connections: fds {fds_before} -> {settled.last[0]}, "
            f"greenlets {greenlets_before} -> {settled.last[1]}, "
            f"sockets to Redis {settled.last[2]} (at most {pool_max})"
        )
    finally:
        node.stop()
