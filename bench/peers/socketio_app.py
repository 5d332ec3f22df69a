"""The Flask-SocketIO peer, written the way a Flask developer would: a User,
Friend, Member and Message model in Flask-SQLAlchemy on SQLite, rooms for
users and groups, each message checked and committed before it is emitted
(to the recipient's room and back to the sender, or to the group's room).

Run: ``python bench/peers/socketio_app.py PORT DBFILE`` to serve, or
``python bench/peers/socketio_app.py seed DBFILE OUT.json USERS PAIRS GROUP``.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402
from flask_sqlalchemy import SQLAlchemy  # noqa: E402

app = Flask(__name__)
app.config["SECRET_KEY"] = "bench"
db = SQLAlchemy()
socketio = SocketIO(async_mode="gevent")
online = {}  # sid -> user id


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), unique=True, nullable=False)
    token = db.Column(db.String(64), unique=True, nullable=False)


class Friend(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, index=True, nullable=False)
    friend_id = db.Column(db.Integer, nullable=False)


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, index=True, nullable=False)
    user_id = db.Column(db.Integer, index=True, nullable=False)


class Message(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, index=True, nullable=False)
    target_id = db.Column(db.Integer, index=True, nullable=False)
    type = db.Column(db.Integer, nullable=False)
    content = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.Float, default=time.time)


@socketio.on("connect")
def on_connect(auth):
    user = User.query.filter_by(token=(auth or {}).get("token")).first()
    if user is None:
        return False
    online[request.sid] = user.id
    join_room(f"user_{user.id}")
    for m in Member.query.filter_by(user_id=user.id):
        join_room(f"group_{m.group_id}")
    db.session.remove()


@socketio.on("disconnect")
def on_disconnect(*args):
    online.pop(request.sid, None)


@socketio.on("message")
def on_message(data):
    user_id = online.get(request.sid)
    kind, target = int(data["Type"]), int(data["TargetId"])
    if kind == 1:
        allowed = Friend.query.filter_by(user_id=user_id, friend_id=target).first() is not None
    else:
        allowed = Member.query.filter_by(group_id=target, user_id=user_id).first() is not None
    if not allowed:
        emit("error", {"msg": "not allowed"})
        return
    msg = Message(sender_id=user_id, target_id=target, type=kind, content=data["Content"])
    db.session.add(msg)
    db.session.commit()
    out = {"Id": msg.id, "UserId": user_id, "TargetId": target, "Type": kind, "Content": msg.content}
    db.session.remove()
    if kind == 1:
        emit("message", out, to=f"user_{target}")
        emit("message", out)
    else:
        emit("message", out, to=f"group_{target}")


def configure(dbfile):
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{dbfile}"
    db.init_app(app)
    socketio.init_app(app, async_mode="gevent")
    with app.app_context():
        db.create_all()


def seed(dbfile, out, users, pairs, group):
    configure(dbfile)
    listed = []
    with app.app_context():
        for i in range(1, users + 1):
            token = secrets.token_urlsafe(24)
            db.session.add(User(id=i, name=f"bench{i}", token=token))
            listed.append({"id": i, "token": token, "groups": [1] if i <= group else []})
        for k in range(pairs):
            a, b = 2 * k + 1, 2 * k + 2
            db.session.add(Friend(user_id=a, friend_id=b))
            db.session.add(Friend(user_id=b, friend_id=a))
        for i in range(1, group + 1):
            db.session.add(Member(group_id=1, user_id=i))
        db.session.commit()
    with open(out, "w") as fh:
        json.dump(
            {"users": listed, "pairs": [[2 * k + 1, 2 * k + 2] for k in range(pairs)], "group": 1 if group else None},
            fh,
        )


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(sys.argv[2], sys.argv[3], *(int(x) for x in sys.argv[4:7]))
    else:
        configure(sys.argv[2])
        socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
