"""Who sees what of a user (API.md, "Public user object"): every key is always
there; Phone and Email only for the user and their friends; Online only for
friends, fellow group members and the user themself (DIRECT_MESSAGES=friends).
Checked on every route that answers with users."""

from types import SimpleNamespace

import pytest
from sqlalchemy import event

from helpers import Api, wait_for
from http_checks import PUBLIC_USER_KEYS, answer, listing, public_user

PHONE, EMAIL = "+49 170 1234567", "{}@example.org"


@pytest.fixture(scope="module")
def server(friends_server):
    """These rules are DIRECT_MESSAGES=friends' (the original's): with
    members, Online is everyone's but for blocks (tests/test_team.py)."""
    return friends_server


@pytest.fixture(scope="module")
def app(friends_server):
    return friends_server.app


def with_contact_details(user):
    answer(user.post("/user/updateUser", phone=PHONE, email=EMAIL.format(user.name)), 200)
    return user


def online(app, *users):
    redis = app.extensions["redis"]
    conns = [u.ws() for u in users]
    assert wait_for(lambda: all(redis.get(f"online_{u.id}") for u in users))
    return conns


@pytest.fixture
def cast(api, app):
    """me; my friend; a fellow member of my group; a stranger. All online, all
    with a phone and an e-mail address."""
    me, friend, fellow, stranger = (with_contact_details(api.user(p)) for p in ("me", "fr", "fe", "st"))
    api.befriend(me, friend)
    group = api.group(me, fellow, friend)
    conns = online(app, me, friend, fellow, stranger)
    yield SimpleNamespace(me=me, friend=friend, fellow=fellow, stranger=stranger, group=group)
    for conn in conns:
        conn.close()


def seen(row, user):
    """What the viewer got of ``user``: (Phone, Email, Online)."""
    assert PUBLIC_USER_KEYS <= set(row) and isinstance(row["Online"], bool), row
    assert row["ID"] == user.id and row["Name"] == user.name, row
    return row["Phone"], row["Email"], row["Online"]


def everything(user):
    return PHONE, EMAIL.format(user.name), True


HIDDEN = ("", "", False)
ONLINE_ONLY = ("", "", True)


def test_find_shows_contact_details_to_friends_and_presence_to_fellow_members(cast):
    c = cast
    find = {
        u.id: answer(c.me.post("/user/find", userId=u.id), 200)["Data"] for u in (c.me, c.friend, c.fellow, c.stranger)
    }
    assert seen(find[c.me.id], c.me) == everything(c.me)
    assert seen(find[c.friend.id], c.friend) == everything(c.friend)
    assert seen(find[c.fellow.id], c.fellow) == ONLINE_ONLY
    assert seen(find[c.stranger.id], c.stranger) == HIDDEN
    # Seen from the other side: the stranger learns nothing of me.
    assert seen(answer(c.stranger.post("/user/find", userId=c.me.id), 200)["Data"], c.me) == HIDDEN


def test_the_user_list_hides_what_the_viewer_may_not_see(cast):
    c = cast
    total = listing(c.stranger.post("/user/getUserList", page=1, size=1))["Total"]
    rows = []
    for page in range(max(1, (total + 99) // 100), 0, -1):  # ours are the newest: the last pages
        rows += listing(c.me.post("/user/getUserList", page=page, size=100))["Rows"]
        if {c.me.id, c.friend.id, c.fellow.id, c.stranger.id} <= {r["ID"] for r in rows}:
            break
    by_id = {r["ID"]: r for r in rows}
    assert seen(by_id[c.me.id], c.me) == everything(c.me)
    assert seen(by_id[c.friend.id], c.friend) == everything(c.friend)
    assert seen(by_id[c.fellow.id], c.fellow) == ONLINE_ONLY
    assert seen(by_id[c.stranger.id], c.stranger) == HIDDEN
    for row in rows:
        public_user(row)
        if row["ID"] not in (c.me.id, c.friend.id):
            assert row["Phone"] == row["Email"] == "", row
        if row["ID"] not in (c.me.id, c.friend.id, c.fellow.id):
            assert row["Online"] is False, row


@pytest.mark.slow  # registers enough users to see the query count stay flat
def test_the_user_list_reads_relations_in_a_fixed_number_of_queries(cast, api, app):
    """Friends and fellow members are looked up for the whole page at once,
    not once per user."""
    from ginchat.extensions import db

    for _ in range(40):  # a page of 40 users at least
        api.register()
    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, *args):
        if "contact" in statement.lower():
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for size in (2, 40):
            statements.clear()
            assert len(listing(cast.me.post("/user/getUserList", page=1, size=size))["Rows"]) == size
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert 1 <= counts[0] == counts[1] <= 3, counts


def test_search_friends_shows_friends_in_full(cast):
    rows = listing(cast.me.post("/searchFriends"))["Rows"]
    assert [seen(r, cast.friend) for r in rows] == [everything(cast.friend)]


def test_group_members_show_presence_to_members_and_details_to_friends(cast):
    c = cast
    rows = {r["ID"]: r for r in listing(c.fellow.post("/contact/groupMembers", comId=c.group["ID"]))["Rows"]}
    assert seen(rows[c.fellow.id], c.fellow) == everything(c.fellow)
    assert seen(rows[c.me.id], c.me) == ONLINE_ONLY  # a fellow member, not a friend
    assert seen(rows[c.friend.id], c.friend) == ONLINE_ONLY
    rows = {r["ID"]: r for r in listing(c.me.post("/contact/groupMembers", comId=c.group["ID"]))["Rows"]}
    assert seen(rows[c.friend.id], c.friend) == everything(c.friend)
    assert seen(rows[c.fellow.id], c.fellow) == ONLINE_ONLY


def test_login_and_profile_answers_show_me_everything(api, app):
    me = with_contact_details(api.user())
    conns = online(app, me)
    try:
        r = api.post("/user/findUserByNameAndPwd", name=me.name, password=me.password)
        data = answer(r, 200, allow_token=True)["Data"]
        assert (data["Phone"], data["Email"], data["Online"]) == everything(me)
        data = answer(me.post("/user/updateUser", icon=""), 200)["Data"]
        assert seen(data, me) == everything(me)
    finally:
        for conn in conns:
            conn.close()


def test_adding_a_friend_answers_with_the_new_friend_in_full(api, app):
    me, other = api.user(), with_contact_details(api.user())
    conns = online(app, other)
    try:
        data = answer(me.post("/contact/addfriend", targetId=other.id), 200)["Data"]
        assert seen(data, other) == everything(other)
    finally:
        for conn in conns:
            conn.close()


def test_friend_requests_show_strangers_without_their_details(make_server):
    server = make_server(FRIEND_ADD="request", DIRECT_MESSAGES="friends")
    api = Api(server)
    me, asker = with_contact_details(api.user()), with_contact_details(api.user())
    conns = online(server.app, me, asker)
    try:
        sent = answer(asker.post("/contact/requestFriend", targetId=me.id), 201)["Data"]
        assert seen(sent["To"], me) == HIDDEN
        assert seen(sent["From"], asker) == everything(asker)
        rows = listing(me.post("/contact/friendRequests"))["Rows"]
        assert [seen(r["From"], asker) for r in rows] == [HIDDEN]
        assert [seen(r["To"], me) for r in rows] == [everything(me)]
        friend = answer(me.post("/contact/answerRequest", requestId=sent["ID"], accept="true"), 200)["Data"]
        assert seen(friend, asker) == everything(asker)
    finally:
        for conn in conns:
            conn.close()


def test_the_blocked_list_shows_no_details(cast):
    c = cast
    answer(c.me.post("/contact/block", targetId=c.friend.id), 200)
    answer(c.me.post("/contact/block", targetId=c.stranger.id), 200)
    rows = {r["ID"]: r for r in listing(c.me.post("/contact/blocked"))["Rows"]}
    assert seen(rows[c.friend.id], c.friend) == ONLINE_ONLY  # still in my group
    assert seen(rows[c.stranger.id], c.stranger) == HIDDEN


def test_the_people_search_hides_what_the_viewer_may_not_see(cast):
    """GET /user/search (issue 15): found by name, each as public_users has it."""
    c = cast

    def search(user):
        rows = listing(c.me.get("/user/search", q=user.name))["Rows"]
        return next(r for r in rows if r["ID"] == user.id)

    assert seen(search(c.friend), c.friend) == everything(c.friend)
    assert seen(search(c.fellow), c.fellow) == ONLINE_ONLY
    assert seen(search(c.stranger), c.stranger) == HIDDEN
    assert listing(c.me.get("/user/search", q=c.me.name))["Rows"] == [], "never myself"
