"""POST /user/findMany (issue 27: one display-name lookup for every place):
several users' public profiles in one request, each exactly as /user/find
answers it, on both settings of DIRECT_MESSAGES; ids the viewer may not look
up are left out, bad input is a 400 that names it."""

import pytest
from test_admin import make_admin

from helpers import PASSWORD
from http_checks import answer, error, listing, public_user


def set_display(user, shown):
    answer(user.post("/user/updateUser", displayName=shown), 200)


def find_each(viewer, ids):
    """What /user/find says of each id (None for a 404)."""
    out = []
    for i in ids:
        r = viewer.post("/user/find", userId=i)
        out.append(answer(r, 200)["Data"] if r.status_code == 200 else None)
    return out


def same_as_find(viewer, ids):
    body = listing(viewer.post("/user/findMany", userIds=",".join(str(i) for i in ids)))
    for row in body["Rows"]:
        public_user(row)
    want = []
    for row in find_each(viewer, list(dict.fromkeys(ids))):
        if row is not None:
            want.append(row)
    assert body["Rows"] == want
    assert body["Total"] == len(want)
    return body["Rows"]


def test_find_many_answers_as_find_does_in_the_order_asked(api):
    me, friend, stranger, gone = api.user("fm"), api.user("fa"), api.user("fb"), api.user("fc")
    api.befriend(me, friend)
    set_display(friend, "Friend Person")
    set_display(stranger, "张伟")
    answer(friend.post("/user/updateUser", phone="13800000000"), 200)
    answer(gone.post("/user/deleteUser", password=PASSWORD), 200)
    ids = [stranger.id, friend.id, 10**9, gone.id, friend.id, me.id]
    rows = same_as_find(me, ids)
    assert [r["ID"] for r in rows] == [stranger.id, friend.id, me.id]
    assert [r["DisplayName"] for r in rows[:2]] == ["张伟", "Friend Person"]
    assert rows[1]["Phone"] == "13800000000" and rows[0]["Phone"] == ""  # Phone only for a friend
    assert "Role" in rows[2]  # my own object


def test_a_deactivated_account_is_seen_by_its_fellows_and_administrators_only(app, api):
    boss, owner, fellow, stranger = api.user("boss"), api.user("own"), api.user("fel"), api.user("str")
    make_admin(app, boss.name)
    gid = answer(owner.post("/contact/createCommunity", name="fm" + str(owner.id)), 201)["Data"]["ID"]
    answer(fellow.post("/contact/joinGroup", comId=gid), 200)
    answer(boss.post("/admin/deactivate", userId=fellow.id), 200)
    ids = [fellow.id, owner.id]
    assert [r["ID"] for r in same_as_find(owner, ids)] == [fellow.id, owner.id]
    assert same_as_find(owner, ids)[0]["Deactivated"] is True
    assert [r["ID"] for r in same_as_find(stranger, ids)] == [owner.id]
    assert [r["ID"] for r in same_as_find(boss, ids)] == [fellow.id, owner.id]


@pytest.mark.parametrize("mode", ["members", "friends"])
def test_online_follows_direct_messages_as_find_does(request, mode):
    api = request.getfixturevalue("api" if mode == "members" else "friends_api")
    me, friend, fellow, stranger, blocker = (api.user(p) for p in ("m", "f", "g", "s", "b"))
    api.befriend(me, friend)
    gid = answer(fellow.post("/contact/createCommunity", name=f"on{fellow.id}"), 201)["Data"]["ID"]
    answer(me.post("/contact/joinGroup", comId=gid), 200)
    answer(blocker.post("/contact/block", targetId=me.id), 200)
    socks = [u.ws() for u in (friend, fellow, stranger, blocker)]
    try:
        rows = {r["ID"]: r for r in same_as_find(me, [friend.id, fellow.id, stranger.id, blocker.id])}
    finally:
        for sock in socks:
            sock.close()
    assert rows[friend.id]["Online"] and rows[fellow.id]["Online"]
    assert rows[stranger.id]["Online"] is (mode == "members")


@pytest.mark.parametrize(
    "value, words",
    [
        (None, ["userIds"]),
        ("", ["userIds"]),
        (" , ,", ["userIds"]),
        ("1,x", ["userIds", "x"]),
        ("0", ["userIds"]),
        ("-3", ["userIds"]),
        (str(2**63), ["userIds"]),
        (",".join(str(i) for i in range(1, 102)), ["at most 100"]),
    ],
)
def test_bad_ids_are_a_400(api, value, words):
    me = api.user("bad")
    data = {} if value is None else {"userIds": value}
    error(me.post("/user/findMany", **data), 400, *words)


def test_find_many_needs_a_login(api):
    error(api.post("/user/findMany", userIds="1"), 401)
