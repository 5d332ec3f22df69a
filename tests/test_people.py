"""Issue 15: finding people and groups (GET /user/search, GET
/contact/searchGroups), display names, and a per-conversation mute kept on
the server (POST /contact/mute); adding someone tells them at once."""

import secrets

import pytest
from test_admin import make_admin

from helpers import PASSWORD, Api, until, ws_events
from http_checks import answer, error, group, listing, public_user


def stem():
    """A prefix no other test's names start with."""
    return "p" + secrets.token_hex(4)


def register(api, name, display=None):
    data = {"name": name, "password": PASSWORD, "Identity": PASSWORD}
    if display is not None:
        data["displayName"] = display
    return answer(api.post("/user/createUser", **data), 201)["Data"]


def named(api, name, display=None):
    register(api, name, display)
    return api.login(name)


def found(user, q, **paging):
    return listing(user.get("/user/search", q=q, **paging))


def names(body):
    return [row["Name"] for row in body["Rows"]]


# --- display names --------------------------------------------------------------
def test_a_display_name_is_set_at_registration_and_in_the_profile(api):
    s = stem()
    data = register(api, f"{s}ana", "  Ana   Lima ")
    assert data["DisplayName"] == "Ana Lima" and data["Name"] == f"{s}ana"
    public_user(data)
    ana = api.login(f"{s}ana")
    # Fullwidth letters become plain ones (NFKC); an empty value clears it.
    data = answer(ana.post("/user/updateUser", displayName="Ａｎａ L. 🌻"), 200)["Data"]
    assert data["DisplayName"] == "Ana L. 🌻"
    other = api.user()
    assert answer(other.post("/user/find", userId=ana.id), 200)["Data"]["DisplayName"] == "Ana L. 🌻"
    assert answer(ana.post("/user/updateUser", displayName=""), 200)["Data"]["DisplayName"] == ""
    assert answer(ana.post("/user/updateUser", phone=""), 200)["Data"]["DisplayName"] == "", "absent: unchanged"
    # Not unique: two people may both be "Sam".
    for who in (f"{s}sam1", f"{s}sam2"):
        assert register(api, who, "Sam")["DisplayName"] == "Sam"
    # Every public user object has it, e.g. the user list and the friend list.
    rows = listing(ana.post("/user/getUserList", page=1, size=5))["Rows"]
    assert all("DisplayName" in public_user(r) for r in rows)


@pytest.mark.parametrize(
    "value, words",
    [
        ("a" * 65, ["at most 64"]),
        ("Ana\u200bLima", ["invisible", "U+200B"]),
        ("Ana\u202eLima", ["U+202E"]),
        ("Ana\x07", ["control"]),
        ("Ana\nLima", ["control"]),
        ("e\u0301\u0301", ["repeat a combining mark"]),
    ],
)
def test_a_bad_display_name_is_a_400_and_nothing_is_stored(api, value, words):
    s = stem()
    error(api.post("/user/createUser", name=s, password=PASSWORD, Identity=PASSWORD, displayName=value), 400, *words)
    assert api.post("/user/findUserByNameAndPwd", name=s, password=PASSWORD).status_code == 401
    user = api.user()
    error(user.post("/user/updateUser", displayName=value), 400, *words)
    assert answer(user.post("/user/find", userId=user.id), 200)["Data"]["DisplayName"] == ""


def test_the_register_page_takes_a_display_name(api):
    import requests
    from test_http_pages import csrf_of

    s = stem()
    with requests.Session() as browser:
        page = browser.get(api.url + "/toRegister", timeout=10)
        assert 'id="displayName"' in page.text
        form = {"csrf_token": csrf_of(page.text), "name": s, "displayName": "Page Person"}
        form |= {"password": PASSWORD, "Identity": PASSWORD}
        r = browser.post(api.url + "/toRegister", data=form, timeout=10)
        assert r.status_code == 200, r.text[:300]
    assert api.login(s).id
    user = api.login(s)
    assert answer(user.post("/user/find", userId=user.id), 200)["Data"]["DisplayName"] == "Page Person"


# --- people search -----------------------------------------------------------------
def test_search_finds_names_and_display_names_by_prefix_in_any_case(api):
    s = stem()
    me = named(api, f"{s}me")
    alice = named(api, f"{s}Alice", "Wonder Land")
    named(api, f"{s}alistair")
    named(api, f"{s}bob", f"{s.upper()}ALIBI person")
    named(api, f"zz{s}carol", f"{s}Alina")  # found by the display name only
    assert names(found(me, f"{s}ali")) == [f"{s}Alice", f"{s}alistair", f"{s}bob", f"zz{s}carol"]
    assert names(found(me, f"{s.upper()}ALIS")) == [f"{s}alistair"]
    # Width and case do not matter (NFKC, case folding).
    wide = "".join(chr(ord(c) + 0xFEE0) for c in f"{s}ALICE")
    assert names(found(me, wide)) == [f"{s}Alice"]
    # The start of any word of a display name, not the inside of one (issue 26).
    assert [n for n in names(found(me, "Land")) if n.startswith(s)] == [f"{s}Alice"]
    assert not [n for n in names(found(me, "and")) if n.startswith(s)]
    assert names(found(me, "wonder l")) == [f"{s}Alice"]
    # LIKE's wildcards are plain characters here.
    assert found(me, f"{s}%")["Rows"] == [] and found(me, f"{s}_")["Rows"] == []
    # The requester never finds themself.
    assert f"{s}me" not in names(found(me, s))
    row = next(r for r in found(me, f"{s}alice")["Rows"])
    assert row["ID"] == alice.id and row["DisplayName"] == "Wonder Land" and row["Relation"] == ""


def test_search_finds_a_person_by_any_word_of_their_display_name(api):
    """Issue 26: "Chen" finds "Alice Chen"; the words of "alice.chen" too."""
    s = stem()
    me = api.user()
    alice = named(api, f"{s}alice", f"Alice {s}Chen")
    dotted = named(api, f"{s}x.{s}yang")
    assert [r["ID"] for r in found(me, f"{s}chen")["Rows"]] == [alice.id]
    assert [r["ID"] for r in found(me, f"{s.upper()}CH")["Rows"]] == [alice.id]
    assert [r["ID"] for r in found(me, f"{s}yang")["Rows"]] == [dotted.id]
    assert found(me, f"{s}hen")["Rows"] == [], "inside a word is not the start of one"


def test_search_finds_a_chinese_name_by_any_part_and_by_pinyin(api):
    """Issue 26: 伟 finds 张伟 (a Chinese name has no spaces), and so do
    zhangwei and zw; still never yourself or whoever blocked you."""
    s = stem()
    me = named(api, f"{s}me", "张伟民")  # holds 张伟 too: never found by myself
    zhang = named(api, f"{s}zw", "张伟")
    li = named(api, f"{s}li", "李娜")
    blocker = named(api, f"{s}bl", "王伟")
    answer(blocker.post("/contact/block", targetId=me.id), 200)

    def ids(q):
        return {r["ID"] for r in found(me, q)["Rows"]} & {zhang.id, li.id, blocker.id, me.id}

    assert ids("伟") == {zhang.id}
    assert ids("张") == {zhang.id} and ids("张伟") == {zhang.id}
    assert ids("娜") == {li.id} and ids("李娜") == {li.id}
    assert ids("伟娜") == set(), "the characters in that order"
    assert ids("zhangwei") == {zhang.id} and ids("ZhangW") == {zhang.id}
    assert zhang.id in ids("zw") and ids("lina") == {li.id}
    answer(blocker.post("/contact/unblock", targetId=me.id), 200)
    assert ids("伟") == {zhang.id, blocker.id}


def test_search_pages_through_every_match_once(api):
    s = stem()
    me = api.user()
    for i in range(7):
        register(api, f"{s}n{i}")
    seen = []
    for page in (1, 2, 3):
        body = found(me, s, page=page, size=3)
        assert body["Total"] == 7
        seen += names(body)
    assert seen == [f"{s}n{i}" for i in range(7)]
    assert found(me, s, page=4, size=3)["Rows"] == []


@pytest.mark.parametrize(
    "params, status, word",
    [
        ({"q": "a" * 65}, 400, "64"),
        ({"q": "a", "size": 51}, 400, "size"),
        ({"q": "a", "size": 0}, 400, "size"),
        ({"q": "a", "page": 0}, 400, "page"),
        ({"q": "a", "page": "x"}, 400, "page"),
    ],
)
def test_search_refuses_bad_input_with_400(api, params, status, word):
    user = api.user()
    error(user.get("/user/search", **params), status, word)
    error(user.get("/contact/searchGroups", **params), status, word)


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_an_empty_q_finds_no_group_and_lists_every_person(api, params):
    # Issue 27: the people search without q is the directory (tests/test_team.py).
    user = api.user()
    error(user.get("/contact/searchGroups", **params), 400, "q")
    assert listing(user.get("/user/search", **params))["Total"] >= 1


def test_search_needs_a_login(api):
    error(api.get("/user/search", q="a"), 401)
    error(api.get("/contact/searchGroups", q="a"), 401)


def test_search_leaves_out_deactivated_and_deleted_accounts_and_whoever_blocked_me(app, api):
    s = stem()
    boss = api.user("boss")
    make_admin(app, boss.name)
    me = named(api, f"{s}me")
    gone, left, blocker, blocked = (named(api, f"{s}{n}") for n in ("gone", "left", "blocker", "blocked"))
    answer(boss.post("/admin/deactivate", userId=gone.id), 200)
    answer(left.post("/user/deleteUser", password=PASSWORD), 200)
    answer(blocker.post("/contact/block", targetId=me.id), 200)
    answer(me.post("/contact/block", targetId=blocked.id), 200)
    rows = found(me, s)["Rows"]
    assert [(r["Name"], r["Relation"]) for r in rows] == [(f"{s}blocked", "blocked")]
    assert found(me, s)["Total"] == 1
    assert names(found(blocked, s)) == [f"{s}blocker"], "whom I blocked does not find me"


def test_search_says_how_each_one_relates_to_me(make_server):
    api = Api(make_server(FRIEND_ADD="request"))
    s = stem()
    me, friend, asked, asking, stranger = (named(api, f"{s}{n}") for n in ("a0", "a1", "a2", "a3", "a4"))
    answer(me.post("/contact/requestFriend", targetId=friend.id), 201)
    answer(friend.post("/contact/requestFriend", targetId=me.id), 200)  # they had asked: friends now
    answer(me.post("/contact/requestFriend", targetId=asked.id), 201)
    answer(asking.post("/contact/requestFriend", targetId=me.id), 201)
    rows = found(me, s)["Rows"]
    assert [(r["Name"], r["Relation"]) for r in rows] == [
        (f"{s}a1", "friend"),
        (f"{s}a2", "requested"),
        (f"{s}a3", "asking"),
        (f"{s}a4", ""),
    ]
    assert stranger.id == rows[-1]["ID"]


def test_search_has_a_rate_limit(make_server):
    api = Api(make_server(SEARCHES_PER_MINUTE=3))
    user = api.user()
    for _ in range(3):
        listing(user.get("/user/search", q="x"))
    r = user.get("/contact/searchGroups", q="x")
    error(r, 429, "searches")
    assert int(r.headers["Retry-After"]) >= 1
    error(user.get("/user/search", q="a" * 65), 400)  # a bad q is refused before it counts


# --- group search --------------------------------------------------------------------
def test_group_search_finds_open_groups_i_may_join(api):
    s = stem()
    owner, me = api.user(), api.user()
    mine = api.group(owner, me, name=f"{s} Mine")
    open_one = api.group(owner, name=f"{s} Open Team")
    answer(owner.post("/contact/createCommunity", name=f"{s} Closed", policy="invite"), 201)
    kicked = api.group(owner, me, name=f"{s} Kicked")
    answer(owner.post("/contact/removeMember", comId=kicked["ID"], userId=me.id), 200)
    body = listing(me.get("/contact/searchGroups", q=f"{s.upper()} o"))
    assert [g["Name"] for g in body["Rows"]] == [f"{s} Open Team"] and body["Total"] == 1
    assert [group(g)["ID"] for g in listing(me.get("/contact/searchGroups", q=s))["Rows"]] == [open_one["ID"]]
    assert mine["ID"] not in [g["ID"] for g in listing(owner.get("/contact/searchGroups", q=s))["Rows"]]
    answer(me.post("/contact/joinGroup", comId=open_one["ID"]), 200)
    assert listing(me.get("/contact/searchGroups", q=s))["Rows"] == []


# --- mute ------------------------------------------------------------------------------
def test_mute_is_kept_on_the_server_and_reaches_my_other_devices(api, pair):
    a, b = pair
    grp = api.group(a, b)
    assert [f["Muted"] for f in listing(a.post("/searchFriends"))["Rows"]] == [False]
    other_device = ws_events(a)
    data = answer(a.post("/contact/mute", type=1, targetId=b.id), 200)["Data"]
    assert data == {"ChatType": 1, "TargetId": b.id, "Muted": True, "Completely": False}
    note = until(other_device, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["ChatType"], note["UserId"], note["Muted"]) == ("muted", 1, b.id, True)
    answer(a.post("/contact/mute", type=2, targetId=grp["ID"], muted="true"), 200)
    note = until(other_device, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["ChatType"], note["GroupId"], note["Muted"]) == ("muted", 2, grp["ID"], True)
    # Another login sees both; b's side of the conversation is not muted.
    again = api.login(a.name)
    assert [f["Muted"] for f in listing(again.post("/searchFriends"))["Rows"]] == [True]
    assert [group(g)["Muted"] for g in listing(again.post("/contact/loadcommunity"))["Rows"]] == [True]
    assert [f["Muted"] for f in listing(b.post("/searchFriends"))["Rows"]] == [False]
    assert [g["Muted"] for g in listing(b.post("/contact/loadcommunity"))["Rows"]] == [False]
    # A muted conversation still delivers and counts.
    wb = b.ws()
    wb.send(Type=1, TargetId=a.id, Content="still here")
    wb.messages(1)
    assert listing(again.post("/searchFriends"))["Rows"][0]["Unread"] == 1
    answer(a.post("/contact/mute", type=1, targetId=b.id, muted="false"), 200)
    assert [f["Muted"] for f in listing(again.post("/searchFriends"))["Rows"]] == [False]


def test_mute_refuses_what_is_not_mine(api, pair):
    a, b = pair
    stranger = api.user()
    foreign = api.group(stranger)
    # A colleague's chat may be muted (DIRECT_MESSAGES=members: tests/test_team_chats.py), no account's not.
    error(a.post("/contact/mute", type=1, targetId=2_000_000_000), 404, "no user")
    error(a.post("/contact/mute", type=2, targetId=foreign["ID"]), 404, "group")
    error(a.post("/contact/mute", type=3, targetId=b.id), 400, "type")
    error(a.post("/contact/mute", targetId=b.id), 400, "type")
    error(a.post("/contact/mute", type=1), 400, "targetId")
    error(a.post("/contact/mute", type=1, targetId=b.id, muted="maybe"), 400, "muted")
    error(api.post("/contact/mute", type=1, targetId=b.id), 401)
    assert [f["Muted"] for f in listing(a.post("/searchFriends"))["Rows"]] == [False]


# --- adding someone tells them ----------------------------------------------------------
def test_adding_someone_tells_them_who_did(api):
    s = stem()
    adder, added = named(api, f"{s}x", "Xavier X"), api.user()
    watch = ws_events(added)
    answer(adder.post("/contact/addfriend", targetId=added.id), 200)
    note = until(watch, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["ActorId"]) == ("friend_added", adder.id)
    assert note["User"] == {"ID": adder.id, "Name": f"{s}x", "DisplayName": "Xavier X", "Avatar": ""}


def test_a_request_reaches_them_at_once_with_the_asker(make_server):
    api = Api(make_server(FRIEND_ADD="request"))
    s = stem()
    asker, asked = named(api, f"{s}q", "Quinn"), api.user()
    watch = ws_events(asked)
    req = answer(asker.post("/contact/addfriend", targetId=asked.id), 202)["Data"]
    note = until(watch, lambda f: f.get("Type") == 14)
    assert (note["Event"], note["RequestId"], note["User"]["DisplayName"]) == ("friend_request", req["ID"], "Quinn")
    assert "Phone" not in note["User"] and "Email" not in note["User"]
