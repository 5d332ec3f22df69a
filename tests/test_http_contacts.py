"""Friends and groups over HTTP: searchFriends, addfriend, createCommunity,
loadcommunity, joinGroup, with every documented error and the races."""

import gevent
import pytest

from helpers import unique_name
from http_checks import answer, error, group, listing, public_user

BAD_INTS = ["abc", "1.5", "--1", "\u00b2", "99999999999999999999"]


def friend_ids(user):
    return [u["ID"] for u in listing(user.post("/searchFriends"))["Rows"]]


def my_groups(user):
    body = listing(user.post("/contact/loadcommunity"))
    for row in body["Rows"]:
        group(row)
    assert body["Total"] == len(body["Rows"])
    return {row["ID"]: row for row in body["Rows"]}


# --- friends ----------------------------------------------------------------------
def test_a_new_user_has_no_friends(api):
    me = api.user()
    body = listing(me.post("/searchFriends"))
    assert body["Rows"] == [] and body["Total"] == 0


def test_add_friend_by_id_is_mutual(api):
    a, b = api.user(), api.user()
    data = public_user(answer(a.post("/contact/addfriend", targetId=b.id), 200)["Data"])
    assert data["ID"] == b.id and data["Name"] == b.name
    assert friend_ids(a) == [b.id] and friend_ids(b) == [a.id]
    rows = listing(a.post("/searchFriends"))["Rows"]
    assert public_user(rows[0])["Online"] is False


def test_add_friend_by_name(api):
    a, b = api.user(), api.user()
    assert answer(a.post("/contact/addfriend", targetName=b.name), 200)["Data"]["ID"] == b.id
    assert friend_ids(b) == [a.id]


def test_add_friend_by_json_body(api):
    a, b = api.user(), api.user()
    answer(a.api.post("/contact/addfriend", token=a.token, json_body={"targetId": b.id}), 200)
    assert friend_ids(a) == [b.id]


def test_friends_are_listed_each_once(api):
    me = api.user()
    others = [api.user() for _ in range(3)]
    for other in others:
        api.befriend(me, other)
    body = listing(me.post("/searchFriends"))
    assert sorted(u["ID"] for u in body["Rows"]) == sorted(o.id for o in others)
    assert body["Total"] == 3


def test_add_yourself_is_400(api):
    me = api.user()
    error(me.post("/contact/addfriend", targetId=me.id), 400, "yourself")
    error(me.post("/contact/addfriend", targetName=me.name), 400, "yourself")
    assert friend_ids(me) == []


def test_add_an_unknown_user_is_404(api):
    me = api.user()
    error(me.post("/contact/addfriend", targetId=2_000_000_000), 404)
    error(me.post("/contact/addfriend", targetName=unique_name("ghost")), 404)


def test_add_a_friend_twice_is_409_from_either_side(api):
    a, b = api.user(), api.user()
    api.befriend(a, b)
    error(a.post("/contact/addfriend", targetId=b.id), 409, "already")
    error(b.post("/contact/addfriend", targetName=a.name), 409, "already")
    assert friend_ids(a) == [b.id] and friend_ids(b) == [a.id]


def test_add_friend_without_a_target_is_400(api):
    me = api.user()
    error(me.post("/contact/addfriend"), 400, "targetName", "targetId")
    error(me.post("/contact/addfriend", targetName="", targetId=""), 400)


@pytest.mark.parametrize("value", BAD_INTS)
def test_add_friend_with_a_malformed_id_is_400(api, value):
    me = api.user()
    error(me.post("/contact/addfriend", targetId=value), 400, "targetId")


@pytest.mark.parametrize("value", ["0", "-1", "2147483648", "9223372036854775807", "9999999999999999999"])
def test_add_friend_with_an_out_of_range_id_is_never_a_500(api, value):
    me = api.user()
    r = me.post("/contact/addfriend", targetId=value)
    assert r.status_code in (400, 404), r.text
    answer(r, r.status_code)


def test_add_friend_with_an_overlong_name_is_400(api):
    me = api.user()
    error(me.post("/contact/addfriend", targetName="x" * 65), 400, "targetName")


@pytest.mark.parametrize("path", ["/searchFriends", "/contact/addfriend"])
def test_friend_routes_need_a_login(api, path):
    error(api.post(path, targetId=1), 401)


def test_befriending_each_other_at_once_makes_one_friendship(api):
    """Both directions at the same moment: one wins, one gets 409, no 500,
    and each side lists the other exactly once."""
    for _ in range(3):
        a, b = api.user(), api.user()
        jobs = [
            gevent.spawn(a.post, "/contact/addfriend", targetId=b.id),
            gevent.spawn(b.post, "/contact/addfriend", targetId=a.id),
            gevent.spawn(a.post, "/contact/addfriend", targetName=b.name),
        ]
        gevent.joinall(jobs, raise_error=True)
        statuses = sorted(job.value.status_code for job in jobs)
        assert statuses == [200, 409, 409], [job.value.text for job in jobs]
        for job in jobs:
            answer(job.value, job.value.status_code)
        assert friend_ids(a) == [b.id] and friend_ids(b) == [a.id]


# --- groups ------------------------------------------------------------------------
def test_create_group_makes_the_owner_its_first_member(api):
    me = api.user()
    name = unique_name("g")
    data = group(answer(me.post("/contact/createCommunity", name=name, desc="a group"), 201)["Data"])
    assert data["Name"] == name and data["OwnerId"] == me.id and data["Members"] == 1
    assert data["Desc"] == "a group" and data["Img"] == ""
    assert my_groups(me)[data["ID"]]["Members"] == 1


def test_create_group_with_an_upload_as_icon(api):
    import io

    import requests
    from PIL import Image

    me = api.user()
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    up = requests.post(
        api.url + "/attach/upload", files={"file": ("icon.png", png.getvalue())}, headers=me.auth, timeout=10
    )
    icon = up.json()["Data"]
    data = answer(me.post("/contact/createCommunity", name=unique_name("g"), icon=icon), 201)["Data"]
    assert data["Img"] == icon
    # A path that names no stored upload is refused.
    r = me.post("/contact/createCommunity", name=unique_name("g"), icon="/uploads/abc.png")
    assert r.status_code == 400 and "icon" in r.json()["Msg"]


@pytest.mark.parametrize(
    "form, word",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "n" * 33}, "name"),
        ({"name": "n" * 65}, "name"),
        ({"name": "<b>x</b>"}, "name"),
        ({"name": "NAME", "desc": "d" * 256}, "desc"),
        ({"name": "NAME", "icon": "javascript:alert(1)"}, "icon"),
        ({"name": "NAME", "icon": "http://elsewhere.example/a.png"}, "icon"),
    ],
)
def test_create_group_rejects_bad_input_with_400(api, form, word):
    me = api.user()
    form = {k: (unique_name("g") if v == "NAME" else v) for k, v in form.items()}
    error(me.post("/contact/createCommunity", **form), 400, word)
    assert my_groups(me) == {}


def test_create_group_with_a_taken_name_is_409(api):
    a, b = api.user(), api.user()
    name = unique_name("g")
    answer(a.post("/contact/createCommunity", name=name), 201)
    error(b.post("/contact/createCommunity", name=name), 409)
    error(a.post("/contact/createCommunity", name=name), 409)
    assert my_groups(b) == {}


def test_create_group_with_one_name_at_once_makes_one_group(api):
    users = [api.user() for _ in range(4)]
    name = unique_name("g")
    jobs = [gevent.spawn(u.post, "/contact/createCommunity", name=name) for u in users]
    gevent.joinall(jobs, raise_error=True)
    statuses = sorted(job.value.status_code for job in jobs)
    assert statuses == [201, 409, 409, 409], [job.value.text for job in jobs]
    owners = [u for u, job in zip(users, jobs, strict=True) if job.value.status_code == 201]
    assert [g["Name"] for g in my_groups(owners[0]).values()] == [name]
    for user in users:
        if user is not owners[0]:
            assert my_groups(user) == {}


def test_join_group_by_id_and_by_name(api):
    owner, x, y = api.user(), api.user(), api.user()
    grp = api.group(owner)
    data = group(answer(x.post("/contact/joinGroup", comId=grp["ID"]), 200)["Data"])
    assert data["ID"] == grp["ID"] and data["Members"] == 2
    data = answer(y.post("/contact/joinGroup", comId=grp["Name"]), 200)["Data"]
    assert data["ID"] == grp["ID"] and data["Members"] == 3
    for user in (owner, x, y):
        assert my_groups(user)[grp["ID"]]["Members"] == 3


def test_load_community_lists_only_my_groups(api):
    owner, member, outsider = api.user(), api.user(), api.user()
    mine = api.group(owner, member)
    theirs = api.group(outsider)
    assert set(my_groups(owner)) == {mine["ID"]}
    assert set(my_groups(member)) == {mine["ID"]}
    assert set(my_groups(outsider)) == {theirs["ID"]}


def test_join_an_unknown_group_is_404(api):
    me = api.user()
    error(me.post("/contact/joinGroup", comId=2_000_000_000), 404)
    error(me.post("/contact/joinGroup", comId=unique_name("nogroup")), 404)
    for value in ("0", "-1", "2147483648", "9999999999", "99999999999999999999", "\u00b2", "\u0661"):
        error(me.post("/contact/joinGroup", comId=value), 404)
    assert my_groups(me) == {}


def test_join_a_group_twice_is_409(api):
    owner, member = api.user(), api.user()
    grp = api.group(owner, member)
    error(member.post("/contact/joinGroup", comId=grp["ID"]), 409, "already")
    error(member.post("/contact/joinGroup", comId=grp["Name"]), 409, "already")
    error(owner.post("/contact/joinGroup", comId=grp["ID"]), 409, "already")
    assert my_groups(owner)[grp["ID"]]["Members"] == 2


def test_joining_one_group_twice_at_once_adds_one_member(api):
    owner, member = api.user(), api.user()
    grp = api.group(owner)
    jobs = [gevent.spawn(member.post, "/contact/joinGroup", comId=grp["ID"]) for _ in range(3)]
    gevent.joinall(jobs, raise_error=True)
    assert sorted(job.value.status_code for job in jobs) == [200, 409, 409], [job.value.text for job in jobs]
    assert my_groups(owner)[grp["ID"]]["Members"] == 2


def test_join_group_without_com_id_is_400(api):
    me = api.user()
    error(me.post("/contact/joinGroup"), 400, "comId")
    error(me.post("/contact/joinGroup", comId="x" * 65), 400, "comId")


@pytest.mark.parametrize("path", ["/contact/createCommunity", "/contact/loadcommunity", "/contact/joinGroup"])
def test_group_routes_need_a_login(api, path):
    error(api.post(path, name=unique_name("g"), comId=1), 401)
