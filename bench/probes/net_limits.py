"""Probe of issue 24, items 5-7 and the keep-alive floods: what one client
makes a GinChat node hold, and what a bystander's round trip does meanwhile.

    .venv/bin/python bench/probes/net_limits.py [--root TREE] [--only NAME ...]

``--root`` is the tree whose wsgi.py is started (default: this one; give a
checkout of an older commit to measure before). Each scenario starts a node
of its own (SQLite, the embedded Redis, UPLOAD_STORAGE=db, RLIMIT_NOFILE
1024 as in the issue) on 127.0.0.1, measures a bystander's message round
trip (send to a friend, wait for one's own copy) before and during the
attack, and the node's RSS, and stops everything: every loop is bounded in
count and time, and nothing leaves the loopback.

- download: 100 readers of a 10 MiB file that read nothing (item 5)
- sockets: 300 sockets of one user, each part-way into a 1 MiB fragmented
  message (item 6); RSS also after they closed
- headers: 1,100 connections that send half a request and wait (item 7);
  whether /health answers, and tracebacks in the node's output
- pings: two sockets sending pings as fast as they can, reconnecting when
  closed (the flood finding)
"""

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests
import websocket

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "probe-pw-1"
NOFILE = 1024
ROUND_TRIPS = 60  # bystander messages per sample


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, root):
        self.root = root
        self.dir = tempfile.mkdtemp(prefix="probe-net-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GINCHAT_")}
        env.update(
            GINCHAT_HOST="127.0.0.1",
            GINCHAT_PORT=str(self.port),
            GINCHAT_INSTANCE_PATH=os.path.join(self.dir, "instance"),
            GINCHAT_UPLOAD_FOLDER=os.path.join(self.dir, "uploads"),
            GINCHAT_UPLOAD_STORAGE="db",
            GINCHAT_BUS="none",
            GINCHAT_SECRET_KEY="probe-" + secrets.token_hex(16),
            GINCHAT_REGISTRATIONS_PER_IP="100000",
            GINCHAT_LOGIN_FAILS_PER_IP="100000",
            GINCHAT_UPLOADS_PER_MINUTE="1000",
            GINCHAT_MAX_UPLOAD_MB="12",
            PYTHONUNBUFFERED="1",
        )
        self.log_path = os.path.join(self.dir, "node.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["prlimit", f"--nofile={NOFILE}:{NOFILE}", "--", sys.executable, "wsgi.py"],
            cwd=self.root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("node did not start:\n" + self.output()[-2000:])

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as fh:
            return int(re.search(r"VmRSS:\s+(\d+)", fh.read()).group(1)) / 1024

    def output(self):
        with open(self.log_path, errors="replace") as fh:
            return fh.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- a client --------------------------------------------------------------------
    def user(self):
        name = "p" + secrets.token_hex(4)
        form = {"name": name, "password": PASSWORD, "Identity": PASSWORD}
        requests.post(self.url + "/user/createUser", data=form, timeout=30).raise_for_status()
        r = requests.post(self.url + "/user/findUserByNameAndPwd", data=form, timeout=30)
        data = r.json()["Data"]
        return {"id": data["ID"], "token": data["Token"], "auth": {"Authorization": f"Bearer {data['Token']}"}}

    def befriend(self, a, b):
        requests.post(self.url + "/contact/addfriend", data={"targetId": b["id"]}, headers=a["auth"], timeout=30)

    def ws(self, user, timeout=30):
        return websocket.create_connection(f"{self.ws_url}/chat?token={user['token']}", timeout=timeout)


class Bystander:
    """A user who messages a friend and times each round trip (own copy back)."""

    def __init__(self, node):
        self.node = node
        self.me, friend = node.user(), node.user()
        node.befriend(self.me, friend)
        self.friend = friend
        self.ws = node.ws(self.me)
        self.n = 0

    def p50_ms(self, count=ROUND_TRIPS, pause=0.05):
        times, failures = [], []
        for _ in range(count):
            self.n += 1
            cmid = f"b-{self.n}"
            start = time.perf_counter()
            try:
                self.ws.send(
                    json.dumps({"Type": 1, "TargetId": self.friend["id"], "Content": "hi", "ClientMsgId": cmid})
                )
                while True:
                    frame = json.loads(self.ws.recv())
                    if frame.get("ClientMsgId") == cmid:
                        break
                times.append((time.perf_counter() - start) * 1000)
            except (OSError, websocket.WebSocketException, ValueError) as exc:
                failures.append(type(exc).__name__)
                try:
                    self.ws = self.node.ws(self.me)
                except (OSError, websocket.WebSocketException):
                    pass
            time.sleep(pause)
        return (round(statistics.median(times), 1) if times else None), failures


def health(node):
    start = time.perf_counter()
    try:
        status = requests.get(node.url + "/health", timeout=10).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return status, round((time.perf_counter() - start) * 1000, 1)


# --- the scenarios ---------------------------------------------------------------------
def download(node, bystander, out):
    me = node.user()
    files = {"file": ("big.bin", os.urandom(10 * 1024 * 1024), "application/octet-stream")}
    url = requests.post(node.url + "/attach/file", files=files, headers=me["auth"], timeout=120).json()["Data"]["Url"]
    request = f"GET {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {me['token']}\r\n\r\n".encode()
    readers = []
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", node.port), timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader: reads nothing
        sock.sendall(request)
        readers.append(sock)
    time.sleep(5)  # the node reads and sends what it can
    out["rss_during"] = node.rss_mib()
    out["p50_during"], out["failures"] = bystander.p50_ms()
    for sock in readers:
        sock.close()


def sockets(node, bystander, out):
    me = node.user()
    conns = []
    for _ in range(300):
        try:
            ws = node.ws(me, timeout=10)
            # 1 MiB of a fragmented message, never finished.
            ws.send_frame(websocket.ABNF.create_frame("x" * 65536, websocket.ABNF.OPCODE_TEXT, 0))
            for _ in range(15):
                ws.send_frame(websocket.ABNF.create_frame("x" * 65536, websocket.ABNF.OPCODE_CONT, 0))
            conns.append(ws)
        except (OSError, websocket.WebSocketException):
            pass
    time.sleep(2)
    out["rss_during"] = node.rss_mib()
    out["p50_during"], out["failures"] = bystander.p50_ms()
    for ws in conns:
        try:
            ws.sock.close()
        except OSError:
            pass
    time.sleep(5)
    out["rss_after_close"] = node.rss_mib()


def headers(node, bystander, out):
    held, refused = [], 0
    for _ in range(1100):
        try:
            sock = socket.create_connection(("127.0.0.1", node.port), timeout=5)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Half: ")
            held.append(sock)
        except OSError:
            refused += 1
    time.sleep(2)
    out["health_during"] = health(node)
    out["rss_during"] = node.rss_mib()
    out["p50_during"], out["failures"] = bystander.p50_ms()
    time.sleep(25)  # past the header timeout (20 s) of a fixed node
    out["health_after_25s"] = health(node)
    for sock in held:
        sock.close()
    time.sleep(1)
    out["health_after_close"] = health(node)
    out["tracebacks"] = node.output().count("Traceback")


def pings(node, bystander, out):
    stop = time.monotonic() + 20
    counts = {"pings_sent": 0, "reconnects": 0}
    burst = b"\x89\x80\x00\x00\x00\x00" * 1000  # 1,000 masked empty pings per send

    def flood():
        me = node.user()
        while time.monotonic() < stop:
            try:
                ws = node.ws(me, timeout=5)
                while time.monotonic() < stop:
                    ws.sock.sendall(burst)
                    counts["pings_sent"] += 1000
            except (OSError, websocket.WebSocketException):
                counts["reconnects"] += 1

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    out["p50_during"], out["failures"] = bystander.p50_ms()
    out["rss_during"] = node.rss_mib()
    for thread in threads:
        thread.join(30)
    out.update(counts)


SCENARIOS = {"download": download, "sockets": sockets, "headers": headers, "pings": pings}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=HERE, help="the tree whose wsgi.py runs")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="some scenarios only")
    args = parser.parse_args()
    results = {}
    for name in args.only or list(SCENARIOS):
        node = Node(os.path.abspath(args.root)).start()
        try:
            bystander = Bystander(node)
            out = {"rss_before": node.rss_mib()}
            out["p50_baseline"], _ = bystander.p50_ms()
            SCENARIOS[name](node, bystander, out)
            out = {k: round(v, 1) if isinstance(v, float) else v for k, v in out.items()}
            results[name] = out
            print(name, json.dumps(out), flush=True)
        finally:
            node.stop()
    return results


if __name__ == "__main__":
    main()
