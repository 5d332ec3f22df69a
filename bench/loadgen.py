"""The load generator: one asyncio process (uvloop when installed) holding
thousands of WebSocket clients written directly on asyncio's transports.

It speaks four dialects, so GinChat and both peers are driven by the same
code: ``ginchat`` (``/chat?token=``, JSON frames), ``relay`` (the bare
flask-sock peer, same JSON), ``gin`` (the Go original's core: ``/chat?userId=``,
the sender's id in each frame) and ``socketio`` (Engine.IO 4 / Socket.IO 5 over
a WebSocket, ``42["message",{...}]``).

Every message carries ``#b<sender>.<seq>.<t>#`` in its Content: ``t`` is the
moment (CLOCK_MONOTONIC, ns) the message was *scheduled* to leave, so the
latency includes any lag of the generator itself (no coordinated omission);
that lag is reported on its own as ``send_lag``. The generator also reports
its CPU use: a result where it is near 100 % measures the generator.

Client frames are masked with the all-zero key (allowed by RFC 6455: the
server only has to unmask), which makes sending a plain ``write``.

GinChat's clients (and the relay, which forwards the same bytes) send the
frame the browser app sends (static/js/composer.js ``frameOf``: Url, Amount
and a ``ClientMsgId`` on every message; ``BENCH_FRAME=bare`` sends the older
frame without them). The ``browser`` dialect also connects as the browser
app does: a real ``POST /user/findUserByNameAndPwd`` for the session cookie,
``Origin`` and ``User-Agent``, ``/chat?events=1`` and ``permessage-deflate``
offered; when the server accepts it, every frame both ways is deflated
(per-connection zlib streams, as a browser's).

Run: ``python -m bench.loadgen SPEC.json`` prints one JSON result.
"""

import asyncio
import base64
import collections
import gc
import json
import os
import random
import re
import resource
import sys
import time
import zlib

MARK = re.compile(rb"#b(\d+)\.(\d+)\.(\d+)#")
PAD = "hello from the GinChat bench, a short chat line"
BARE_FRAME = os.environ.get("BENCH_FRAME") == "bare"  # the frame without Url, Amount and ClientMsgId
# The browser app's socket path (static/js/socket.js); BENCH_BROWSER_PATH=/chat
# leaves out events=1 (presence and notices) to time the cookie handshake alone.
BROWSER_PATH = os.environ.get("BENCH_BROWSER_PATH", "/chat?events=1")
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) GinChatBench/1.0 Chrome/120.0 Safari/537.36"
DEFLATE_TAIL = b"\x00\x00\xff\xff"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(n):
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = B36[r] + out
        if not n:
            return out


def client_msg_id(sender):
    """What composer.js newClientMsgId makes: c<user>-<ms in base 36>-<8 random base-36 digits>."""
    rnd = "".join(random.choice(B36) for _ in range(8))
    return f"c{sender:d}-{base36(int(time.time() * 1000))}-{rnd}"


now_ns = time.monotonic_ns


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q / 100.0 * (len(values) - 1)))))
    return values[k]


def summary_ms(values):
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
        "n": len(values),
    }


def client_frame(payload, opcode=0x1, rsv1=False):
    """A masked client frame (mask key 0: the payload goes as it is); ``rsv1``
    marks a deflated message (permessage-deflate)."""
    n = len(payload)
    first = 0x80 | opcode | (0x40 if rsv1 else 0)
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class Dialect:
    def __init__(self, kind):
        self.kind = kind

    def path(self, user):
        if self.kind == "ginchat":
            return f"/chat?token={user['token']}"
        if self.kind == "browser":
            return BROWSER_PATH  # static/js/socket.js: the cookie authenticates
        if self.kind == "relay":
            groups = ",".join(str(g) for g in user.get("groups", ()))
            return f"/ws?uid={user['id']}&groups={groups}"
        if self.kind == "gin":
            return f"/chat?userId={user['id']}"
        return "/socket.io/?EIO=4&transport=websocket"

    def message(self, msg_type, target, content, sender=0):
        """The payload of a message frame (``Client.send_text`` frames it)."""
        if self.kind == "gin":  # the original trusts the sender id in the frame
            body = f'{{"UserId":{sender:d},"Type":{msg_type:d},"TargetId":{target:d},"Media":1,"Content":"{content}"}}'
            return body.encode()
        if self.kind == "socketio" or BARE_FRAME:
            body = f'{{"Type":{msg_type:d},"TargetId":{target:d},"Media":1,"Content":"{content}"}}'
            if self.kind == "socketio":
                body = f'42["message",{body}]'
            return body.encode()
        # JSON.stringify(frameOf(msg)) of static/js/composer.js, key for key.
        body = (
            f'{{"Type":{msg_type:d},"TargetId":{target:d},"Media":1,"Content":"{content}","Url":"",'
            f'"Amount":0,"ClientMsgId":"{client_msg_id(sender)}"}}'
        )
        return body.encode()

    def heartbeat(self):
        if self.kind == "socketio":
            return None  # Engine.IO's ping/pong is its heartbeat
        return b'{"Type":3}'


class Client(asyncio.Protocol):
    """One WebSocket connection; ``gen.on_text`` gets every text payload."""

    def __init__(self, gen, user, host, port):
        self.gen = gen
        self.user = user
        self.host = host
        self.port = port
        self.transport = None
        self.buf = bytearray()
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.closed = False
        self.deflate = None  # permessage-deflate accepted: (compressor, decompressor)
        self.no_client_context = False

    def connection_made(self, transport):
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        extra = ""
        if self.gen.dialect.kind == "browser":
            extra = (
                f"Origin: http://{self.host}:{self.port}\r\n"
                f"User-Agent: {USER_AGENT}\r\n"
                f"Cookie: {self.user['cookie']}\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            )
        request = (
            f"GET {self.gen.dialect.path(self.user)} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
        )
        transport.write(request.encode())

    def send_text(self, payload):
        """A text message, deflated when the server accepted permessage-deflate."""
        if self.deflate is None:
            self.write(client_frame(payload))
            return
        comp = self.deflate[0]
        if self.no_client_context:
            comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        data = comp.compress(payload) + comp.flush(zlib.Z_SYNC_FLUSH)
        self.write(client_frame(data[:-4] if data.endswith(DEFLATE_TAIL) else data, 0x1, rsv1=True))

    def connection_lost(self, exc):
        self.closed = True
        self.gen.closed += 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed during handshake: {exc}"))

    def write(self, data):
        if not self.closed:
            self.transport.write(data)

    def data_received(self, data):
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            status = head.split(b"\r\n", 1)[0]
            del buf[: end + 4]
            if b" 101 " not in status:
                self.ready.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            self.upgraded = True
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-extensions" and b"permessage-deflate" in value:
                    self.no_client_context = b"client_no_context_takeover" in value
                    self.deflate = (
                        zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15),
                        zlib.decompressobj(-15),
                    )
                    self.gen.deflated += 1
            if self.gen.dialect.kind != "socketio":
                self.ready.set_result(self)
        pos = 0
        size = len(buf)
        on_text = self.gen.on_text
        while size - pos >= 2:
            b0 = buf[pos]
            n = buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            opcode = b0 & 0x0F
            if opcode == 0x1:
                if b0 & 0x40 and self.deflate is not None:  # one deflated message (servers send no fragments here)
                    payload = self.deflate[1].decompress(payload + DEFLATE_TAIL)
                on_text(self, payload)
            elif opcode == 0x9:  # ping: pong with the same payload
                self.write(client_frame(payload, 0xA))
            elif opcode == 0x8:
                self.gen.server_closes += 1
                self.write(client_frame(payload[:2], 0x8))
                self.transport.close()
        if pos:
            del buf[:pos]


class Generator:
    def __init__(self, spec):
        self.spec = spec
        self.dialect = Dialect(spec["dialect"])
        self.host = spec.get("host", "127.0.0.1")
        self.port = int(spec["port"])
        self.clients = {}  # user id -> Client
        self.closed = 0
        self.deflated = 0  # connections where the server accepted permessage-deflate
        self.server_closes = 0
        self.errors = 0
        self.error_samples = []
        self.seqs = collections.Counter()  # per sender, never reset: keys stay unique
        self.reset_counts()

    def reset_counts(self):
        self.expect = {}  # (sender, seq) -> recipients still due (excluding the sender)
        self.got = set()  # (sender, seq, receiver)
        self.dups = 0
        self.echoes = 0
        self.lat = []  # ms, every delivery to a recipient other than the sender
        self.trace = []  # (scheduled send time in ns, latency in ms) of each delivery, with BENCH_TRACE
        self.last_of = {}  # (sender, seq) -> latency of the last recipient (fan-out)
        self.first_send = None
        self.last_recv = None

    # --- receiving -------------------------------------------------------------
    def on_text(self, client, payload):
        m = MARK.search(payload)
        if m is None:
            self.on_other(client, payload)
            return
        t_recv = now_ns()
        sender, seq, t_sent = int(m.group(1)), int(m.group(2)), int(m.group(3))
        receiver = client.user["id"]
        if receiver == sender:
            self.echoes += 1
            return
        key = (sender, seq, receiver)
        if key in self.got:
            self.dups += 1
            return
        self.got.add(key)
        ms = (t_recv - t_sent) / 1e6
        self.lat.append(ms)
        if TRACE:
            self.trace.append((t_sent, ms))
        self.last_recv = t_recv
        mkey = (sender, seq)
        left = self.expect.get(mkey)
        if left is not None:
            left -= 1
            self.expect[mkey] = left
            if left == 0:
                self.last_of[mkey] = ms

    def on_other(self, client, payload):
        if self.dialect.kind == "socketio":
            if payload == b"2":  # Engine.IO ping
                client.write(client_frame(b"3"))
                return
            if payload[:1] == b"0":  # Engine.IO open: connect to the namespace
                auth = json.dumps({"token": client.user["token"]}).encode()
                client.write(client_frame(b"40" + auth))
                return
            if payload[:2] == b"40":
                if not client.ready.done():
                    client.ready.set_result(client)
                return
            if payload[:2] == b"44":
                if not client.ready.done():
                    client.ready.set_exception(ConnectionError(payload.decode(errors="replace")))
                return
        if b'"Type":-1' in payload or b"error" in payload:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(payload[:200].decode(errors="replace"))

    # --- connecting ------------------------------------------------------------
    async def connect_all(self, users, concurrency=100, progress=None):
        loop = asyncio.get_running_loop()
        sem = asyncio.Semaphore(concurrency)
        failures = []

        async def one(user):
            async with sem:
                for attempt in range(3):
                    try:
                        if self.dialect.kind == "browser" and not user.get("cookie"):
                            user["cookie"] = await asyncio.wait_for(self.log_in(user), 30)
                        _, client = await asyncio.wait_for(
                            loop.create_connection(
                                lambda: Client(self, user, self.host, self.port), self.host, self.port
                            ),
                            30,
                        )
                        await asyncio.wait_for(client.ready, 30)
                        self.clients[user["id"]] = client
                        if progress:
                            progress()
                        return
                    except (TimeoutError, OSError, ConnectionError) as exc:
                        if attempt == 2:
                            failures.append(f"{user['id']}: {exc!r}"[:200])
                        await asyncio.sleep(0.2 * (attempt + 1))

        await asyncio.gather(*(one(u) for u in users))
        return failures

    async def log_in(self, user):
        """The browser's login (``POST /user/findUserByNameAndPwd``, form-encoded,
        with Origin and User-Agent): returns the ``session=...`` cookie it sets."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            body = f"name={user['name']}&password={user['password']}".encode()
            writer.write(
                (
                    "POST /user/findUserByNameAndPwd HTTP/1.1\r\n"
                    f"Host: {self.host}:{self.port}\r\nOrigin: http://{self.host}:{self.port}\r\n"
                    f"User-Agent: {USER_AGENT}\r\nAccept: application/json\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                + body
            )
            answer = await reader.read()
        finally:
            writer.close()
        head = answer.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        if " 200 " not in head.split("\r\n", 1)[0]:
            raise ConnectionError(f"login of {user['name']} failed: {head.splitlines()[0]}")
        for line in head.split("\r\n"):
            if line.lower().startswith("set-cookie:") and "session=" in line:
                return line.split(":", 1)[1].strip().split(";", 1)[0]
        raise ConnectionError(f"login of {user['name']} set no session cookie")

    def close_all(self):
        for client in self.clients.values():
            if not client.closed:
                client.write(client_frame(b"\x03\xe8", 0x8))
                client.transport.close()

    # --- the open-loop sender -----------------------------------------------------
    async def send_open_loop(self, plan, rate, duration, abort_after, recipients_of):
        """Send len(plan) messages at ``rate`` per second; plan[i] = (sender id,
        type, target). Stops early when a message stays undelivered for
        ``abort_after`` seconds (the server is past saturation)."""
        dialect = self.dialect
        total = min(len(plan), int(rate * duration))
        interval = 1e9 / rate
        lags = []
        pending = collections.deque()
        start = now_ns() + 20_000_000
        self.first_send = start
        seqs = self.seqs
        i = 0
        aborted = False
        next_check = start
        while i < total:
            now = now_ns()
            due = min(total, int((now - start) / interval) + 1)
            while i < due:
                sender, msg_type, target = plan[i]
                t = int(start + i * interval)
                seq = seqs[sender]
                seqs[sender] = seq + 1
                mkey = (sender, seq)
                self.expect[mkey] = recipients_of(sender, msg_type, target)
                pending.append((t, mkey))
                content = f"#b{sender:d}.{seq:d}.{t:d}# {PAD}"
                self.clients[sender].send_text(dialect.message(msg_type, target, content, sender))
                lags.append((now - t) / 1e6)
                i += 1
            if now >= next_check:
                next_check = now + 50_000_000
                expect = self.expect
                while pending and expect[pending[0][1]] <= 0:
                    pending.popleft()
                if pending and now - pending[0][0] > abort_after * 1e9:
                    aborted = True
                    break
            if interval < 2e6:
                await asyncio.sleep(0.001)
            else:
                # Wake when the next message is due (at most 50 ms on, for the
                # abort check): sleeping in fixed slices of half the interval
                # sent the group scenario's messages ~35 ms late on average,
                # and that lag counted as the server's latency.
                await asyncio.sleep(max(0.0, min(0.05, (start + i * interval - now_ns()) / 1e9)))
        return i, lags, aborted, start

    async def drain(self, timeout, quiet=1.0):
        """Wait until every expected delivery arrived, or nothing came for
        ``quiet`` seconds after ``timeout``... whichever first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(v <= 0 for v in self.expect.values()):
                return True
            await asyncio.sleep(0.05)
        return all(v <= 0 for v in self.expect.values())

    def tally(self, sent, start):
        expected = sum(self.recipients_count.get(k, 0) for k in self.expect)
        delivered = len(self.got)
        span = ((self.last_recv or start) - start) / 1e9
        result = {
            "sent": sent,
            "expected_deliveries": expected,
            "delivered": delivered,
            "lost": max(0, expected - delivered),
            "duplicates": self.dups,
            "echoes": self.echoes,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "delivered_per_s": round(delivered / span, 1) if span > 0 else 0,
            "latency_ms": summary_ms(self.lat),
        }
        if TRACE:
            # Every delivery of the point, to see *when* the slow ones were:
            # a tail that comes back at a fixed period names a periodic cause.
            path = f"{TRACE}-{sent}-{time.monotonic_ns()}.json"
            with open(path, "w") as fh:
                json.dump(sorted(self.trace), fh)
            result["trace"] = path
        return result


TRACE = os.environ.get("BENCH_TRACE")  # a path prefix: write each tally's deliveries there


# --- scenarios ------------------------------------------------------------------
async def scenario_private(gen, spec):
    users = spec["users"]
    pairs = spec["pairs"]  # [[a, b], ...]
    rate = float(spec["rate"])
    duration = float(spec["duration"])
    t0 = time.monotonic()
    failures = await gen.connect_all(users)
    connect_s = time.monotonic() - t0
    if failures:
        return {"error": f"{len(failures)} connections failed", "samples": failures[:5]}
    gen.recipients_count = {}

    def recipients(sender, msg_type, target):
        return 1

    # Warm-up: one message each way per pair (fills the server's caches).
    warm = []
    for a, b in pairs:
        warm.append((a, 1, b))
        warm.append((b, 1, a))
    await gen.send_open_loop(warm, min(2000.0, rate), len(warm) / min(2000.0, rate), 10, recipients)
    await gen.drain(15)
    warm_lost = sum(1 for v in gen.expect.values() if v > 0)
    gen.reset_counts()
    gen.errors = 0

    n = int(rate * duration)
    plan = []
    k = 0
    while len(plan) < n:
        a, b = pairs[k % len(pairs)]
        plan.append((a, 1, b) if (k // len(pairs)) % 2 == 0 else (b, 1, a))
        k += 1
    server_pid = spec.get("server_pid")
    server0 = session_cpu_s(server_pid) if server_pid else None
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    sent, lags, aborted, start = await gen.send_open_loop(
        plan, rate, duration, spec.get("abort_after", 2.0), recipients
    )
    send_wall = time.monotonic() - wall0
    cpu_send = cpu_seconds() - cpu0
    drained = await gen.drain(spec.get("drain", 5.0))
    cpu1, wall1 = cpu_seconds(), time.monotonic()
    server1 = session_cpu_s(server_pid) if server_pid else None
    gen.recipients_count = {k: 1 for k in gen.expect}
    result = gen.tally(sent, start)
    result.update(
        rate=rate,
        duration=duration,
        aborted=aborted,
        drained=drained,
        connect_s=round(connect_s, 2),
        warmup_lost=warm_lost,
        gen_cpu_pct=round(100 * (cpu1 - cpu0) / max(1e-9, wall1 - wall0), 1),
        gen_cpu_pct_sending=round(100 * cpu_send / max(1e-9, send_wall), 1),
        send_lag_ms=summary_ms(lags),
        deflated_connections=gen.deflated,
    )
    if server0 is not None and sent:
        # The server's CPU seconds (its process and children: the embedded
        # redis-server) from the first send to the last delivery, per message
        # sent: CPU time, which a busy machine disturbs far less than wall time.
        result.update(
            server_cpu_s=round(server1 - server0, 3),
            server_cpu_us_per_msg=round(1e6 * (server1 - server0) / sent, 1),
        )
    return result


async def scenario_group(gen, spec):
    users = spec["users"]
    group = int(spec["group"])
    members = [u["id"] for u in users]
    rate = float(spec["rate"])
    duration = float(spec["duration"])
    t0 = time.monotonic()
    failures = await gen.connect_all(users)
    connect_s = time.monotonic() - t0
    if failures:
        return {"error": f"{len(failures)} connections failed", "samples": failures[:5]}
    fanout = len(members) - 1

    def recipients(sender, msg_type, target):
        return fanout

    # Warm-up: two messages, then wait for them.
    await gen.send_open_loop([(members[0], 2, group), (members[1], 2, group)], 10.0, 0.2, 10, recipients)
    await gen.drain(15)
    gen.reset_counts()
    gen.errors = 0
    n = max(1, int(rate * duration))
    plan = [(members[i % len(members)], 2, group) for i in range(n)]
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    sent, lags, aborted, start = await gen.send_open_loop(
        plan, rate, duration, spec.get("abort_after", 5.0), recipients
    )
    drained = await gen.drain(spec.get("drain", 10.0))
    cpu1, wall1 = cpu_seconds(), time.monotonic()
    gen.recipients_count = {k: fanout for k in gen.expect}
    result = gen.tally(sent, start)
    last = list(gen.last_of.values())
    result.update(
        rate=rate,
        duration=duration,
        members=len(members),
        aborted=aborted,
        drained=drained,
        connect_s=round(connect_s, 2),
        last_member_ms=summary_ms(last),
        last_member_samples=[round(x, 3) for x in last],
        gen_cpu_pct=round(100 * (cpu1 - cpu0) / max(1e-9, wall1 - wall0), 1),
        send_lag_ms=summary_ms(lags),
    )
    # A sample of single deliveries for the distribution plot.
    step = max(1, len(gen.lat) // 5000)
    result["delivery_samples"] = [round(x, 3) for x in gen.lat[::step]]
    return result


def _proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def session_cpu_s(pid):
    """CPU seconds of every process of the server's session (the server started
    one: itself and its children, such as the embedded redis-server)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


async def scenario_connections(gen, spec):
    """Connect the users in steps, reading the server's memory after each,
    then stay idle with heartbeats and read its CPU use."""
    users = spec["users"]
    pid = int(spec["server_pid"])
    steps = spec["steps"]
    idle = float(spec.get("idle", 20))
    interval = float(spec.get("heartbeat_interval", 10))
    if gen.dialect.kind == "browser":  # the logins before, so that only handshakes are counted
        sem = asyncio.Semaphore(50)

        async def login(user):
            async with sem:
                user["cookie"] = await gen.log_in(user)

        await asyncio.gather(*(login(u) for u in users))
    await asyncio.sleep(1.0)
    points = [{"connections": 0, "rss_kib": _proc_rss_kib(pid)}]
    t0 = time.monotonic()
    done = 0
    failures = []
    connect_cpu = 0.0  # the server's CPU seconds while connecting (the idle seconds between steps excluded)
    for target in steps:
        chunk = users[done:target]
        cpu_before = _proc_cpu_s(pid)
        failures += await gen.connect_all(chunk, concurrency=spec.get("concurrency", 100))
        connect_cpu += _proc_cpu_s(pid) - cpu_before
        done = target
        await asyncio.sleep(1.0)
        points.append(
            {
                "connections": len(gen.clients),
                "rss_kib": _proc_rss_kib(pid),
                "elapsed_s": round(time.monotonic() - t0, 2),
            }
        )
        print(
            f"    {len(gen.clients)} connected, server RSS {points[-1]['rss_kib'] / 1024:.0f} MiB",
            file=sys.stderr,
            flush=True,
        )
    connect_s = points[-1]["elapsed_s"] - (len(steps)) * 1.0
    # Idle with heartbeats, spread evenly over the interval.
    beat = gen.dialect.heartbeat()
    clients = list(gen.clients.values())
    cpu0, wall0 = _proc_cpu_s(pid), time.monotonic()
    gen_cpu0 = cpu_seconds()
    end = wall0 + idle
    i = 0
    while time.monotonic() < end:
        if beat is not None and clients:
            per_tick = max(1, int(len(clients) * 0.05 / interval))
            for _ in range(per_tick):
                clients[i % len(clients)].send_text(beat)
                i += 1
        await asyncio.sleep(0.05)
    wall = time.monotonic() - wall0
    server_cpu = 100 * (_proc_cpu_s(pid) - cpu0) / wall
    alive = sum(1 for c in clients if not c.closed)
    rss_end = _proc_rss_kib(pid)
    n = points[-1]["connections"]
    per_conn = (points[-1]["rss_kib"] - points[0]["rss_kib"]) / n if n else None
    slope = None
    if len(points) >= 3 and points[-1]["connections"] > points[1]["connections"]:
        slope = (points[-1]["rss_kib"] - points[1]["rss_kib"]) / (points[-1]["connections"] - points[1]["connections"])
    return {
        "connections": n,
        "wanted": len(users),
        "failures": len(failures),
        "failure_samples": failures[:5],
        "connect_s": round(connect_s, 2),
        "connect_cpu_s": round(connect_cpu, 2),
        "points": points,
        "kib_per_connection": round(per_conn, 1) if per_conn else None,
        "kib_per_connection_slope": round(slope, 1) if slope else None,
        "idle_s": round(wall, 1),
        "heartbeats_sent": i,
        "server_cpu_idle_pct": round(server_cpu, 1),
        "alive_after_idle": alive,
        "rss_end_kib": rss_end,
        "gen_cpu_pct": round(100 * (cpu_seconds() - gen_cpu0) / wall, 1),
    }


def scenario_history(spec):
    """Sequential HTTP requests on one keep-alive connection."""
    import http.client

    conn = http.client.HTTPConnection(spec.get("host", "127.0.0.1"), int(spec["port"]), timeout=30)
    out = {}
    for name, path in spec["queries"].items():
        lat = []
        for i in range(int(spec.get("repeat", 200)) + 10):
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {spec['token']}"})
            res = conn.getresponse()
            body = res.read()
            if res.status != 200:
                raise SystemExit(f"{path}: {res.status} {body[:200]!r}")
            if i >= 10:  # the first ten warm the caches
                lat.append((time.perf_counter() - t0) * 1000)
        out[name] = summary_ms(lat)
        out[name]["rows"] = body.count(b'"Id"')
    return out


async def run(spec):
    # The generator's own collections grow by the hundred thousand: a full
    # collection in the middle of a run would show up as latency.
    gc.disable()
    gen = Generator(spec)
    kind = spec["scenario"]
    try:
        if kind == "private":
            return await scenario_private(gen, spec)
        if kind == "group":
            return await scenario_group(gen, spec)
        if kind == "connections":
            return await scenario_connections(gen, spec)
        raise SystemExit(f"unknown scenario {kind}")
    finally:
        gen.close_all()
        await asyncio.sleep(0.2)


def main(argv):
    with open(argv[1]) as fh:
        spec = json.load(fh)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if spec["scenario"] == "history":
        result = scenario_history(spec)
    else:
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        result = runner(run(spec))
    out = spec.get("out")
    text = json.dumps(result)
    if out:
        with open(out, "w") as fh:
            fh.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv)
