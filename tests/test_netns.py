"""A real LAN: three hosts made of network namespaces joined by a bridge on a
private subnet made for the test, one node in each, Redis in the first, the
UDP bus on the subnet's broadcast address. Needs root and ``ip``.

The nodes share SQL through one SQLite file: namespaces separate networks,
not file systems, and the database servers of the host listen on loopback
only, which no namespace reaches. What this test is about is the bus."""

import os
import random
import secrets
import shutil
import subprocess
import sys

import pytest

from multinode import ROOT, NodeProcess, RedisServer, free_port, node_settings

IP = shutil.which("ip")

pytestmark = [
    pytest.mark.slow,  # hosts built with ip netns, node processes inside
    pytest.mark.netns,
    pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(IP is None, reason="the ip command (iproute2) is missing"),
]


def ip(*args):
    result = subprocess.run([IP, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"ip {' '.join(args)}: {result.stderr}"
    return result.stdout


class Lan:
    """A switch namespace holding a bridge, and one namespace per host."""

    def __init__(self, hosts):
        tag = secrets.token_hex(3)
        self.switch = f"gc{tag}-sw"
        self.hosts = [f"gc{tag}-h{i}" for i in range(1, hosts + 1)]
        self.net = f"10.213.{random.randint(1, 254)}"
        self.broadcast = f"{self.net}.255"
        self.made = []

    def address(self, index):
        return f"{self.net}.{index + 1}"

    def exec_prefix(self, index):
        return [IP, "netns", "exec", self.hosts[index]]

    def build(self):
        for name in [self.switch, *self.hosts]:
            ip("netns", "add", name)
            self.made.append(name)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts):
            port = f"p{index}"
            ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host)
            ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
            ip("-n", host, "addr", "add", f"{self.address(index)}/24", "broadcast", self.broadcast, "dev", "eth0")
            ip("-n", host, "link", "set", "eth0", "up")
            ip("-n", host, "link", "set", "lo", "up")
        return self

    def destroy(self):
        for name in reversed(self.made):
            subprocess.run([IP, "netns", "del", name], capture_output=True, timeout=30)


@pytest.fixture
def lan():
    net = Lan(3)
    try:
        yield net.build()
    finally:
        net.destroy()


def test_three_hosts_chat_over_the_subnet_broadcast(lan, make_app, workdir):
    base = os.path.join(workdir, f"netns-{lan.hosts[0]}")
    os.makedirs(base)
    database = "sqlite:///" + os.path.join(base, "shared.db")
    make_app(SQLALCHEMY_DATABASE_URI=database)  # creates the tables once
    redis_server = RedisServer(base, host=lan.address(0), port=6379, prefix=lan.exec_prefix(0))
    nodes = []
    try:
        redis_server.start()
        settings = node_settings(
            database,
            f"redis://{lan.address(0)}:6379/0",
            "udp",
            HOST="0.0.0.0",
            UDP_PORT=free_port(),
            UDP_BROADCAST=lan.broadcast,
            # The bus alone must carry the messages: no timed catch-up within the test.
            BUS_CATCHUP_INTERVAL=120,
        )
        for index in range(3):
            node = NodeProcess(
                f"{lan.hosts[index]}-node",
                base,
                settings,
                host=lan.address(index),
                port=8082,
                prefix=lan.exec_prefix(index),
            )
            nodes.append(node.start())
        urls = [node.url for node in nodes]
        # The users' side runs on the first host: the test's own namespace has no route to the subnet.
        result = subprocess.run(
            lan.exec_prefix(0) + [sys.executable, os.path.join(ROOT, "tests", "multinode.py"), "scenario", *urls],
            capture_output=True,
            text=True,
            timeout=180,
        )
        logs = "\n".join(f"--- {n.name}\n{n.log()[-2500:]}" for n in nodes)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-4000:]}\n{logs}"
        for node in nodes:
            assert node.proc.poll() is None, logs
            assert f"broadcasting to {lan.broadcast}" in node.log()
    finally:
        for node in nodes:
            node.stop()
        redis_server.stop()
