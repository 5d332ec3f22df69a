"""The bare flask-sock + gevent relay: no storage, no checks, a copy to the
sender. It is the floor of GinChat's own stack (same server, same WebSocket
library), so GinChat's figures are compared with it in the same run.

Clients connect to ``/ws?uid=N&groups=G1,G2`` and send GinChat-shaped JSON
frames (Type 1 to TargetId and back to the sender, Type 2 to every member of
TargetId, Type 3 ignored). Each socket's sends are whole ``sendall`` calls
under a lock, as simple-websocket's own send could otherwise interleave two
greenlets' frames under load.

Run: ``python bench/peers/relay_app.py PORT``.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402

import gevent.lock  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_sock import Sock  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402
from simple_websocket import ConnectionClosed  # noqa: E402

app = Flask(__name__)
sock = Sock(app)
clients = {}  # user id -> ws
groups = {}  # group id -> set of user ids


class LockedSocket:
    def __init__(self, raw):
        self.raw = raw
        self.lock = gevent.lock.Semaphore()

    def send(self, data):
        with self.lock:
            self.raw.sendall(data)
        return len(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


def send_to(uid, text):
    ws = clients.get(uid)
    if ws is not None:
        try:
            ws.send(text)
        except Exception:
            pass


@sock.route("/ws")
def relay(ws):
    uid = int(request.args["uid"])
    for g in request.args.get("groups", "").split(","):
        if g:
            groups.setdefault(int(g), set()).add(uid)
    ws.sock = LockedSocket(ws.sock)
    clients[uid] = ws
    try:
        while True:
            text = ws.receive()
            data = json.loads(text)
            kind = data.get("Type")
            if kind == 1:
                send_to(data["TargetId"], text)
                send_to(uid, text)
            elif kind == 2:
                for member in tuple(groups.get(data["TargetId"], ())):
                    send_to(member, text)
    except ConnectionClosed:
        pass
    finally:
        if clients.get(uid) is ws:
            del clients[uid]
    return ""


if __name__ == "__main__":
    server = WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None)
    server.serve_forever()
