"""Issue 27, a team's server: direct messages between colleagues
(DIRECT_MESSAGES=members, the default, against friends), the directory
(/user/search without q), groups made with their people, and default groups
(DEFAULT_GROUPS and /admin/defaultGroups). Each rule runs on both settings:
the shared server runs members, ``friends_api`` a server of friends."""

import os

import pytest
import requests

from helpers import PASSWORD, Api, frames_of, unique_name, until, ws_events
from http_checks import answer, error, listing
from http_checks import group as group_shape

PRESENCE, TYPING, NOTICE = 12, 11, 14


def member_ids(user, gid):
    return {r["ID"] for r in listing(user.post("/contact/groupMembers", comId=gid))["Rows"]}


def group_named(user, name):
    return [g for g in listing(user.post("/contact/loadcommunity"))["Rows"] if g["Name"] == name]


def directory(user, **params):
    return listing(user.get("/user/search", **params))


def directory_rows(user):
    """Every row of the directory, page by page."""
    rows, page = [], 1
    while True:
        body = directory(user, page=page, size=50)
        rows += body["Rows"]
        if len(rows) >= body["Total"] or not body["Rows"]:
            return rows
        page += 1


# --- 1. direct messages -------------------------------------------------------------------
def test_members_colleagues_write_type_and_see_each_other_until_a_block(api):
    a, b = api.user("a"), api.user("b")
    wa, wb = a.ws(), b.ws()
    wa.send(Type=1, TargetId=b.id, Content="hello colleague", ClientMsgId="c-1")
    got = wb.messages(1)[0]
    assert (got["UserId"], got["Content"]) == (a.id, "hello colleague")
    assert wa.messages(1)[0]["ClientMsgId"] == "c-1"
    # Typing reaches a colleague too; history and unread counts are theirs.
    wa.send(Type=TYPING, TargetId=b.id)
    assert until(wb, lambda f: f.get("Type") == TYPING)["UserId"] == a.id
    assert listing(b.get("/message/history", type=1, targetId=a.id))["Total"] == 1
    row = [r for r in directory_rows(b) if r["ID"] == a.id][0]
    assert (row["Unread"], row["LastMessage"]["Content"]) == (1, "hello colleague")
    # A block, either way, stops messages and typing both ways.
    answer(b.post("/contact/block", targetId=a.id), 200)
    for conn, target, word in ((wa, b.id, "blocked you"), (wb, a.id, "you have blocked")):
        conn.send(Type=1, TargetId=target, Content="still there?", ClientMsgId="c-2")
        err = until(conn, lambda f: f.get("Type") == -1)
        assert err["Code"] == 403 and word in err["Msg"], err
        conn.send(Type=TYPING, TargetId=target, ClientMsgId="c-3")
        assert until(conn, lambda f: f.get("Type") == -1)["Code"] == 403
    answer(b.post("/contact/unblock", targetId=a.id), 200)
    wa.send(Type=1, TargetId=b.id, Content="again")
    assert wb.messages(1)[0]["Content"] == "again"


def test_members_write_to_no_unknown_or_deactivated_account(api):
    a, gone = api.user(), api.user()
    answer(gone.post("/user/deleteUser", password=PASSWORD), 200)
    wa = a.ws()
    for target in (gone.id, 2_000_000_000):
        wa.send(Type=1, TargetId=target, Content="hi", ClientMsgId="c-9")
        assert until(wa, lambda f: f.get("Type") == -1)["Code"] == 404


def test_friends_keeps_the_original_rule(friends_api):
    a, b = friends_api.user(), friends_api.user()
    wa, wb = a.ws(), b.ws()
    wa.send(Type=1, TargetId=b.id, Content="psst", ClientMsgId="f-1")
    assert until(wa, lambda f: f.get("Type") == -1)["Msg"] == f"user {b.id} is not your friend"
    wa.send(Type=TYPING, TargetId=b.id, ClientMsgId="f-2")
    assert until(wa, lambda f: f.get("Type") == -1)["Code"] == 403
    assert wb.quiet(0.3) == []
    friends_api.befriend(a, b)
    wa.send(Type=1, TargetId=b.id, Content="now")
    assert wb.messages(1)[0]["Content"] == "now"


def test_presence_reaches_colleagues_with_members_and_friends_with_friends(api, friends_api):
    for kind, server_api in (("members", api), ("friends", friends_api)):
        watcher, colleague, blocker = server_api.user("w"), server_api.user("c"), server_api.user("x")
        answer(blocker.post("/contact/block", targetId=watcher.id), 200)
        events = ws_events(watcher)
        conns = [colleague.ws(), blocker.ws()]
        frames = frames_of(events, PRESENCE, seconds=1.0)
        online = {f["UserId"] for f in frames if f["Online"]}
        assert blocker.id not in online, kind  # a block hides presence in both modes
        found = answer(watcher.post("/user/find", userId=colleague.id), 200)["Data"]
        hidden = answer(watcher.post("/user/find", userId=blocker.id), 200)["Data"]
        assert hidden["Online"] is False, kind
        if kind == "members":
            assert colleague.id in online and found["Online"] is True
        else:
            assert colleague.id not in online and found["Online"] is False
        for conn in conns:
            conn.close()


# --- 3. the directory ---------------------------------------------------------------------
def test_the_directory_lists_every_active_account_by_display_name(api):
    me, blocker, gone = api.user("me"), api.user("bl"), api.user("gone")
    people = [api.user("p") for _ in range(3)]
    for person, shown in zip(people, ("Zoe Last", "", "Adam First"), strict=True):
        if shown:
            answer(person.post("/user/updateUser", displayName=shown), 200)
    answer(blocker.post("/contact/block", targetId=me.id), 200)
    answer(gone.post("/user/deleteUser", password=PASSWORD), 200)
    rows = directory_rows(me)
    ids = [r["ID"] for r in rows]
    assert me.id not in ids and blocker.id not in ids and gone.id not in ids
    assert {p.id for p in people} <= set(ids)
    assert len(ids) == len(set(ids)) == directory(me)["Total"]

    # By display name, the name standing in for none (any collation agrees on these).
    order = [ids.index(p.id) for p in (people[2], people[1], people[0])]  # Adam First, p..., Zoe Last
    assert order == sorted(order), [rows[i] for i in order]
    assert {"Relation", "Online", "Unread", "LastMessage", "ReadId", "PeerReadId"} <= set(rows[0])
    # Paged: two pages of one hold the first two rows.
    first, second = (directory(me, page=p, size=1)["Rows"] for p in (1, 2))
    assert [first[0]["ID"], second[0]["ID"]] == ids[:2]


# --- 4. groups made with their people ------------------------------------------------------
def test_create_community_with_members_opens_it_for_them_at_once(api):
    owner, x, y = api.user("o"), api.user("x"), api.user("y")
    events = ws_events(x)
    wy = y.ws()
    name = unique_name("team")
    body = answer(owner.post("/contact/createCommunity", name=name, members=f"{x.id}, {y.id},{x.id},{owner.id}"), 201)
    group = group_shape(body["Data"])
    assert group["Members"] == 3 and member_ids(owner, group["ID"]) == {owner.id, x.id, y.id}
    note = until(events, lambda f: f.get("Type") == NOTICE)
    assert (note["Event"], note["GroupId"], note["UserId"], note["ActorId"]) == (
        "member_added",
        group["ID"],
        x.id,
        owner.id,
    )
    assert [f for f in frames_of(events, NOTICE) if f["Event"] == "member_added"] == []  # y's is y's alone
    owner.ws().send(Type=2, TargetId=group["ID"], Content="kick-off")
    assert wy.messages(1)[0]["Content"] == "kick-off"
    assert group_named(y, name)[0]["Role"] == "member"


def test_create_community_members_are_checked_first_and_nothing_is_made(api, friends_api):
    owner, ok, blocker = api.user(), api.user(), api.user()
    answer(blocker.post("/contact/block", targetId=owner.id), 200)
    for members, status, word in (
        (f"{ok.id},x", 400, "members"),
        (f"{ok.id},0", 400, "members"),
        ("1," * 501, 400, "500"),
        (f"{ok.id},{blocker.id}", 403, str(blocker.id)),
        (f"{ok.id},2000000000", 404, "2000000000"),
    ):
        name = unique_name("none")
        error(owner.post("/contact/createCommunity", name=name, members=members), status, word)
        error(owner.post("/contact/joinGroup", comId=name), 404)
    # With friends, a colleague who is not a friend is refused alike.
    f_owner, f_friend, f_other = friends_api.user(), friends_api.user(), friends_api.user()
    friends_api.befriend(f_owner, f_friend)
    name = unique_name("none")
    r = f_owner.post("/contact/createCommunity", name=name, members=f"{f_friend.id},{f_other.id}")
    error(r, 403, f"user {f_other.id} is not your friend")
    error(f_owner.post("/contact/joinGroup", comId=name), 404)
    body = answer(f_owner.post("/contact/createCommunity", name=name, members=str(f_friend.id)), 201)
    assert body["Data"]["Members"] == 2
    # A JSON body may give the ids as a list.
    r = owner.post("/contact/createCommunity", json_body={"name": unique_name("js"), "members": [ok.id]})
    assert answer(r, 201)["Data"]["Members"] == 2


def test_add_member_takes_any_colleague_within_who_may_add(api, friends_api):
    owner, member, colleague, blocker = api.user(), api.user(), api.user(), api.user()
    gid = answer(owner.post("/contact/createCommunity", name=unique_name("g"), policy="invite"), 201)["Data"]["ID"]
    answer(owner.post("/contact/addMember", comId=gid, userId=member.id), 200)  # no friendship needed
    answer(owner.post("/contact/updateGroup", comId=gid, whoMayAdd="admins"), 200)
    error(member.post("/contact/addMember", comId=gid, userId=colleague.id), 403, "admins")
    answer(owner.post("/contact/addMember", comId=gid, userId=colleague.id), 200)
    answer(blocker.post("/contact/block", targetId=owner.id), 200)
    error(owner.post("/contact/addMember", comId=gid, userId=blocker.id), 403, "blocked")
    f_owner, f_colleague = friends_api.user(), friends_api.user()
    gid = answer(f_owner.post("/contact/createCommunity", name=unique_name("g")), 201)["Data"]["ID"]
    error(f_owner.post("/contact/addMember", comId=gid, userId=f_colleague.id), 403, "friend")


# --- 2. default groups ----------------------------------------------------------------------
def make_admin(api, user):
    """``user`` becomes an administrator (as ``flask ginchat make-admin`` does)."""
    from ginchat.domain.admin import make_admin_by_name

    with api.server.app.app_context():
        make_admin_by_name(user.name)
    return user


def test_default_groups_are_made_once_joined_by_everyone_and_by_newcomers(api, make_server):
    """The shared database has an administrator (its first account): a server
    naming new default groups makes them, owned by that administrator, with
    every account in; a second start changes nothing; newcomers join; an
    administrator's unmarking holds across restarts."""
    early = api.user("early")
    names = [unique_name("Team"), unique_name("Lobby")]
    setting = ", ".join(names)
    team = Api(make_server(DEFAULT_GROUPS=setting))
    try:
        groups = [group_named(early, n) for n in names]
        assert all(len(g) == 1 and g[0]["Default"] is True for g in groups), groups
        gids = [g[0]["ID"] for g in groups]
        owner_id = groups[0][0]["OwnerId"]
        count = groups[0][0]["Members"]
        # Registering on any node joins the default groups.
        newcomer = team.user("new")
        assert {g["ID"] for g in listing(newcomer.post("/contact/loadcommunity"))["Rows"]} >= set(gids)
        elsewhere = api.user("else")
        assert {g["ID"] for g in listing(elsewhere.post("/contact/loadcommunity"))["Rows"]} >= set(gids)
        # Started again: no second group, nobody twice.
        Api(make_server(DEFAULT_GROUPS=setting))
        again = group_named(early, names[0])
        assert len(again) == 1 and again[0]["Members"] == count + 2 and again[0]["OwnerId"] == owner_id

        # The administrator takes the mark off one: newcomers no longer join it, even after a restart.
        admin = make_admin(api, team.user("boss"))
        error(early.post("/admin/defaultGroups", comId=gids[1], default="false"), 403)
        body = answer(admin.post("/admin/defaultGroups", comId=gids[1], default="false"), 200)
        assert body["Data"]["Default"] is False and body["Data"]["Joined"] == 0
        Api(make_server(DEFAULT_GROUPS=setting))
        later = team.user("later")
        mine = {g["ID"] for g in listing(later.post("/contact/loadcommunity"))["Rows"]}
        assert gids[0] in mine and gids[1] not in mine
        # Marked again with everyone: whoever is missing joins now.
        body = answer(admin.post("/admin/defaultGroups", comId=gids[1], everyone="true"), 200)
        assert body["Data"]["Default"] is True and body["Data"]["Joined"] >= 1
        assert later.id in member_ids(admin, gids[1])
        error(admin.post("/admin/defaultGroups", comId=2_000_000_000), 404)
        error(admin.post("/admin/defaultGroups", comId=gids[0], default="maybe"), 400)
    finally:
        cleanup(api, names)


def cleanup(api, names):
    """The test's default groups go: the suite's later users start in none."""
    from ginchat.extensions import db
    from ginchat.models.community import Community
    from ginchat.utils.names import name_key

    app = api.server.app
    with app.app_context():
        for name in names:
            group = db.session.scalar(db.select(Community).where(Community.name_key == name_key(name)))
            if group is not None:
                group.dissolve()


def test_the_first_account_makes_the_default_groups_of_an_empty_database(make_app, workdir):
    from helpers import LiveServer

    path = os.path.join(workdir, "empty-" + unique_name("db") + ".db")
    server = LiveServer(make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + path, DEFAULT_GROUPS="General"))
    server.start()
    try:
        fresh = Api(server)
        first = fresh.user("first")
        rows = listing(first.post("/contact/loadcommunity"))["Rows"]
        assert [(g["Name"], g["OwnerId"], g["Default"]) for g in rows] == [("General", first.id, True)]
        second = fresh.user("second")
        rows = listing(second.post("/contact/loadcommunity"))["Rows"]
        assert [(g["Name"], g["Members"]) for g in rows] == [("General", 2)]
    finally:
        server.stop()


@pytest.mark.parametrize("value", ["everyone", ""])
def test_a_bad_setting_stops_the_start(make_app, value):
    with pytest.raises(ValueError):
        if value:
            make_app(DIRECT_MESSAGES=value)
        else:
            make_app(DEFAULT_GROUPS="Good, Bad/Name")


def test_administrators_list_the_default_groups(api):
    """GET /admin/defaultGroups (issue 27): the admin page's list of the groups
    every new account joins; administrators only."""
    admin = make_admin(api, api.user("boss"))
    member = api.user("plain")
    names = [unique_name("Deflist"), unique_name("Other")]
    try:
        gids = [answer(admin.post("/contact/createCommunity", name=n), 201)["Data"]["ID"] for n in names]
        answer(admin.post("/admin/defaultGroups", comId=gids[0]), 200)
        rows = listing(admin.get("/admin/defaultGroups"))["Rows"]
        mine = [r for r in rows if r["ID"] in gids]
        assert [(r["ID"], r["Default"], r["OwnerName"]) for r in mine] == [(gids[0], True, admin.name)]
        assert all(r["Default"] is True for r in rows)
        assert [r["ID"] for r in rows] == sorted(r["ID"] for r in rows)
        answer(admin.post("/admin/defaultGroups", comId=gids[0], default="false"), 200)
        assert gids[0] not in {r["ID"] for r in listing(admin.get("/admin/defaultGroups"))["Rows"]}
        error(member.get("/admin/defaultGroups"), 403)
        assert requests.get(api.url + "/admin/defaultGroups", timeout=10).status_code == 401
    finally:
        cleanup(api, names)
