"""deploy/nginx-ginchat.conf in front of two live nodes: users reach one
address, chat across both nodes, and move to the survivor when a node stops."""

import os
import re
import shutil
import subprocess
import types

import pytest
import redis as redis_lib
import requests

from helpers import Api, wait_for
from multinode import ROOT, check_exactly_once, cluster, free_port, shared, stop_process  # noqa: F401

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

pytestmark = [
    pytest.mark.slow,  # nginx in front of node processes
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run does)"),
]


def render(upstreams, listen_port, log_dir):
    """The deployed file with the test's nodes, port and log folder in place of the examples."""
    with open(os.path.join(ROOT, "deploy", "nginx-ginchat.conf")) as fh:
        conf = fh.read()
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in upstreams)
    conf, count = re.subn(r"(?m)^    server \d+\.\d+\.\d+\.\d+:\d+ [^\n]*\n(?:    server [^\n]*\n)*", servers, conf)
    assert count == 1, "the upstream block of deploy/nginx-ginchat.conf changed shape"
    conf, count = re.subn(r"(?m)^    listen 80;", f"    listen 127.0.0.1:{listen_port};", conf)
    assert count == 1
    # Its access log goes where the test reads (without one, nginx's default
    # log, in the same file, is read instead).
    conf = re.sub(
        r"(?m)^    access_log /var/log/nginx/ginchat-access.log ", f"    access_log {log_dir}/access.log ", conf
    )
    return conf


@pytest.fixture
def gateway(cluster, workdir):
    nodes = cluster(2, "udp")
    port = free_port()
    base = os.path.join(workdir, f"nginx-{port}")
    os.makedirs(base)
    os.chmod(base, 0o777)  # workers run as nobody when started by root
    with open(os.path.join(base, "ginchat.conf"), "w") as fh:
        fh.write(render([n.port for n in nodes], port, base))
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
    proc = subprocess.Popen(
        [NGINX, "-p", base, "-c", f"{base}/nginx.conf", "-e", f"{base}/error.log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _answers(url + "/health"), timeout=15), open(f"{base}/error.log").read()
        yield types.SimpleNamespace(url=url, ws_url=f"ws://127.0.0.1:{port}", nodes=nodes, dir=base)
    finally:
        stop_process(proc, timeout=5)


def _answers(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


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
    r = requests.get(gateway.url + "/health", timeout=5)
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
