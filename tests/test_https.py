"""HTTPS beside HTTP (issue 25): one app served on an http and an https port,
as wsgi.py does, with the certificate of GinChat's own CA; the session
cookie, the WebSocket's Origin rule and /ca.crt on both; bad settings stop
the start with one line."""

import os
import re
import socket
import ssl
import subprocess
import sys

import pytest
import requests
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from helpers import PASSWORD, Api, LiveServer, WsClient, connect, until

from ginchat import tls

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def both(make_app):
    """One app on http and https: (server, http Api, https Api)."""
    live = LiveServer(make_app(), https=True).start()
    yield live, Api(live), Api(live.secure())
    live.stop()


def test_ca_crt_is_served_over_http_and_https(both):
    live, plain, secure = both
    for api in (plain, secure):
        r = api.get("/ca.crt")
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/x-x509-ca-cert"
        assert r.content == tls.ca_certificate_pem(live.app)
        cert = x509.load_pem_x509_certificate(r.content)
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert tls.ca_fingerprint(live.app) == cert.fingerprint(hashes.SHA256()).hex(":").upper()
    # The CA's key is never served, under any name.
    for path in ("/ca.key", "/tls/ca.key", "/instance/tls/ca.key", "/static/../instance/tls/ca.key"):
        assert b"PRIVATE KEY" not in secure.get(path).content


def test_https_url_names_the_https_port(both):
    live, _plain, _secure = both
    port = live.https_port
    assert tls.https_url(live.app, "127.0.0.1") == f"https://127.0.0.1:{port}/"
    assert tls.https_url(live.app, f"chat.lan:{live.port}") == f"https://chat.lan:{port}/"
    assert tls.https_url(live.app, "[fd00::2]:8082") == f"https://[fd00::2]:{port}/"


def _login(api, name, origin=None):
    session = requests.Session()  # verify goes with each request: REQUESTS_CA_BUNDLE would override the session's
    headers = {"Origin": origin} if origin else {}
    r = session.post(
        api.url + "/user/findUserByNameAndPwd",
        data={"name": name, "password": PASSWORD},
        headers=headers,
        timeout=10,
        verify=api.verify,
    )
    assert r.status_code == 200, r.text
    return session, r


def _session_cookie(response):
    cookies = [c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.raw.headers.getlist("Set-Cookie")
    return [part.strip().lower() for part in cookies[0].split(";")]


def test_the_session_cookie_is_secure_over_https_only_and_works_on_both(both):
    live, plain, secure = both
    name = plain.register()

    # Over https, with the browser's https Origin: the cookie is Secure.
    session, r = _login(secure, name, origin=live.https_url)
    assert "secure" in _session_cookie(r)
    assert session.get(secure.url + "/message/mentions", timeout=10, verify=secure.verify).status_code == 200

    # Over http: not Secure (a browser on http could not send it back), and
    # that session works over http and over https alike.
    session, r = _login(plain, name, origin=live.url)
    assert "secure" not in _session_cookie(r)
    cookie = session.cookies.get("session")
    for api in (plain, secure):
        r = requests.get(api.url + "/message/mentions", cookies={"session": cookie}, timeout=10, verify=api.verify)
        assert r.status_code == 200, r.text
    assert requests.get(secure.url + "/message/mentions", timeout=10, verify=secure.verify).status_code == 401


def test_a_browser_session_posts_over_https_with_its_csrf_token(both):
    """Over https Flask-WTF also wants a same-origin Referer (a browser sends
    one: Referrer-Policy same-origin); the CSRF token works as over http."""
    live, plain, secure = both
    name = plain.register()
    session, _ = _login(secure, name, origin=live.https_url)
    page = session.get(secure.url + "/toChat", timeout=10, verify=secure.verify)
    assert page.status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    headers = {"X-CSRFToken": token, "Origin": live.https_url, "Referer": secure.url + "/toChat"}
    r = session.post(secure.url + "/searchFriends", headers=headers, timeout=10, verify=secure.verify)
    assert r.status_code == 200, r.text
    del headers["Referer"]
    r = session.post(secure.url + "/searchFriends", headers=headers, timeout=10, verify=secure.verify)
    assert r.status_code == 400 and "CSRF" in r.json()["Msg"]


def test_wss_chat_exchanges_messages_with_the_https_origin(both):
    live, _plain, secure = both
    a, b = secure.user("tls"), secure.user("tls")
    secure.befriend(a, b)
    # websocket-client sends Origin: https://127.0.0.1:<https port>, the page's own.
    wa, wb = secure.ws(a), secure.ws(b)
    wa.send(Type=1, TargetId=b.id, Media=1, Content="over wss", ClientMsgId="tls-1")
    assert wb.messages(1)[0]["Content"] == "over wss"
    wb.send(Type=1, TargetId=a.id, Media=1, Content="and back", ClientMsgId="tls-2")
    assert [f["Content"] for f in wa.messages(2)] == ["over wss", "and back"]

    # A browser tab's socket: the cookie of an https login, through Flask's path.
    session, _ = _login(secure, b.name, origin=live.https_url)
    tab = connect(
        f"wss://127.0.0.1:{live.https_port}/chat",
        timeout=10,
        sslopt={"ca_certs": secure.verify},
        cookie=f"session={session.cookies.get('session')}",
        origin=live.https_url,
    )
    wa.send(Type=1, TargetId=b.id, Media=1, Content="to the tab", ClientMsgId="tls-3")
    assert until(WsClient(tab), lambda f: f.get("Type") == 1)["Content"] == "to the tab"


@pytest.mark.parametrize("origin_of", ["http-port", "http-scheme", "elsewhere"])
def test_wss_refuses_an_origin_that_is_not_this_https_server(both, origin_of):
    live, _plain, secure = both
    user = secure.user("tls")
    origin = {
        "http-port": live.url,  # the http side of the same host is another origin
        "http-scheme": f"http://127.0.0.1:{live.https_port}",
        "elsewhere": "https://evil.example",
    }[origin_of]
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(
            f"wss://127.0.0.1:{live.https_port}/chat?token={user.token}",
            timeout=10,
            sslopt={"ca_certs": secure.verify},
            origin=origin,
        )
    assert caught.value.status_code == 403


def test_a_client_that_does_not_trust_the_certificate_leaves_the_server_serving(both, server_errors):
    live, _plain, secure = both
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(secure.url + "/health", timeout=10)  # the system's CAs: ours is not among them
    with socket.create_connection(("127.0.0.1", live.https_port), timeout=5) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # plain http to the https port
        raw.settimeout(5)
        try:
            raw.recv(100)
        except OSError:
            pass
    assert secure.get("/health").status_code == 200
    assert server_errors() == []


def _served_names(live):
    context = ssl.create_default_context(cafile=live.ca_file)
    with socket.create_connection(("127.0.0.1", live.https_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_sock:
            cert = x509.load_der_x509_certificate(tls_sock.getpeercert(binary_form=True))
    return set(tls.certificate_names(cert)), cert.issuer


def test_a_running_server_renews_its_certificate_under_the_same_ca(make_app, tmp_path):
    """What wsgi.py's check does every tls.CHECK_SECONDS: new names (a new
    address of the host) give a new certificate to new connections."""
    app = make_app(INSTANCE_PATH=str(tmp_path / "instance"), TLS_NAMES="before.lan")
    live = LiveServer(app, https=True).start()
    try:
        names, issuer = _served_names(live)
        assert "before.lan" in names
        assert tls.refresh(app, live.ssl_context) is False  # nothing changed: nothing made
        app.config["TLS_NAMES"] = "after.lan"
        assert tls.refresh(app, live.ssl_context) is True
        names, new_issuer = _served_names(live)  # verified against the CA served before
        assert "after.lan" in names and "before.lan" not in names and new_issuer == issuer
        assert Api(live.secure()).get("/health").status_code == 200
    finally:
        live.stop()


def test_tls_off_serves_http_only(make_app):
    app = make_app(TLS="off")
    assert tls.https_url(app, "127.0.0.1") is None
    assert tls.ca_certificate_pem(app) is None and tls.server_context(app) is None
    live = LiveServer(app).start()
    try:
        r = Api(live).get("/ca.crt")
        assert r.status_code == 404 and "TLS=off" in r.json()["Msg"]
    finally:
        live.stop()


# --- start-up errors: one line saying what to do, no traceback ------------------
def _start(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GINCHAT_")}
    env.update(
        GINCHAT_INSTANCE_PATH=str(tmp_path / "instance"),
        GINCHAT_BUS="none",
        GINCHAT_HOST="127.0.0.1",
        GINCHAT_PORT="0",
        GINCHAT_HTTPS_PORT="0",
        GINCHAT_SECRET_KEY="x" * 32,
    )
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "wsgi.py")], env=env, capture_output=True, text=True, timeout=60
    )


def _one_line(proc):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_bad_tls_cert_stops_the_start_with_one_line(tmp_path):
    bad = tmp_path / "team.crt"
    bad.write_text("not a certificate\n")
    key = tmp_path / "team.key"
    key.write_text("not a key\n")
    line = _one_line(_start({"GINCHAT_TLS_CERT": str(bad), "GINCHAT_TLS_KEY": str(key)}, tmp_path))
    assert "GINCHAT_TLS_CERT" in line and str(bad) in line and "PEM" in line

    line = _one_line(_start({"GINCHAT_TLS_CERT": str(tmp_path / "missing.crt"), "GINCHAT_TLS_KEY": str(key)}, tmp_path))
    assert "GINCHAT_TLS_CERT" in line and "missing.crt" in line

    line = _one_line(_start({"GINCHAT_TLS_CERT": str(bad)}, tmp_path))
    assert "GINCHAT_TLS_KEY" in line


def test_an_unwritable_instance_folder_stops_the_start_with_one_line(tmp_path):
    # A file where the folder should be: root, who may write anywhere else, cannot either.
    (tmp_path / "blocked").write_text("")
    line = _one_line(_start({"GINCHAT_INSTANCE_PATH": str(tmp_path / "blocked" / "instance")}, tmp_path))
    assert "instance" in line and "GINCHAT_INSTANCE_PATH" in line

    # The folder exists but its tls/ cannot be made.
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "tls").write_text("")
    line = _one_line(_start({"GINCHAT_INSTANCE_PATH": str(instance)}, tmp_path))
    assert "certificates" in line and "GINCHAT_TLS=off" in line
