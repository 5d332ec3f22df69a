"""deploy/nginx-ginchat.conf in front of two live nodes: users reach one
address, chat across both nodes, and move to the survivor when a node stops."""

import os
import re
import shutil
import subprocess
import tempfile
import types

import pytest
import redis as redis_lib
import requests

from helpers import PASSWORD, Api, wait_for
from multinode import ROOT, check_exactly_once, cluster, free_port, shared, stop_process  # noqa: F401

from ginchat import tls

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

pytestmark = [
    pytest.mark.slow,  # nginx in front of node processes
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run does)"),
]


def render(upstreams, listen_port, log_dir, tls_port=None, cert_dir=None):
    """The deployed file with the test's nodes, ports, certificate and log
    folder in place of the examples."""
    with open(os.path.join(ROOT, "deploy", "nginx-ginchat.conf")) as fh:
        conf = fh.read()
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in upstreams)
    conf, count = re.subn(r"(?m)^    server \d+\.\d+\.\d+\.\d+:\d+ [^\n]*\n(?:    server [^\n]*\n)*", servers, conf)
    assert count == 1, "the upstream block of deploy/nginx-ginchat.conf changed shape"
    conf, count = re.subn(r"(?m)^    listen 80;", f"    listen 127.0.0.1:{listen_port};", conf)
    assert count == 1
    conf, count = re.subn(r"(?m)^    listen 443 ssl;", f"    listen 127.0.0.1:{tls_port} ssl;", conf)
    assert count == 1, "the https server block of deploy/nginx-ginchat.conf changed shape"
    # The redirect names the https port (443 in the deployed file, implied).
    conf, count = re.subn(
        r"return 301 https://\$host\$request_uri;", f"return 301 https://$host:{tls_port}$request_uri;", conf
    )
    assert count == 1
    conf, count = re.subn(r"/etc/nginx/ginchat/", cert_dir.rstrip("/") + "/", conf)
    assert count == 2
    # Its access log goes where the test reads (without one, nginx's default
    # log, in the same file, is read instead).
    conf = re.sub(
        r"(?m)^    access_log /var/log/nginx/ginchat-access.log ", f"    access_log {log_dir}/access.log ", conf
    )
    return conf


@pytest.fixture
def gateway(cluster, workdir):
    base = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
    os.chmod(base, 0o777)  # workers run as nobody when started by root
    # README's setup: one CA for every node (TLS_CA_DIR) and the gateway's
    # certificate from it (what `flask --app wsgi ginchat tls-cert` does).
    ca_dir = os.path.join(base, "ca")
    tls.issue({"TLS_CA_DIR": ca_dir}, os.path.join(base, "issuer"), ["127.0.0.1", "localhost"], base)
    nodes = cluster(2, "udp", TLS_CA_DIR=ca_dir, PROXY_COUNT=1)
    ca_file = os.path.join(ca_dir, "ca.crt")
    # A port free when picked may be taken before nginx binds it (another
    # suite runs beside this one in CI): then nginx says so in its log and
    # it starts again on two other ports, up to three times.
    for attempt in range(3):
        port, tls_port = free_port(), free_port()
        proc = _start_nginx(base, nodes, port, tls_port)
        url = f"https://127.0.0.1:{tls_port}"

        def up_or_gone(url=url, proc=proc):
            return _answers(url + "/health", ca_file) or proc.poll() is not None

        if wait_for(up_or_gone, timeout=15):
            if proc.poll() is None:
                break
        stop_process(proc, timeout=5)
        log = open(f"{base}/error.log").read()
        assert "Address already in use" in log and attempt < 2, log
        os.replace(f"{base}/error.log", f"{base}/error-{attempt}.log")
    try:
        yield types.SimpleNamespace(
            url=url,
            ws_url=f"wss://127.0.0.1:{tls_port}",
            http_url=f"http://127.0.0.1:{port}",
            ca_file=ca_file,
            nodes=nodes,
            dir=base,
        )
    finally:
        stop_process(proc, timeout=5)


def _start_nginx(base, nodes, port, tls_port):
    with open(os.path.join(base, "ginchat.conf"), "w") as fh:
        fh.write(render([n.port for n in nodes], port, base, tls_port=tls_port, cert_dir=base))
    with open(os.path.join(base, "nginx.conf"), "w") as fh:
        fh.write(
            f"worker_processes 1;\ndaemon off;\npid {base}/nginx.pid;\nerror_log {base}/error.log info;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            f"  access_log {base}/access.log;\n"
            + "".join(
                f"  {kind}_temp_path {base}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {base}/ginchat.conf;\n}}\n"
        )
    check = subprocess.run(
        [NGINX, "-t", "-p", base, "-c", f"{base}/nginx.conf", "-e", f"{base}/error.log"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    return subprocess.Popen(
        [NGINX, "-p", base, "-c", f"{base}/nginx.conf", "-e", f"{base}/error.log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _answers(url, ca_file):
    try:
        return requests.get(url, timeout=2, verify=ca_file).status_code == 200
    except requests.RequestException:
        return False


def test_the_gateway_serves_https_and_sends_http_there(gateway):
    # Plain http moves to https, path and query kept...
    r = requests.get(gateway.http_url + "/toChat?x=1", allow_redirects=False, timeout=5)
    assert r.status_code == 301 and r.headers["Location"] == gateway.url + "/toChat?x=1"
    # ...but for the CA's certificate, which a device fetches before it trusts https.
    r = requests.get(gateway.http_url + "/ca.crt", allow_redirects=False, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-x509-ca-cert"
    with open(gateway.ca_file, "rb") as fh:
        assert r.content == fh.read()  # every node serves the one CA
    # The gateway's certificate is GinChat's; the nodes see https (PROXY_COUNT=1):
    # the session cookie is Secure.
    api = Api(gateway)
    name = api.register()
    r = requests.post(
        gateway.url + "/user/findUserByNameAndPwd",
        data={"name": name, "password": PASSWORD},
        headers={"Origin": gateway.url},
        timeout=5,
        verify=gateway.ca_file,
    )
    assert r.status_code == 200, r.text
    cookie = next(c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "secure" in cookie.lower()


def test_chat_through_the_gateway_survives_a_node(gateway, shared):
    api = Api(gateway)
    n1, n2 = gateway.nodes
    a, b = api.user("gw"), api.user("gw")
    api.befriend(a, b)
    group = api.group(a, b)
    wa = api.ws(a, since=0)
    assert wait_for(lambda: n1.health()["Connections"] + n2.health()["Connections"] == 1, timeout=10)
    wb = api.ws(b, since=0)
    # least_conn put the two users on different nodes.
    assert wait_for(lambda: (n1.health()["Connections"], n2.health()["Connections"]) == (1, 1), timeout=10)

    for i in range(3):
        wa.send(Type=1, TargetId=b.id, Media=1, Content=f"a{i}", ClientMsgId=f"gwa-{i}")
        wb.send(Type=2, TargetId=group["ID"], Media=1, Content=f"b{i}", ClientMsgId=f"gwb-{i}")
    got_a, got_b = wa.messages(6), wb.messages(6)
    ids = [f["Id"] for f in got_a]
    check_exactly_once("a", got_a + [f for f in wa.quiet(1.0) if f.get("Type") in (1, 2)], ids)
    check_exactly_once("b", got_b + [f for f in wb.quiet(0.2) if f.get("Type") in (1, 2)], ids)

    # Stop the node that serves a; b stays, on the other one.
    holder = redis_lib.Redis.from_url(shared["redis"], decode_responses=True).zrange(f"online_nodes_{a.id}", 0, -1)
    victim = next(n for n in gateway.nodes if n.health()["Node"] in holder)
    survivor = n2 if victim is n1 else n1
    victim.stop()
    last = max(ids)
    for i in range(3):
        wb.send(Type=1, TargetId=a.id, Media=1, Content=f"while a is away {i}", ClientMsgId=f"gwaway-{i}")
    away = [f["Id"] for f in wb.messages(3)]
    wa.close()

    # a's client reconnects to the same address with the last Id it saw.
    wa = api.ws(a, since=last)
    missed = wa.messages(3, timeout=15)
    assert [f["Id"] for f in missed] == away
    assert wait_for(lambda: survivor.health()["Connections"] == 2, timeout=10)
    wa.send(Type=1, TargetId=b.id, Media=1, Content="back", ClientMsgId="gw-back")
    assert wb.messages(1)[0]["Content"] == "back"
    assert [f for f in wa.quiet(1.0) if f.get("Type") in (1, 2) and f["Content"] != "back"] == []
    # HTTP keeps working through the gateway with one node down.
    r = requests.get(gateway.url + "/health", timeout=5, verify=gateway.ca_file)
    assert r.status_code == 200 and r.json()["Data"]["Node"] == survivor.health()["Node"]
    wa.close()
    wb.close()
    # The access log has every WebSocket request, without its ?token= (nginx
    # writes a line when the proxied connection ends).
    log_path = os.path.join(gateway.dir, "access.log")

    def chat_lines():
        with open(log_path) as fh:
            return [line for line in fh if '"GET /chat' in line]

    assert wait_for(lambda: len(chat_lines()) >= 3, timeout=15), chat_lines()
    with open(log_path) as fh:
        logged = fh.read()
    for user in (a, b):
        assert user.token not in logged
    assert "token=" not in logged and "?" not in "".join(chat_lines()), logged[-2000:]
