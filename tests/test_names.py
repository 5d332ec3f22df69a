"""Names that look like other names: user and group names are stored in NFKC,
refused (400) when they hold invisible or formatting characters, combining
tricks or a confusable mix of scripts, and refused (409) when their Unicode
TR39 skeleton equals another account's or group's."""

import secrets

import pytest

from helpers import PASSWORD
from http_checks import answer, error


def tail():
    return str(secrets.randbelow(10**8)).zfill(8)  # digits: the Common script, fine beside any other


def register(api, name):
    return api.post("/user/createUser", name=name, password=PASSWORD, Identity=PASSWORD)


INVISIBLE = [
    pytest.param("ali\u200bce", id="zero-width-space"),
    pytest.param("ali\u200dce", id="zero-width-joiner"),
    pytest.param("ali\u200cce", id="zero-width-non-joiner"),
    pytest.param("\ufeffalice", id="byte-order-mark"),
    pytest.param("ali\u2060ce", id="word-joiner"),
    pytest.param("\u202eecila", id="right-to-left-override"),
    pytest.param("ali\u2066ce\u2069", id="bidi-isolate"),
    pytest.param("ali\u200fce", id="right-to-left-mark"),
    pytest.param("ali\u00adce", id="soft-hyphen"),
    pytest.param("ali\u3164ce", id="hangul-filler"),
    pytest.param("ali\u034fce", id="combining-grapheme-joiner"),
    pytest.param("alice\ufe0f", id="variation-selector"),
    pytest.param("ali\u2800ce", id="braille-blank"),
    pytest.param("ali\U000e0041ce", id="tag-character"),
    pytest.param("ali\ue000ce", id="private-use"),
]


@pytest.mark.parametrize("name", INVISIBLE)
def test_names_with_invisible_or_formatting_characters_are_refused(api, name):
    body = error(register(api, name + tail()), 400, "name", "invisible")
    assert "U+" in body["Msg"], body


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("\u0301alice", id="starts-with-a-mark"),
        pytest.param("ali\u0301\u0301ce", id="the-same-mark-twice"),
        pytest.param("a\u0300\u0301\u0302\u0303\u0304lice", id="stacked-marks"),
    ],
)
def test_combining_mark_tricks_are_refused(api, name):
    error(register(api, name + tail()), 400, "name", "mark")


def test_a_cyrillic_letter_in_a_latin_name_is_refused(api):
    t = tail()
    answer(register(api, "alice" + t), 201)
    error(register(api, "\u0430lice" + t), 400, "name", "Cyrillic", "Latin")
    error(register(api, "\u0430lice" + tail()), 400, "Cyrillic")  # even with no alice to copy
    error(register(api, "\u03b1lice" + tail()), 400, "Greek")


def test_a_name_that_looks_like_an_existing_one_is_409(api):
    t = tail()
    answer(register(api, "cop" + t), 201)
    # Cyrillic с, о, р only: one script, but it reads as "cop".
    error(register(api, "\u0441\u043e\u0440" + t), 409, "looks")
    answer(register(api, "paypal" + t), 201)
    error(register(api, "paypaI" + t), 409, "looks")  # a capital I for the l
    answer(register(api, "bob1" + t), 201)
    error(register(api, "bobl" + t), 409, "looks")


def test_a_fullwidth_name_is_stored_in_nfkc_and_is_the_same_name(api):
    t = tail()
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "Bob" + t)  # ＢＯＢ and fullwidth digits
    data = answer(register(api, wide), 201)["Data"]
    assert data["Name"] == "Bob" + t
    assert api.login("bob" + t).id == data["ID"]
    assert api.login(wide).id == data["ID"]
    error(register(api, "BOB" + t), 409, "taken")
    data = answer(register(api, "\ufb00" + t), 201)["Data"]  # the ﬀ ligature
    assert data["Name"] == "ff" + t
    error(register(api, "ff" + t), 409, "taken")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Zoë_Ødegård-", id="latin"),
        pytest.param("张伟", id="chinese"),
        pytest.param("Иван", id="cyrillic"),
        pytest.param("Αλέξανδρος", id="greek"),
        pytest.param("山田たろう", id="japanese"),
        pytest.param("김민준", id="korean"),
        pytest.param("علي", id="arabic"),
        pytest.param("राहुल", id="devanagari"),
        pytest.param("名字ü", id="han-and-latin"),
        pytest.param("Ngô_Bảo_Châu", id="vietnamese"),
    ],
)
def test_ordinary_names_in_one_script_still_register(api, name):
    name += tail()
    data = answer(register(api, name), 201)["Data"]
    assert data["Name"] == name
    assert api.login(name).name == name


def test_rename_follows_the_same_rules(api):
    me, other = api.user(), api.user()
    error(me.post("/user/updateUser", name="ren\u200bamed" + tail()), 400, "invisible")
    error(me.post("/user/updateUser", name="ren\u0430med" + tail()), 400, "Cyrillic")
    t = tail()
    answer(other.post("/user/updateUser", name="carol" + t), 200)
    error(me.post("/user/updateUser", name="caro\u04cf" + t), 400)  # Cyrillic palochka
    error(me.post("/user/updateUser", name="CAROI" + t), 409, "looks")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "dave" + t)
    assert answer(me.post("/user/updateUser", name=wide), 200)["Data"]["Name"] == "dave" + t
    assert answer(me.post("/user/find", userId=me.id), 200)["Data"]["Name"] == "dave" + t


# --- groups ------------------------------------------------------------------------------
def create(user, name):
    return user.post("/contact/createCommunity", name=name)


@pytest.mark.parametrize("name", INVISIBLE + [pytest.param("Team\u1680A", id="ogham-space")])
def test_group_names_with_invisible_characters_are_refused(api, name):
    owner = api.user()
    error(create(owner, name + tail()), 400, "name", "invisible")


def test_group_names_keep_inner_spaces_and_are_normalised(api):
    owner = api.user()
    t = tail()
    data = answer(create(owner, "Team\u00a0Berlin\u3000" + t), 201)["Data"]
    assert data["Name"] == "Team Berlin " + t
    error(create(owner, "team berlin " + t), 409)
    error(create(owner, "Team Вerlin " + t), 400, "Cyrillic")
    error(create(owner, "Team BerIin " + t), 409, "looks")  # a capital I for the l
    joiner = api.user()
    wide = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "team berlin " + t)
    answer(joiner.post("/contact/joinGroup", comId=wide), 200)


def test_group_rename_follows_the_same_rules(api):
    owner = api.user()
    t = tail()
    first = answer(create(owner, "Alpha " + t), 201)["Data"]
    second = answer(create(owner, "Beta " + t), 201)["Data"]
    error(owner.post("/contact/updateGroup", comId=second["ID"], name="Be\u200bta " + tail()), 400, "invisible")
    error(owner.post("/contact/updateGroup", comId=second["ID"], name="\u0391lpha " + tail()), 400, "Greek")
    error(owner.post("/contact/updateGroup", comId=second["ID"], name="AIpha " + t), 409, "looks")
    data = answer(owner.post("/contact/updateGroup", comId=second["ID"], name="Ｇａｍｍａ " + t), 200)["Data"]
    assert data["Name"] == "Gamma " + t
    assert first["Name"] == "Alpha " + t


def test_a_name_and_its_lookalike_cannot_both_be_taken_at_once(api):
    """The skeleton is a unique key: two registrations racing for look-alikes
    cannot both win."""
    import gevent

    t = tail()
    jobs = [gevent.spawn(register, api, n + t) for n in ("paypal", "paypaI", "PAYPAL", "paypa1")]
    gevent.joinall(jobs, raise_error=True)
    statuses = sorted(job.value.status_code for job in jobs)
    assert statuses == [201, 409, 409, 409], statuses
