"""Probe of issue 24, items 1 and 3: what a bystander's round trip costs while
one member attacks a big group with what the limits allow.

Phases (each ``--seconds`` long, default 10), a bystander pair of friends
outside the group pinging each other meanwhile (a private message every
``--ping-ms``; the round trip is the time until the sender's own copy comes
back, which the server sends once the message is stored):

- ``baseline``: nothing else;
- ``plain-4k``: the control of the next: as many messages of 4,096 ``a``;
- ``mentions``: a member sends group messages of 4,096 ``@`` at the allowed
  rate (``MSG_RATE``, 20 a second) to the group of ``--group`` members;
- ``edits``: the member edits one of its group messages to 4,096 ``@`` over
  HTTP as fast as ``--threads`` clients can;
- ``reacts``: the member toggles reactions on a group message over HTTP as
  fast as ``--threads`` clients can.

Each phase prints the bystander's p50/p99/max (ms), what the attacker got
(answers by status) and the change frames per second one connected member
received; ``http-floor`` (the control of the two storms) posts requests
refused before any SQL of the route (what any HTTP flood of one client
costs, whatever the route).

Everything runs on 127.0.0.1: by default the probe seeds and starts a server
of its own (SQLite, embedded Redis, rate limits on) from
``--server-root`` (a checkout of GinChat: this one unless given, so an older
commit can be measured the same way), and stops it at the end; ``--url`` and
``--seed`` probe a running server seeded by bench.seed instead.

Run: ``python -m bench.probes.mentions_and_changes [--group 1000] [--seconds 10]``.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

import requests
import websocket

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOOD = "@" * 4096


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100.0 * (len(values) - 1))))]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server ---------------------------------------------------------------------------
class Server:
    """A GinChat of ``root`` on a free loopback port, seeded by its bench.seed."""

    def __init__(self, root, users, group, extra_env=None):
        self.root = root
        self.extra_env = extra_env or {}
        # In memory when it can be: the loop's costs, not a shared disk's, are measured.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self.dir = tempfile.mkdtemp(prefix="probe-mentions-", dir=shm)
        self.port = free_port()
        self.users, self.group = users, group
        self.proc = None

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GINCHAT_")}
        env.update(
            GINCHAT_INSTANCE_PATH=os.path.join(self.dir, "instance"),
            GINCHAT_HOST="127.0.0.1",
            GINCHAT_PORT=str(self.port),
            GINCHAT_RATE_LIMITS="on",
            GINCHAT_BUS="none",
            GINCHAT_LOG_LEVEL="WARNING",
            GINCHAT_SECRET_KEY="probe-secret-key-not-for-production",
        )
        env.update(self.extra_env)
        return env

    def seed(self):
        out = os.path.join(self.dir, "seed.json")
        pairs = (self.users + 1) // 2
        cmd = [sys.executable, "-m", "bench.seed", out, "--users", str(self.users), "--pairs", str(pairs)]
        subprocess.run(cmd + ["--group", str(self.group)], cwd=self.root, env=self.env(), check=True, timeout=600)
        with open(out) as fh:
            return json.load(fh)

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=self.root,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{self.port}/health", timeout=1)
                return f"http://127.0.0.1:{self.port}"
            except requests.RequestException:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {self.log.name}") from None
                time.sleep(0.2)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
        if self.extra_env.get("GINCHAT_LOOP_PROBE_MS"):
            print(f"the server's log (its loop pauses): {self.log.name}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- clients ------------------------------------------------------------------------------
class Socket:
    """A WebSocket of one user with a reader thread: frames counted by Type,
    and the sender's own copies handed to whoever waits for them."""

    def __init__(self, url, token):
        self.ws = websocket.create_connection(f"{url.replace('http', 'ws', 1)}/chat?token={token}", timeout=30)
        self.counts = Counter()
        self.waiting = {}  # ClientMsgId -> [event, arrival time]
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.closed:
            try:
                text = self.ws.recv()
            except (websocket.WebSocketException, OSError):
                return
            if not text:
                continue
            now = time.monotonic()
            frame = json.loads(text)
            self.counts[frame.get("Type")] += 1
            cmid = frame.get("ClientMsgId")
            if cmid:
                with self.lock:
                    slot = self.waiting.pop(cmid, None)
                if slot:
                    slot[1] = now
                    slot[0].set()

    def send(self, **frame):
        self.ws.send(json.dumps(frame))

    def round_trip(self, target, cmid, timeout=30):
        slot = [threading.Event(), None]
        with self.lock:
            self.waiting[cmid] = slot
        t0 = time.monotonic()
        self.send(Type=1, TargetId=target, Content="ping", ClientMsgId=cmid)
        if not slot[0].wait(timeout):
            return None
        return (slot[1] - t0) * 1000

    def close(self):
        self.closed = True
        try:
            self.ws.close()
        except (websocket.WebSocketException, OSError):
            pass


def pinger(sock, target, stop, every, out):
    k = 0
    while not stop.is_set():
        k += 1
        rtt = sock.round_trip(target, f"p-{time.monotonic_ns()}-{k}")
        out.append(rtt if rtt is not None else 30000.0)
        stop.wait(every)


# --- the attacks (each in a process of its own: the probe's GIL must not
# delay the bystander's clock) ------------------------------------------------------------
def flood(url, token, gid, rate, stop, answers, text=FLOOD):
    """Group messages of ``text`` (4,096 @) at ``rate`` a second over one socket."""
    sock = Socket(url, token)
    k = 0
    while not stop.is_set():
        k += 1
        sock.send(Type=2, TargetId=gid, Content=text, ClientMsgId=f"f-{k}")
        answers["sent"] += 1
        stop.wait(1.0 / rate)
    time.sleep(0.5)
    answers["refused"] = sock.counts[-1]
    sock.close()


def plain(url, token, gid, rate, stop, answers):
    flood(url, token, gid, rate, stop, answers, text="a" * 4096)


def http_storm(url, token, path, data_of, stop, answers):
    """One HTTP client posting ``data_of(k)`` to ``path`` until stopped: the answers by status."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    k = 0
    while not stop.is_set():
        k += 1
        try:
            answers[str(session.post(url + path, data=data_of(k), headers=headers, timeout=30).status_code)] += 1
        except requests.RequestException:
            answers["error"] += 1


def edit_data(msg_id):
    return lambda k: {"id": msg_id, "content": FLOOD}


def react_data(msg_id, emoji):
    return lambda k: {"id": msg_id, "emoji": emoji, "remove": "true" if k % 2 == 0 else "false"}


def _attacker(fn, args, stop, out):
    answers = Counter()
    fn(*args, stop, answers)
    out.put(dict(answers))


def run_phase(name, seconds, ping, attacks, listener):
    """The bystander's round trips while the ``attacks`` [(function, args)] run."""
    ctx = multiprocessing.get_context("fork")
    stop, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_attacker, args=(fn, args, stop, out), daemon=True) for fn, args in attacks]
    for proc in procs:
        proc.start()
    time.sleep(0.5 if procs else 0)  # the attackers connect
    done = threading.Event()
    rtts = []
    sock, target, every = ping
    pings = threading.Thread(target=pinger, args=(sock, target, done, every, rtts), daemon=True)
    before = listener.counts[15]
    t0 = time.monotonic()
    pings.start()
    time.sleep(seconds)
    done.set()
    took = time.monotonic() - t0
    changes = (listener.counts[15] - before) / took
    stop.set()
    answers = Counter()
    for _ in procs:
        answers.update(out.get(timeout=60))
    for proc in procs:
        proc.join(10)
    pings.join(35)
    return {
        "phase": name,
        "p50": percentile(rtts, 50),
        "p99": percentile(rtts, 99),
        "max": max(rtts) if rtts else None,
        "pings": len(rtts),
        "attacker": dict(answers),
        "changes_per_s": round(changes, 1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server-root", default=HERE, help="the GinChat checkout to run (default: this one)")
    ap.add_argument("--url", help="probe a running server (loopback only) seeded by bench.seed ...")
    ap.add_argument("--seed", help="... whose seed JSON this is")
    ap.add_argument("--group", type=int, default=1000, help="members of the attacked group")
    ap.add_argument("--listeners", type=int, default=20, help="group members connected (they receive the frames)")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    ap.add_argument("--ping-ms", type=float, default=100.0, help="the bystander's pace")
    ap.add_argument("--threads", type=int, default=1, help="HTTP clients of the edit and react storms")
    ap.add_argument("--rate", type=float, default=20.0, help="the attacker's group messages per second")
    ap.add_argument("--loop-probe-ms", type=int, default=0, help="the server logs event-loop pauses over this")
    ap.add_argument("--phases", default="", help="comma-separated phases to run (default: all)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a server setting (GINCHAT_KEY)")
    args = ap.parse_args(argv)

    server = None
    if args.url:
        if not args.url.startswith(("http://127.", "http://localhost")):
            ap.error("--url must be a loopback address")
        url = args.url.rstrip("/")
        with open(args.seed) as fh:
            seed = json.load(fh)
    else:
        extra = {"GINCHAT_LOOP_PROBE_MS": str(args.loop_probe_ms)} if args.loop_probe_ms else {}
        extra.update(("GINCHAT_" + item.partition("=")[0], item.partition("=")[2]) for item in args.set)
        server = Server(os.path.abspath(args.server_root), users=args.group + 2, group=args.group, extra_env=extra)
        print(f"seeding {args.group + 2} users, a group of {args.group}", file=sys.stderr)
        seed = server.seed()
        url = server.start()
    sockets = []
    try:
        gid = seed["group"]
        members = [u for u in seed["users"] if gid in u["groups"]]
        outside = [u for u in seed["users"] if gid not in u["groups"]]
        a, b = outside[0], outside[1]  # a friend pair of the seed (2k+1, 2k+2) outside the group
        assert a["id"] % 2 == 1 and b["id"] == a["id"] + 1, "the bystanders must be a seeded pair"
        attacker = members[1]
        auth = {"Authorization": f"Bearer {attacker['token']}"}
        bystander = Socket(url, a["token"])
        sockets.append(bystander)
        sockets.append(Socket(url, b["token"]))
        listeners = [Socket(url, m["token"]) for m in members[2 : 2 + args.listeners]]
        sockets += listeners
        attack_sock = Socket(url, attacker["token"])
        sockets.append(attack_sock)
        time.sleep(1)
        # The attacker's messages to edit and to react to.
        posted = []
        for k in range(2):
            attack_sock.send(Type=2, TargetId=gid, Content=f"target {k}", ClientMsgId=f"t-{k}")
            time.sleep(0.3)
            r = requests.get(f"{url}/message/history", params={"type": 2, "targetId": gid}, headers=auth, timeout=10)
            posted.append(r.json()["Rows"][-1]["Id"])
        edit_id, react_id = posted
        ping = (bystander, b["id"], args.ping_ms / 1000.0)
        listener = listeners[0]
        token = attacker["token"]
        emojis = ["👍", "🎉", "😂", "❤️", "🔥", "👀", "✅", "🙏"]
        phases = [
            ("baseline", []),
            # The control: as many as long messages without an @ (what any big text costs).
            ("plain-4k", [(plain, (url, token, gid, args.rate))]),
            ("mentions", [(flood, (url, token, gid, args.rate))]),
            ("edits", [(http_storm, (url, token, "/message/edit", edit_data(edit_id)))] * args.threads),
            (
                "reacts",
                [
                    (http_storm, (url, token, "/message/react", react_data(react_id, emojis[i % len(emojis)])))
                    for i in range(args.threads)
                ],
            ),
            # The floor: the same client's requests refused before any SQL of
            # the route (authentication only): what any HTTP flood costs.
            (
                "http-floor",
                [(http_storm, (url, token, "/message/react", lambda k: {"id": 1, "emoji": "x"}))] * args.threads,
            ),
        ]
        wanted = set(filter(None, args.phases.split(",")))
        phases = [p for p in phases if not wanted or p[0] in wanted]
        results = []
        for name, attacks in phases:
            res = run_phase(name, args.seconds, ping, attacks, listener)
            results.append(res)
            print(json.dumps(res, ensure_ascii=False), file=sys.stderr)
            time.sleep(2)  # the queues drain before the next phase
        print(
            f"\nserver: {args.server_root if not args.url else args.url}; group of {args.group}, "
            f"{args.listeners} members connected; {args.seconds:g} s a phase"
        )
        print(f"{'phase':<10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'pings':>6} {'changes/s':>10}  attacker")
        for r in results:

            def f(x):
                return "-" if x is None else f"{x:.1f}"

            print(
                f"{r['phase']:<10} {f(r['p50']):>8} {f(r['p99']):>8} {f(r['max']):>8} {r['pings']:>6} "
                f"{r['changes_per_s']:>10}  {json.dumps(r['attacker'])}"
            )
        return 0
    finally:
        for sock in sockets:
            sock.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
