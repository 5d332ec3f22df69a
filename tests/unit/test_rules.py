"""The name rules (ginchat/utils/names.py) and the request parameter readers
(ginchat/utils/params.py), without a server: the readers run in a Flask
test request context."""

import pytest
from flask import Flask

from ginchat.errors import AppError
from ginchat.utils import params
from ginchat.utils.names import (
    check_lookalikes,
    name_key,
    normal_form,
    scripts_of,
    skeleton,
)


def refused(func, *args, **kwargs):
    with pytest.raises(AppError) as info:
        func(*args, **kwargs)
    assert info.value.status == 400
    return info.value.msg


# --- names ---------------------------------------------------------------------------
def test_normal_form_and_key():
    assert normal_form("ｂｏｂ") == "bob"
    assert name_key("Bob") == name_key("bob") == name_key("ＢＯＢ")
    assert name_key("ſam") == name_key("sam")
    assert normal_form(None) == ""


def test_skeleton_makes_confusables_one():
    assert skeleton("paypal") == skeleton("paypa1") == skeleton("PAYPAL".lower())
    assert skeleton("bob") != skeleton("rob")


@pytest.mark.parametrize(
    "name", ["alice", "José", "Nguyễn", "山田太郎", "やまだ taro", "김민수", "Ελένη", "Иван", "user_1-2", "abcदेव"]
)
def test_ordinary_names_pass(name):
    assert check_lookalikes(name) == name


@pytest.mark.parametrize(
    "name, words",
    [
        ("bo\u200bb", "invisible"),
        ("bob\u202e", "invisible"),
        ("bo\u00adb", "invisible"),
        ("a\u3000b", "unusual space"),
        ("\u2800", "invisible"),
        ("\u0301abc", "start with a combining mark"),
        ("a\u0301\u0301", "repeat a combining mark"),
        ("a\u0300\u0301\u0302\u0303", "stack more than 3"),
        ("pаypal", "mixes Cyrillic and Latin"),
        ("αpple", "mixes Greek and Latin"),
    ],
)
def test_lookalike_names_are_refused(name, words):
    assert words in refused(check_lookalikes, name, "name")


def test_what_names_the_field():
    assert refused(check_lookalikes, "bo\u200bb", "group name").startswith("group name ")


def test_a_name_with_nothing_to_tell_apart_is_refused():
    assert "no letter or sign" in refused(check_lookalikes, "")


def test_scripts_of():
    assert scripts_of("abc123") == {"Latin"}
    assert scripts_of("山田やまだ") == {"Han", "Hiragana"}
    assert scripts_of("1-2_3") == set()


# --- params -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flask_app():
    return Flask("params-test")


@pytest.fixture
def request_with(flask_app):
    contexts = []

    def make(**kwargs):
        ctx = flask_app.test_request_context("/", **kwargs)
        ctx.push()
        contexts.append(ctx)

    yield make
    for ctx in reversed(contexts):
        ctx.pop()


def test_form_query_and_json_are_read(request_with):
    request_with(method="POST", query_string={"a": "1"}, data={"b": " two "})
    assert params.get_int("a") == 1 and params.get_str("b") == "two"
    assert params.get_str("missing", default="d") == "d" and not params.present("missing")


def test_json_body(request_with):
    request_with(method="POST", json={"id": 5, "name": "x", "flag": True, "big": 2**31})
    assert params.get_id("id") == 5 and params.get_str("name") == "x" and params.get_bool("flag") is True
    assert "big must be at most 2147483647" in refused(params.get_id, "big")


@pytest.mark.parametrize("value", ["abc", "1.5", "²", "١", "0x1", "1e3", " "])
def test_integers_are_ascii_digits(request_with, value):
    request_with(query_string={"n": value})
    assert refused(params.get_int, "n") == "n must be an integer"


def test_integer_bounds_and_required(request_with):
    request_with(query_string={"n": "-3", "id": "0", "empty": ""})
    assert params.get_int("empty", default=7) == 7
    assert params.get_int("n") == -3
    assert refused(params.get_int, "n", minimum=0) == "n must be at least 0"
    assert refused(params.get_id, "id") == "id must be at least 1"
    assert refused(params.get_id, "none", required=True) == "none is required"


def test_strings(request_with):
    request_with(method="POST", data={"s": "a" * 6, "nul": "a\x00b", "blank": "  "})
    assert refused(params.get_str, "s", max_len=5) == "s is longer than 5 characters"
    assert refused(params.get_str, "nul") == "nul must not contain NUL characters"
    assert refused(params.get_str, "blank", required=True) == "blank is required"
    assert params.get_given("blank") == "" and params.get_given("absent") is None


@pytest.mark.parametrize("text, value", [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_booleans(request_with, text, value):
    request_with(query_string={"b": text})
    assert params.get_bool("b") is value


def test_a_bad_boolean_is_refused(request_with):
    request_with(query_string={"b": "maybe"})
    assert refused(params.get_bool, "b") == "b must be true or false"


def test_json_that_is_not_an_object_is_refused(request_with):
    request_with(method="POST", data="[1, 2]", content_type="application/json")
    assert refused(params.get_str, "x") == "the JSON body must be an object"


def test_surrogates_in_json_are_refused_naming_the_field(request_with):
    request_with(method="POST", data='{"name": "a\\ud800"}', content_type="application/json")
    assert refused(params.check_request_text).startswith("name holds a lone UTF-16 surrogate")
    assert refused(params.get_str, "name").startswith("name holds a lone UTF-16 surrogate")


def test_unstorable():
    assert params.unstorable("plain") is None and params.unstorable("日本") is None
    assert "surrogate" in params.unstorable("\udc00")
    assert params.first_unstorable({"a": ["ok", {"b": "\ud800"}]}, "top")[0] == "top"
    assert params.field_label("\ud800") == "'\\ud800'"


def test_search_queries_hold_only_quoted_words():
    from ginchat.domain.search import words_of
    from ginchat.models.search import fts5_query, tsquery

    assert words_of('foo AND "bar* NEAR(x) content: -y_z') == ["foo", "AND", "bar", "NEAR", "x", "content", "y", "z"]
    assert fts5_query(7, {3: 0, 9: 5}, ["foo", "ab"]) == 'content : ("foo"* AND "ab") AND readers : (u7 OR g3 OR g9)'
    many = dict.fromkeys(range(1, 1001), 0)  # the read rule stays in the index however many groups
    assert (
        fts5_query(7, many, ["foo"])
        == 'content : ("foo"*) AND readers : (u7 OR ' + " OR ".join(f"g{g}" for g in range(1, 1001)) + ")"
    )
    assert tsquery(["Foo", "ab"]) == "foo:* & ab"
