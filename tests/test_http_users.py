"""The user routes of API.md: register, log in, log out, list, find, update,
deactivate. Every answer is checked for the envelope and for secrets."""

import pytest

from helpers import PASSWORD, unique_name
from http_checks import answer, error, listing, public_user

BAD_INTS = ["abc", "1.5", "1e3", "0x10", " ", "--1", "\u00b2", "\u0661", "99999999999999999999"]


# --- register ------------------------------------------------------------------
def test_register_answers_201_with_the_public_user(api):
    name = unique_name()
    body = answer(api.post("/user/createUser", name=name, password=PASSWORD, Identity=PASSWORD), 201)
    user = public_user(body["Data"])
    assert user["Name"] == name and user["Online"] is False


def test_register_accepts_repassword_and_a_json_body(api):
    answer(api.post("/user/createUser", name=unique_name(), password=PASSWORD, repassword=PASSWORD), 201)
    body = {"name": unique_name(), "password": PASSWORD, "Identity": PASSWORD}
    answer(api.post("/user/createUser", json_body=body), 201)


def test_register_keeps_a_unicode_name(api):
    name = unique_name("名字ü")
    body = answer(api.post("/user/createUser", name=name, password=PASSWORD, Identity=PASSWORD), 201)
    assert body["Data"]["Name"] == name
    assert api.login(name).name == name


@pytest.mark.parametrize(
    "form, words",
    [
        ({"password": PASSWORD, "Identity": PASSWORD}, ["name", "required"]),
        ({"name": "", "password": PASSWORD, "Identity": PASSWORD}, ["name", "required"]),
        ({"name": "NAME", "Identity": PASSWORD}, ["password", "required"]),
        ({"name": "NAME", "password": PASSWORD, "Identity": "other-pw-1"}, ["differ"]),
        ({"name": "NAME", "password": PASSWORD, "repassword": "other-pw-1"}, ["differ"]),
        ({"name": "NAME", "password": "short", "Identity": "short"}, ["password", "6"]),
        ({"name": "NAME", "password": "x" * 129, "Identity": "x" * 129}, ["password", "128"]),
        ({"name": "two words", "password": PASSWORD, "Identity": PASSWORD}, ["name"]),
        ({"name": "<script>", "password": PASSWORD, "Identity": PASSWORD}, ["name"]),
        ({"name": "n" * 33, "password": PASSWORD, "Identity": PASSWORD}, ["name"]),
        ({"name": "n" * 65, "password": PASSWORD, "Identity": PASSWORD}, ["name"]),
        ({"name": "a\x00b", "password": PASSWORD, "Identity": PASSWORD}, ["name"]),
    ],
)
def test_register_rejects_bad_input_with_400(api, form, words):
    form = {k: (unique_name() if v == "NAME" else v) for k, v in form.items()}
    error(api.post("/user/createUser", **form), 400, *words)


@pytest.mark.parametrize("body", [{"name": ["x"], "password": PASSWORD}, {"name": {"a": 1}, "password": PASSWORD}])
def test_register_rejects_non_string_json_values(api, body):
    error(api.post("/user/createUser", json_body=body), 400, "name")


def test_register_rejects_a_taken_name_with_409(api):
    name = api.register()
    error(api.post("/user/createUser", name=name, password=PASSWORD, Identity=PASSWORD), 409, "taken")


def test_malformed_json_body_is_400(api):
    import requests

    url = api.url + "/user/createUser"
    answer(requests.post(url, data="{nope", headers={"Content-Type": "application/json"}, timeout=10), 400)
    answer(requests.post(url, data="[1, 2]", headers={"Content-Type": "application/json"}, timeout=10), 400)


# --- log in ----------------------------------------------------------------------
def test_login_answers_the_user_with_a_token_and_a_cookie(api):
    name = api.register()
    r = api.post("/user/findUserByNameAndPwd", name=name, password=PASSWORD)
    body = answer(r, 200, allow_token=True)
    data = body["Data"]
    assert set(data) == {"ID", "Name", "DisplayName", "Avatar", "Phone", "Email", "Online", "Token", "Role"}
    assert data["Name"] == name and len(data["Token"]) >= 32
    assert r.cookies, "login must set the session cookie"


def test_login_by_json_body(api):
    name = api.register()
    answer(
        api.post("/user/findUserByNameAndPwd", json_body={"name": name, "password": PASSWORD}), 200, allow_token=True
    )


def test_login_gives_one_answer_for_a_wrong_password_and_an_unknown_name(api):
    name = api.register()
    wrong = error(api.post("/user/findUserByNameAndPwd", name=name, password="wrong-pw-1"), 401)
    unknown = error(api.post("/user/findUserByNameAndPwd", name=unique_name(), password=PASSWORD), 401)
    assert wrong["Msg"] == unknown["Msg"], "the answer must not tell which names exist"


@pytest.mark.parametrize("form", [{}, {"name": "someone"}, {"password": PASSWORD}, {"name": "", "password": ""}])
def test_login_with_a_missing_field_is_400(api, form):
    error(api.post("/user/findUserByNameAndPwd", **form), 400, "required")


def test_each_login_issues_a_new_token_and_leaves_the_others_valid(api):
    name = api.register()
    first, second = api.login(name), api.login(name)
    assert first.token != second.token
    answer(first.post("/searchFriends"), 200)
    answer(second.post("/searchFriends"), 200)


# --- log out -----------------------------------------------------------------------
def test_logout_revokes_the_token_used_and_only_that_one(api):
    name = api.register()
    phone, laptop = api.login(name), api.login(name)
    answer(phone.post("/user/logout"), 200)
    error(phone.post("/searchFriends"), 401)
    error(phone.post("/user/logout"), 401)
    answer(laptop.post("/searchFriends"), 200)


def test_logout_needs_a_login(api):
    error(api.post("/user/logout"), 401)


# --- user list -----------------------------------------------------------------------
def test_user_list_pages_through_every_user_once(api):
    me = api.user()
    for _ in range(3):
        api.register()
    first = listing(me.post("/user/getUserList", page=1, size=2))
    second = listing(me.post("/user/getUserList", page=2, size=2))
    assert len(first["Rows"]) == 2 and len(second["Rows"]) == 2
    assert first["Total"] >= 4
    ids = [u["ID"] for u in first["Rows"] + second["Rows"]]
    assert len(set(ids)) == 4 and ids == sorted(ids)
    for user in first["Rows"] + second["Rows"]:
        public_user(user)


def test_user_list_defaults_to_20_and_answers_an_empty_page_past_the_end(api):
    me = api.user()
    for _ in range(2):
        api.register()
    body = listing(me.post("/user/getUserList"))
    assert len(body["Rows"]) == min(20, body["Total"])
    beyond = listing(me.post("/user/getUserList", page=10_000, size=100))
    assert beyond["Rows"] == [] and beyond["Total"] >= body["Total"]
    listing(me.post("/user/getUserList", size=100))


@pytest.mark.parametrize(
    "form, word",
    [({"page": 0}, "page"), ({"page": -1}, "page"), ({"size": 0}, "size"), ({"size": 101}, "size")]
    + [({"page": v}, "page") for v in BAD_INTS[:-1]]
    + [({"size": v}, "size") for v in BAD_INTS[:-1]],
)
def test_user_list_rejects_bad_paging_with_400(api, form, word):
    me = api.user()
    error(me.post("/user/getUserList", **form), 400, word)


def test_user_list_needs_a_login(api):
    error(api.post("/user/getUserList"), 401)


# --- find -------------------------------------------------------------------------
def test_find_answers_a_public_profile(api):
    me, other = api.user(), api.user()
    data = public_user(answer(me.post("/user/find", userId=other.id), 200)["Data"])
    assert data["ID"] == other.id and data["Name"] == other.name


def test_find_by_query_string_and_json(api):
    me, other = api.user(), api.user()
    r = me.api.post(f"/user/find?userId={other.id}", token=me.token)
    assert answer(r, 200)["Data"]["ID"] == other.id
    r = me.api.post("/user/find", token=me.token, json_body={"userId": other.id})
    assert answer(r, 200)["Data"]["ID"] == other.id


@pytest.mark.parametrize("value", BAD_INTS)
def test_find_rejects_a_malformed_user_id_with_400(api, value):
    me = api.user()
    error(me.post("/user/find", userId=value), 400, "userId")


@pytest.mark.parametrize("value", [True, 1.5, [1], {"id": 1}, "1; drop table user_basic"])
def test_find_rejects_non_integer_json_with_400(api, value):
    me = api.user()
    error(me.api.post("/user/find", token=me.token, json_body={"userId": value}), 400, "userId")


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30, 1e300, -(2**63) - 1])
def test_find_with_a_huge_json_number_is_never_a_500(api, value):
    me = api.user()
    r = me.api.post("/user/find", token=me.token, json_body={"userId": value})
    assert r.status_code in (400, 404), r.text
    answer(r, r.status_code)


def test_find_missing_user_id_is_400(api):
    me = api.user()
    error(me.post("/user/find"), 400, "userId", "required")


@pytest.mark.parametrize("value", ["0", "-5", "2147483647", "2147483648", "9223372036854775807", "9999999999999999999"])
def test_find_an_unknown_or_out_of_range_id_is_never_a_500(api, value):
    me = api.user()
    r = me.post("/user/find", userId=value)
    assert r.status_code in (400, 404), r.text
    answer(r, r.status_code)


def test_find_needs_a_login(api):
    error(api.post("/user/find", userId=1), 401)


# --- update -------------------------------------------------------------------------
def test_update_changes_only_the_given_fields(api):
    me = api.user()
    data = answer(me.post("/user/updateUser", phone="+49 170 1234567", email="me@example.org"), 200)["Data"]
    assert public_user(data)["Phone"] == "+49 170 1234567" and data["Email"] == "me@example.org"
    data = answer(me.post("/user/updateUser", email="new@example.org"), 200)["Data"]
    assert data["Phone"] == "+49 170 1234567" and data["Email"] == "new@example.org"
    data = answer(me.post("/user/updateUser", phone=""), 200)["Data"]
    assert data["Phone"] == "" and data["Email"] == "new@example.org"


def test_update_name_moves_the_login(api):
    me = api.user()
    new = unique_name("renamed")
    assert answer(me.post("/user/updateUser", name=new), 200)["Data"]["Name"] == new
    api.login(new)
    error(api.post("/user/findUserByNameAndPwd", name=me.name, password=PASSWORD), 401)


def test_update_password_moves_the_login(api):
    me = api.user()
    answer(me.post("/user/updateUser", password="a-new-pw-2", oldPassword=PASSWORD), 200)
    api.login(me.name, "a-new-pw-2")
    error(api.post("/user/findUserByNameAndPwd", name=me.name, password=PASSWORD), 401)


def test_update_icon_must_be_an_upload_path(api):
    import io

    import requests
    from PIL import Image

    me = api.user()
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    up = requests.post(
        api.url + "/attach/upload", files={"file": ("icon.png", png.getvalue())}, headers=me.auth, timeout=10
    )
    icon = answer(up, 200)["Data"]
    assert answer(me.post("/user/updateUser", icon=icon), 200)["Data"]["Avatar"] == icon
    error(me.post("/user/updateUser", icon="/uploads/abc123.png"), 400, "icon")  # no such upload
    error(me.post("/user/updateUser", icon="https://evil.example/x.png"), 400, "icon")
    error(me.post("/user/updateUser", icon="/uploads/../secret_key"), 400, "icon")


@pytest.mark.parametrize(
    "form, word",
    [
        ({"phone": "12"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "1" * 25}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "a b@example.org"}, "email"),
        ({"email": "<x>@example.org"}, "email"),
        ({"name": "two words"}, "name"),
        ({"password": "short", "oldPassword": PASSWORD}, "password"),
    ],
)
def test_update_rejects_invalid_values_and_changes_nothing(api, form, word):
    me = api.user()
    answer(me.post("/user/updateUser", phone="123456789"), 200)
    error(me.post("/user/updateUser", **{"phone": "987654321", "email": "ok@example.org", **form}), 400, word)
    data = answer(me.post("/user/find", userId=me.id), 200)["Data"]
    assert data["Phone"] == "123456789" and data["Email"] == "" and data["Name"] == me.name


def test_update_to_a_taken_name_is_409(api):
    me, other = api.user(), api.user()
    error(me.post("/user/updateUser", name=other.name), 409)
    assert answer(me.post("/user/find", userId=me.id), 200)["Data"]["Name"] == me.name


def test_update_changes_only_my_own_profile(api):
    me, other = api.user(), api.user()
    for key in ("ID", "id", "userId", "UserId"):
        answer(me.post("/user/updateUser", email="mine@example.org", **{key: other.id}), 200)
    data = answer(me.post("/user/find", userId=other.id), 200)["Data"]
    assert data["Email"] == "" and data["Name"] == other.name


def test_update_needs_a_login(api):
    error(api.post("/user/updateUser", email="x@example.org"), 401)


# --- deactivate ---------------------------------------------------------------------
def test_deactivate_needs_my_password(api):
    me = api.user()
    error(me.post("/user/deleteUser"), 400, "password")
    error(me.post("/user/deleteUser", password="wrong-pw-1"), 403)
    answer(me.post("/searchFriends"), 200)


def test_deactivate_ends_every_session_and_hides_the_user(api):
    me, friend = api.user(), api.user()
    api.befriend(me, friend)
    other_device = api.login(me.name)
    answer(me.post("/user/deleteUser", password=PASSWORD), 200)
    error(me.post("/searchFriends"), 401)
    error(other_device.post("/searchFriends"), 401)
    error(api.post("/user/findUserByNameAndPwd", name=me.name, password=PASSWORD), 401)
    error(friend.post("/user/find", userId=me.id), 404)
    assert me.id not in [u["ID"] for u in listing(friend.post("/searchFriends"))["Rows"]]
    error(friend.post("/contact/addfriend", targetId=me.id), 404)
    error(friend.post("/contact/addfriend", targetName=me.name), 404)
    rows = []
    page = 1
    while True:
        body = listing(friend.post("/user/getUserList", page=page, size=100))
        rows += body["Rows"]
        if len(body["Rows"]) < 100:
            break
        page += 1
    assert me.id not in [u["ID"] for u in rows]
    assert len(rows) == body["Total"]


def test_deactivated_name_is_not_a_500_when_registered_again(api):
    me = api.user()
    answer(me.post("/user/deleteUser", password=PASSWORD), 200)
    r = api.post("/user/createUser", name=me.name, password=PASSWORD, Identity=PASSWORD)
    assert r.status_code in (201, 409), r.text
    answer(r, r.status_code)


def test_deactivate_needs_a_login(api):
    error(api.post("/user/deleteUser", password=PASSWORD), 401)


def test_names_are_unique_regardless_of_case_on_every_database(api):
    name = unique_name("Case")
    api.register(name)
    error(api.post("/user/createUser", name=name.lower(), password="secret-pw-1", Identity="secret-pw-1"), 409, "taken")
    # Login finds the account whatever the case; the name keeps its spelling.
    user = api.login(name.upper())
    assert user.name == name


def test_group_names_may_have_inner_spaces_and_are_found_regardless_of_case(api):
    owner, other = api.user(), api.user()
    name = f"Team {unique_name('B')}"
    group = answer(owner.post("/contact/createCommunity", name=name), 201)["Data"]
    assert group["Name"] == name
    error(owner.post("/contact/createCommunity", name=name.upper()), 409, "exists")
    joined = answer(other.post("/contact/joinGroup", comId=name.lower()), 200)["Data"]
    assert joined["ID"] == group["ID"]
    error(owner.post("/contact/createCommunity", name="tab\there"), 400, "group name")
