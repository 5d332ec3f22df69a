"""GINCHAT_WORKERS=2 (issue 17 item 5): one port, two worker processes that
are nodes of one host over the bus. Connections land on both (the kernel's
SO_REUSEPORT spreading, seen through /health's node ids), messages between
users on different workers arrive exactly once, ``since`` replays them
exactly once, a killed worker is started again, SIGTERM to the master stops
everything cleanly, and the migrations of an empty database run once."""

import os
import signal
import socket
import ssl
import types

import pytest

from helpers import Api, wait_for
from multinode import NodeProcess, check_exactly_once, collect, free_port, node_settings, shared  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # worker processes on a shared database and bus

USERS = 12  # one connection each: all on one worker has a chance of 2**-11


def start_workers(shared, name, **extra):
    settings = node_settings(
        extra.pop("db", shared["db"]),
        extra.pop("redis", shared["redis"]),
        "udp",
        WORKERS=2,
        UDP_PORT=free_port(socket.SOCK_DGRAM),
        UDP_BROADCAST="127.255.255.255",
        **extra,
    )
    settings = {k: v for k, v in settings.items() if v is not None}
    node = NodeProcess(name, shared["workdir"], settings)
    return node.start().wait_ready()


def healths(node, until_nodes=2, timeout=60):
    """/health answers, by node id, until ``until_nodes`` different workers
    answered (each request is a new connection: the kernel picks a worker)."""
    seen = {}

    def probe():
        data = node.health()
        seen[data["Node"]] = data
        return len(seen) >= until_nodes

    assert wait_for(probe, timeout=timeout, interval=0.05), seen
    return seen


def serving(pid):
    """Whether ``pid`` is still a live wsgi.py process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"wsgi" in fh.read()
    except OSError:
        return False


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


@pytest.fixture(scope="module")
def workers(shared):
    node = start_workers(shared, "workers")
    yield node
    node.stop()


def test_two_workers_share_the_port_and_deliver_exactly_once(workers):
    nodes = healths(workers)
    assert sorted(d["Worker"] for d in nodes.values()) == [0, 1], nodes
    # The master relays its workers' log lines: one may reach the file a
    # moment after that worker answered.
    assert wait_for(lambda: all(f"worker {n} (pid" in workers.log() for n in (0, 1)), timeout=30), workers.log()
    assert "SO_REUSEPORT" not in workers.log()

    api = Api(workers)
    people = [api.user(f"w{i}") for i in range(USERS)]
    gid = api.group(people[0], *people[1:])["ID"]
    for a, b in zip(people[::2], people[1::2], strict=True):
        api.befriend(a, b)
    conns = [api.ws(user, since=0) for user in people]
    try:
        # Both workers hold some of them (the kernel spread the handshakes).
        counts = {}

        def both_busy():
            data = workers.health()
            counts[data["Node"]] = data["Connections"]
            return len(counts) == 2 and all(counts.values()) and sum(counts.values()) == USERS

        assert wait_for(both_busy, timeout=30, interval=0.05), counts

        for i, (user, conn) in enumerate(zip(people, conns, strict=True)):
            partner = people[i ^ 1]
            conn.send(Type=2, TargetId=gid, Media=1, Content=f"group from {user.name}", ClientMsgId=f"g{i}")
            conn.send(Type=1, TargetId=partner.id, Media=1, Content=f"to {partner.name}", ClientMsgId=f"p{i}")
        each = USERS + 2  # every group message, and both private ones of the pair
        got = [collect(conn, each, timeout=30) for conn in conns]
        group_ids = sorted({f["Id"] for frames in got for f in frames if f["Type"] == 2})
        assert len(group_ids) == USERS
        for i, frames in enumerate(got):
            pair = {f["Id"] for f in frames if f["Type"] == 1}
            assert len(pair) == 2, frames
            check_exactly_once(f"user {i}", frames, group_ids + sorted(pair))
    finally:
        for conn in conns:
            conn.close()

    # since replays every message once, on whichever worker the new socket lands.
    for i, user in enumerate(people[:4]):
        replay = api.ws(user, since=0)
        try:
            frames = collect(replay, USERS + 2, timeout=30)
        finally:
            replay.close()
        pair = sorted({f["Id"] for f in frames if f["Type"] == 1})
        check_exactly_once(f"replay of user {i}", frames, group_ids + pair)


def test_both_workers_serve_https_with_the_one_certificate(workers):
    """HTTPS_PORT is shared like PORT; the master made the certificate once,
    before the workers, so both serve the same one (and the same CA)."""
    ca_file = os.path.join(workers.dir, "instance", "tls", "ca.crt")
    secure = types.SimpleNamespace(
        url=f"https://127.0.0.1:{workers.https_port}", ws_url=f"wss://127.0.0.1:{workers.https_port}", ca_file=ca_file
    )
    api = Api(secure)
    seen, served = set(), set()

    def both_answer():
        with socket.create_connection(("127.0.0.1", workers.https_port), timeout=5) as raw:
            context = ssl.create_default_context(cafile=ca_file)
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_sock:
                served.add(tls_sock.getpeercert(binary_form=True))
        seen.add(api.get("/health").json()["Data"]["Node"])
        return len(seen) == 2

    assert wait_for(both_answer, timeout=60, interval=0.05), seen
    assert len(served) == 1
    assert f"https://127.0.0.1:{workers.https_port}/" in workers.log()
    a, b = api.user("wtls"), api.user("wtls")
    api.befriend(a, b)
    wa, wb = api.ws(a), api.ws(b)
    try:
        wa.send(Type=1, TargetId=b.id, Media=1, Content="wss between workers", ClientMsgId="wtls-1")
        assert wb.messages(1)[0]["Content"] == "wss between workers"
    finally:
        wa.close()
        wb.close()


def test_a_killed_worker_is_started_again(workers):
    before = healths(workers)
    pids = children(workers.proc.pid)
    assert len(pids) >= 2, pids  # the two workers (and maybe nothing else: Redis is the shared one)
    os.kill(pids[0], signal.SIGKILL)
    assert wait_for(lambda: "exited (-9): starting it again" in workers.log(), timeout=30)
    after = {}

    def replaced():
        after.update(healths(workers))
        return len(set(after) - set(before)) >= 1 and len(children(workers.proc.pid)) >= 2

    assert wait_for(replaced, timeout=90, interval=0.5), (before, after)
    assert workers.proc.poll() is None


def test_migrations_run_once_and_sigterm_stops_every_worker(shared, tmp_path):
    # An empty SQLite database and no Redis URL: the master's embedded Redis.
    node = start_workers(shared, "fresh-workers", db="sqlite:///" + str(tmp_path / "fresh.db"), redis=None)
    try:
        healths(node)
        pids = children(node.proc.pid)
        assert node.log().count("database migrated from revision None to") == 1, node.log()[-3000:]
        os.kill(node.proc.pid, signal.SIGTERM)  # the master alone: it forwards the signal
        assert node.proc.wait(timeout=60) == 0
        log = node.log()
        assert log.count("shut down\n") >= 2 and "all workers stopped" in log, log[-3000:]
        assert wait_for(lambda: not [p for p in pids if serving(p)], timeout=10)
        assert "Traceback" not in log, log[-3000:]
    finally:
        node.stop()
