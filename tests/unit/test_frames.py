"""The WebSocket frame parser on its own: every field's type and limit, the
status each refusal carries and the field it names."""

import json

import pytest

from ginchat.chat.dispatch import FrameError, parse_frame

MAX_CONTENT = 100
MAX_FRAME = 1000


def parse(frame, extra_types=()):
    text = frame if isinstance(frame, (str, bytes)) else json.dumps(frame)
    return parse_frame(text, MAX_CONTENT, MAX_FRAME, extra_types)


def refused(frame, status=400, extra_types=()):
    with pytest.raises(FrameError) as info:
        parse(frame, extra_types)
    assert info.value.status == status, info.value.msg
    return info.value


def test_a_text_message_comes_back_with_lower_cased_keys_and_defaults():
    kind, fields = parse({"Type": 1, "TargetId": 7, "Content": "hi"})
    assert kind == "message"
    assert fields["type"] == 1 and fields["targetid"] == 7 and fields["content"] == "hi"
    assert fields["media"] == 1 and fields["url"] == "" and fields["amount"] == 0 and fields["clientmsgid"] == ""


def test_keys_are_case_insensitive():
    kind, fields = parse({"tYpE": 2, "TARGETID": 3, "content": "x", "clientMsgID": "abc-1"})
    assert kind == "message"
    assert (fields["type"], fields["targetid"], fields["content"], fields["clientmsgid"]) == (2, 3, "x", "abc-1")


def test_heartbeat():
    assert parse({"Type": 3}) == ("heartbeat", None)
    assert parse({"type": "3"}) == ("heartbeat", None)


def test_a_heartbeat_may_ask_for_an_echo():
    # issue 27: the browser tells a dead network from a quiet one by the answer
    assert parse({"Type": 3, "Echo": 7}) == ("heartbeat", {"echo": 7})
    assert parse({"Type": 3, "echo": "0"}) == ("heartbeat", {"echo": 0})
    assert parse({"Type": 3, "Echo": None}) == ("heartbeat", None)
    for bad in (-1, "x", 1.5, [], {}, True, 2**63):
        assert "Echo" in refused({"Type": 3, "Echo": bad}).msg


def test_digit_strings_are_integers_but_other_digits_are_not():
    assert parse({"Type": "1", "TargetId": " 42 ", "Content": "x"})[1]["targetid"] == 42
    assert parse({"Type": 1.0, "TargetId": 5.0, "Content": "x"})[1]["targetid"] == 5
    for bad in ("²", "١", "4.5", "", "0x10", 4.5, True, "abc", [], {}):
        err = refused({"Type": 1, "TargetId": bad, "Content": "x"})
        assert "TargetId" in err.msg


def test_type_is_required_and_unknown_types_are_refused():
    assert "Type is required" in refused({"TargetId": 1, "Content": "x"}).msg
    err = refused({"Type": 9, "TargetId": 1, "Content": "x", "ClientMsgId": "c1"})
    assert "unknown Type 9" in err.msg and err.client_msg_id == "c1"
    assert "Type" in refused({"Type": 2**31, "TargetId": 1}).msg
    assert "Type must be an integer" in refused({"Type": "one"}).msg


def test_extra_frame_types_come_back_whole():
    kind, fields = parse({"Type": 20, "Whatever": [1, 2], "ClientMsgId": "r1"}, extra_types=(20,))
    assert kind == "extra"
    assert fields["type"] == 20 and fields["whatever"] == [1, 2] and fields["clientmsgid"] == "r1"
    refused({"Type": 20}, extra_types=(21,))


@pytest.mark.parametrize("target", [0, -1, 2**31])
def test_target_id_must_be_a_positive_int32(target):
    assert "TargetId must be between 1 and 2147483647" in refused({"Type": 1, "TargetId": target, "Content": "x"}).msg


def test_target_id_is_required():
    assert "TargetId is required" in refused({"Type": 1, "Content": "x"}).msg


def test_media_kinds():
    for media in (1, 2):
        assert parse({"Type": 1, "TargetId": 1, "Media": media, "Content": "x"})[1]["media"] == media
    for media in (0, 6, 99):  # 5 is a file (issue 16): it needs a Url, below
        assert "Media must be 1 (text)" in refused({"Type": 1, "TargetId": 1, "Media": media, "Content": "x"}).msg
    assert "Media" in refused({"Type": 1, "TargetId": 1, "Media": -1, "Content": "x"}).msg


def test_content_type_length_and_emptiness():
    assert parse({"Type": 1, "TargetId": 1, "Content": "a" * MAX_CONTENT})[1]["content"] == "a" * MAX_CONTENT
    err = refused({"Type": 1, "TargetId": 1, "Content": "a" * (MAX_CONTENT + 1)}, status=413)
    assert f"Content is longer than {MAX_CONTENT} characters" in err.msg
    assert "Content must be a string" in refused({"Type": 1, "TargetId": 1, "Content": 5}).msg
    for blank in ("", "   ", None):
        assert "Content is required" in refused({"Type": 1, "TargetId": 1, "Content": blank}).msg


def test_voice_and_image_need_an_upload_url():
    kind, fields = parse({"Type": 1, "TargetId": 1, "Media": 4, "Url": "/uploads/" + "a" * 32 + ".png"})
    assert kind == "message" and fields["url"].endswith(".png")
    kind, fields = parse({"Type": 2, "TargetId": 1, "Media": 3, "Url": "/uploads/x.ogg", "Amount": 3600})
    assert fields["amount"] == 3600
    assert "Url is required" in refused({"Type": 1, "TargetId": 1, "Media": 4}).msg
    assert "Url is required" in refused({"Type": 1, "TargetId": 1, "Media": 5, "Content": "x"}).msg
    kind, fields = parse({"Type": 1, "TargetId": 1, "Media": 5, "Url": "/uploads/" + "b" * 32 + ".bin"})
    assert kind == "message" and fields["media"] == 5
    for url in ("http://evil.example/x.png", "/uploads/../x.png", "/uploads/a.PNG", "/static/a.png"):
        assert "Url must be the path of an upload" in refused({"Type": 1, "TargetId": 1, "Media": 4, "Url": url}).msg
    assert "Url is longer than 255" in refused({"Type": 1, "TargetId": 1, "Media": 4, "Url": "/" * 256}, 413).msg
    assert (
        "Url is only for voice, image and file"
        in refused({"Type": 1, "TargetId": 1, "Content": "x", "Url": "/uploads/a.png"}).msg
    )


@pytest.mark.parametrize("amount", [-1, 3601, "x", 1.5])
def test_amount_is_zero_to_an_hour(amount):
    assert "Amount" in refused({"Type": 1, "TargetId": 1, "Media": 3, "Url": "/uploads/a.ogg", "Amount": amount}).msg


def test_client_msg_id():
    assert parse({"Type": 1, "TargetId": 1, "Content": "x", "ClientMsgId": "~" * 64})[1]["clientmsgid"] == "~" * 64
    for bad in ("a" * 65, "with space", "é", 5, ["x"]):
        assert (
            "ClientMsgId must be 1 to 64 printable ASCII"
            in refused({"Type": 1, "TargetId": 1, "Content": "x", "ClientMsgId": bad}).msg
        )
    # Errors after the ClientMsgId is read carry it, so the client knows which send failed.
    assert refused({"Type": 1, "TargetId": 0, "Content": "x", "ClientMsgId": "m-9"}).client_msg_id == "m-9"


@pytest.mark.parametrize("field", ["Content", "Url", "Extra", "ClientMsgId"])
def test_a_lone_surrogate_is_refused_naming_the_field(field):
    text = '{"Type": 1, "TargetId": 1, "Content": "x", "' + field + '": "a\\ud800b"}'
    err = refused(text)
    assert err.msg.startswith(field), err.msg


def test_a_lone_surrogate_in_a_nested_value_or_a_key_is_refused():
    err = refused('{"Type": 20, "List": [{"k": "\\udfff"}]}', extra_types=(20,))
    assert err.msg.startswith("List ") and "surrogate" in err.msg
    err = refused('{"Type": 1, "TargetId": 1, "Content": "x", "\\ud800": 1}')
    assert "surrogate" in err.msg and "'\\ud800'" in err.msg


@pytest.mark.parametrize("field", ["Content", "Url"])
def test_nul_is_refused_naming_the_field(field):
    frame = {"Type": 1, "TargetId": 1, "Content": "x", "Media": 1}
    if field == "Url":
        frame.update(Media=4, Url="/uploads/a.png\x00")
    else:
        frame["Content"] = "a\x00b"
    assert refused(frame).msg == f"{field} must not contain NUL characters"


def test_huge_frames_are_refused_before_they_are_parsed():
    err = refused('{"Type": 1, "Content": "' + "a" * MAX_FRAME + '"}', status=413)
    assert f"larger than {MAX_FRAME} characters" in err.msg
    refused("[" * (MAX_FRAME - 1), status=400)  # deep nesting within the size: not JSON here


def test_deep_nesting_is_invalid_json_not_a_crash():
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(FrameError) as info:
        parse_frame(text, MAX_CONTENT, len(text) + 1)
    assert info.value.status == 400


@pytest.mark.parametrize(
    "text, msg",
    [
        (b'{"Type": 3}', "binary frames are not supported"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ("null", "must be a JSON object"),
    ],
)
def test_frames_that_are_not_a_json_object(text, msg):
    assert msg in refused(text).msg
