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
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/ginchat_h3")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/ginchat_h3")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def taskset(cpu):
    return ["taskset", "-c", cpu] if shutil.which("taskset") and cpu else []


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

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(taskset(SERVER_CPU) + self.command(), cwd=ROOT, env=self.env(),
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
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
            self.spy = subprocess.Popen(taskset(os.environ.get("BENCH_GEN_CPU", "1")) + [
                spy, "record", "--pid", str(self.proc.pid), "--rate", "250", "--format", "raw", "-o", out,
                "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

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

    def __init__(self, workdir, name, label, db_url=None, redis_url=None):
        self.name = name
        self.label = label
        self.db_url = db_url
        self.redis_url = redis_url
        super().__init__(workdir)

    def env(self):
        env = dict(os.environ)
        env = {k: v for k, v in env.items() if not k.startswith("GINCHAT_")}
        env.update(
            GINCHAT_INSTANCE_PATH=os.path.join(self.dir, "instance"),
            GINCHAT_HOST="127.0.0.1",
            GINCHAT_PORT=str(self.port or 0),
            GINCHAT_RATE_LIMITS="off",
            GINCHAT_BUS="none",
            GINCHAT_LOG_LEVEL="WARNING",
            GINCHAT_SECRET_KEY="bench-secret-key-not-for-production",
        )
        if self.db_url:
            env["GINCHAT_SQLALCHEMY_DATABASE_URI"] = self.db_url
        if self.redis_url:
            env["GINCHAT_REDIS_URL"] = self.redis_url
        return env

    def command(self):
        return [PY, "wsgi.py"]

    def reset_backends(self):
        if self.db_url and self.db_url.startswith("mysql"):
            subprocess.run(["mysql", "-h127.0.0.1", "-uroot", "-e",
                            "DROP DATABASE IF EXISTS ginchat_h3; CREATE DATABASE ginchat_h3 CHARACTER SET utf8mb4"],
                           check=True)
        elif self.db_url and self.db_url.startswith("postgresql"):
            for sql in ("DROP DATABASE IF EXISTS ginchat_h3", "CREATE DATABASE ginchat_h3"):
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True,
                               stdout=subprocess.DEVNULL)
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def seed(self, users, pairs, group, messages=0):
        self.fresh()
        self.reset_backends()
        out = os.path.join(self.dir, "seed.json")
        args = [PY, "-m", "bench.seed", out, "--users", str(users), "--pairs", str(pairs), "--group", str(group),
                "--messages", str(messages)]
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
        subprocess.run([PY, "bench/peers/socketio_app.py", "seed", os.path.join(self.dir, "peer.db"), out,
                        str(users), str(pairs), str(group)], cwd=ROOT, check=True)
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


def ginchat_targets(workdir, backends):
    """GinChat on the embedded defaults, and on MariaDB / PostgreSQL with the
    machine's Redis when they answer."""
    out = []
    for backend in backends:
        if backend == "embedded":
            out.append(GinChat(workdir, "ginchat", "GinChat (SQLite + embedded Redis)"))
        elif backend == "mariadb" and answers(3306) and answers(6379):
            out.append(GinChat(workdir, "ginchat-mariadb", "GinChat (MariaDB + Redis)", MYSQL_URL, REDIS_URL))
        elif backend == "postgresql" and answers(5432) and answers(6379):
            out.append(GinChat(workdir, "ginchat-postgresql", "GinChat (PostgreSQL + Redis)", PG_URL, REDIS_URL))
    return out
