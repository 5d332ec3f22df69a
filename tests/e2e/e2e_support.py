"""Helpers of the browser tests: the server process, API users for setting
the scene, logging in through the form, screenshots. See conftest.py."""

import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# README's pictures live in tests/e2e/screenshots and are remade with
# `make screenshots`; an ordinary run writes its screenshots to a scratch
# folder, so `make test` leaves the checkout as it was.
SHOTS = os.environ.get("GINCHAT_E2E_SHOTS") or os.path.join(tempfile.gettempdir(), "ginchat-e2e-screenshots")
CHROMIUM = os.environ.get("GINCHAT_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # a fake microphone, so that press-and-hold voice clips can be recorded
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
PASSWORD = "browser-pw-1"
WAIT_MS = 15_000  # how long an expectation waits for the page to get there


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``python wsgi.py`` on a free port with its own SQLite file, embedded
    Redis and upload folder, all in a temporary directory."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.https_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, "server.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GINCHAT_")}
        env.update(
            {
                "GINCHAT_PORT": str(self.port),
                "GINCHAT_HTTPS_PORT": str(self.https_port),  # not 8443: two servers may run at once
                "GINCHAT_HOST": "127.0.0.1",
                "GINCHAT_BUS": "none",
                "GINCHAT_SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(workdir, "ginchat.db"),
                "GINCHAT_INSTANCE_PATH": os.path.join(workdir, "instance"),
                "GINCHAT_UPLOAD_FOLDER": os.path.join(workdir, "uploads"),
                # fixed, so that sessions outlive a restart of the server
                "GINCHAT_SECRET_KEY": "e2e-" + secrets.token_hex(16),
                # the tests seed long histories through the API as fast as they can
                "GINCHAT_RATE_LIMITS": "off",
                # no group everyone is in: the tests count their own chats and
                # groups (tests/test_team.py checks DEFAULT_GROUPS)
                "GINCHAT_DEFAULT_GROUPS": "",
                # every test registers and logs in its people: scrypt at a low
                # cost (tests/test_password_hash.py checks the default)
                "GINCHAT_PASSWORD_HASH": "scrypt:1024:8:1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env = env
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "wsgi.py"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within 60 s:\n{self.log_tail()}")

    def kill(self):
        """Die at once, as a crash would: every socket drops without a close frame."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._stop_embedded_redis()

    def _stop_embedded_redis(self):
        """A killed server leaves its embedded redis-server behind (the next
        start reuses it). Stop it, and wait: it must save while its folder
        still exists, or it refuses to exit."""
        instance = os.path.join(self.workdir, "instance")
        for root_dir, _dirs, files in os.walk(instance):
            for name in files:
                if not name.endswith(".settings"):
                    continue
                try:
                    with open(os.path.join(root_dir, name)) as fh:
                        pidfile = json.load(fh).get("pidfile", "")
                    with open(pidfile) as fh:
                        pid = int(fh.read().strip())
                except (OSError, ValueError):
                    continue
                _end_process(pid)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""


_names = itertools.count(1)


def _end_process(pid, grace=10):
    """SIGTERM, then SIGKILL if ``pid`` is still there after ``grace`` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def unique_name(prefix):
    return f"{prefix}{next(_names)}{secrets.token_hex(2)}"


class ApiUser:
    """A user driven over HTTP with a bearer token (to set the scene fast)."""

    def __init__(self, server, name, password=PASSWORD):
        self.server = server
        self.name = name
        r = requests.post(
            server.url + "/user/findUserByNameAndPwd", data={"name": name, "password": password}, timeout=10
        )
        assert r.status_code == 200, r.text
        data = r.json()["Data"]
        self.id = data["ID"]
        self.token = data["Token"]

    def post(self, path, **data):
        return requests.post(
            self.server.url + path, data=data, timeout=10, headers={"Authorization": f"Bearer {self.token}"}
        )

    def send(self, frames):
        """Send chat frames over a WebSocket and wait for each acknowledgement."""
        import websocket

        ws = websocket.create_connection(f"ws://127.0.0.1:{self.server.port}/chat?token={self.token}", timeout=10)
        try:
            acked = {}
            for frame in frames:
                ws.send(json.dumps(frame))
            want = {f["ClientMsgId"] for f in frames}
            while want - set(acked):
                reply = json.loads(ws.recv())
                assert reply.get("Type") != -1, reply
                if reply.get("ClientMsgId") in want:
                    acked[reply["ClientMsgId"]] = reply
            return [acked[f["ClientMsgId"]] for f in frames]
        finally:
            ws.close()


def register(server, prefix="u"):
    name = unique_name(prefix)
    r = requests.post(
        server.url + "/user/createUser", data={"name": name, "password": PASSWORD, "Identity": PASSWORD}, timeout=10
    )
    assert r.status_code == 201, r.text
    return ApiUser(server, name)


def login(page, name, password=PASSWORD):
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/toChat**")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")


def screenshot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def befriend(a, b):
    r = a.post("/contact/addfriend", targetId=b.id)
    assert r.status_code == 200, r.text


def upload_works(server):
    """False while POST /attach/upload is the 501 placeholder."""
    probe = register(server, "probe")
    r = requests.post(
        server.url + "/attach/upload",
        files={"file": ("p.png", png_bytes(), "image/png")},
        timeout=10,
        headers={"Authorization": f"Bearer {probe.token}"},
    )
    return r.status_code != 501, r


def png_bytes(size=(320, 200)):
    """A small, colourful PNG made here (Pillow is a runtime dependency)."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (47, 111, 237))
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 40):
        draw.ellipse((i, 40, i + 60, 100), fill=((i * 3) % 255, 200, 120))
    draw.rectangle((20, 130, size[0] - 20, 180), fill=(255, 214, 10))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


STORED = re.compile(r"^(sent|delivered|read)$")


def expect_stored(bubble):
    """The bubble(s) of mine carry a tick: the server stored the message
    (sent, delivered or read; see static/js/receipts.js)."""
    from playwright.sync_api import expect

    expect(bubble.locator(".ticks")).to_have_attribute("data-state", STORED)


def open_message_menu(bubble):
    """Open a bubble's "⋯" menu; answers the menu."""
    bubble.hover()
    bubble.get_by_role("button", name="Message actions").click()
    return bubble.get_by_role("menu", name="Message actions")


def open_settings(page, view):
    """The Me tab's settings view ``view`` (profile, notifications, requests,
    blocked, groups, sessions), from wherever the page is."""
    page.get_by_role("tab", name="Me").click()
    back = page.locator(".settings-view:not([hidden]) .back-to-settings")
    if back.count():
        back.click()
    page.locator(f'.settings-item[data-open="{view}"]').click()


def confirm(page, action):
    """Answer a confirmation <dialog> with its ``action`` button."""
    page.locator("dialog.confirm-dialog[open]").get_by_role("button", name=action, exact=True).click()
