"""Several nodes as one: real ``wsgi.py`` processes on one host sharing one
database and one Redis, joined by the UDP broadcast bus or Redis pub/sub."""

import json
import secrets
import socket
import time

import pytest
import redis as redis_lib

from helpers import wait_for
from multinode import chat_across, cluster, shared  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # node processes on a shared database and bus


def presence(shared, user_id):
    return redis_lib.Redis.from_url(shared["redis"]).exists(f"online_{user_id}") == 1


@pytest.mark.parametrize("bus", ["udp", "redis"])
def test_three_nodes_chat_exactly_once(cluster, bus):
    # A long catch-up interval: the bus alone must carry these messages.
    nodes = cluster(3, bus, BUS_CATCHUP_INTERVAL=120)
    result = chat_across([n.api for n in nodes], rounds=5)
    assert result["messages"] == 20
    for node in nodes:
        assert "Traceback" not in node.log(), node.log()[-3000:]


def test_lost_datagrams_are_caught_up_exactly_once(cluster):
    nodes = cluster(3, "udp", BUS_DROP_RATE=0.5, BUS_CATCHUP_INTERVAL=0.5)
    chat_across([n.api for n in nodes], rounds=10)
    logs = "".join(n.log() for n in nodes)
    assert "BUS_DROP_RATE dropped an outgoing packet" in logs
    assert "messages the bus did not bring came from SQL" in logs


def test_presence_follows_the_last_connection_on_any_node(cluster, shared):
    n1, n2 = cluster(2, "udp")
    user = n1.api.user("p")
    w1 = n1.api.ws(user)
    w2 = n2.api.ws(user)
    assert wait_for(lambda: presence(shared, user.id), timeout=10)
    w1.close()
    # Node 1 saw its last connection of the user close; node 2 still serves them.
    assert wait_for(lambda: n1.health()["Connections"] == 0, timeout=10)
    time.sleep(0.5)  # deliberately: time for a wrong clearing of the presence key to show
    assert presence(shared, user.id)
    w2.close()
    assert wait_for(lambda: not presence(shared, user.id), timeout=10)


def test_forged_datagrams_are_dropped_and_counted(cluster, shared):
    nodes = cluster(2, "udp")
    port = int(nodes[0].settings["UDP_PORT"])
    api = nodes[0].api
    a, b = api.user("f"), api.user("f")
    api.befriend(a, b)
    wb = nodes[1].api.ws(b, since=0)
    frame = {
        "Id": 10**9,
        "Seq": 1,
        "UserId": a.id,
        "TargetId": b.id,
        "Type": 1,
        "Media": 1,
        "Content": "forged",
        "Url": "",
        "Amount": 0,
        "CreateTime": 0,
        "ClientMsgId": "",
    }
    payload = json.dumps({"k": "m", "m": frame, "n": "intruder"}).encode()
    forged = [
        payload,  # no signature
        b"0" * 64 + b"." + payload,  # a wrong signature
        secrets.token_hex(32).encode() + b"." + payload,  # another wrong one
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        for packet in forged:
            sock.sendto(packet, ("127.255.255.255", port))

    def counted(node):
        return node.log().count("dropped an unsigned bus packet") + node.log().count(
            "dropped a bus packet with a bad signature"
        )

    assert wait_for(lambda: all(counted(n) == len(forged) for n in nodes), timeout=10), [counted(n) for n in nodes]
    assert [f for f in wb.quiet(1.5) if f.get("Type") in (1, 2)] == []
    wb.close()


def test_killed_node_users_reconnect_elsewhere_and_lose_nothing(cluster, shared):
    n1, n2, n3 = cluster(3, "udp", HEARTBEAT_TIMEOUT=6)
    a, b = n1.api.user("k"), n2.api.user("k")
    n1.api.befriend(a, b)
    group = n1.api.group(a, b)
    wa, wb = n1.api.ws(a, since=0), n2.api.ws(b, since=0)
    wa.send(Type=1, TargetId=b.id, Media=1, Content="before", ClientMsgId="k-0")
    seen_by_b = wb.messages(1)
    assert seen_by_b[0]["Content"] == "before"
    assert wait_for(lambda: presence(shared, b.id), timeout=5)

    n2.kill()
    # The survivors go on: a keeps writing, to b and to the group.
    sent = []
    for i in range(1, 6):
        wa.send(Type=1, TargetId=b.id, Media=1, Content=f"while away {i}", ClientMsgId=f"k-{i}")
        wa.send(Type=2, TargetId=group["ID"], Media=1, Content=f"group {i}", ClientMsgId=f"kg-{i}")
    own = wa.messages(1 + 10)  # a's own copies, including "before"
    sent = [f["Id"] for f in own[1:]]
    assert n1.health() and n3.health()

    # b's client reconnects to another node with the last Id it saw.
    wb = n3.api.ws(b, since=seen_by_b[-1]["Id"])
    missed = wb.messages(10, timeout=15)
    assert [f["Id"] for f in missed] == sorted(sent)
    wa.send(Type=1, TargetId=b.id, Media=1, Content="after", ClientMsgId="k-after")
    live = wb.messages(1)
    assert live[0]["Content"] == "after"
    assert [f for f in wb.quiet(1.0) if f.get("Type") in (1, 2)] == []

    # The dead node's presence entries expire; b is online through node 3 only.
    wb.close()
    wa.send(Type=3)
    assert wait_for(lambda: not presence(shared, b.id), timeout=15)
    wa.close()
