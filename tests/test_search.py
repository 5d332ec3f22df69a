"""Message search (GET /message/search): every message I may read and no
other (private chats, my groups within their History setting, never a group I
left or never joined), newest first and paged, kept current on insert, edit
and recall by the database's own full-text engine, and a clear 400 for any
query it cannot take."""

import secrets

import pytest
from sqlalchemy import update

from conftest import DB_KIND
from helpers import Api, send_texts
from http_checks import answer, error

from ginchat.extensions import db
from ginchat.models.message import message_table


def word():
    """A word no other test uses (letters and digits only)."""
    return "zq" + secrets.token_hex(4)


def search(user, q, **params):
    body = answer(user.get("/message/search", q=q, **params), 200)
    assert isinstance(body["Rows"], list) and body["Total"] == len(body["Rows"]), body
    return body


def ids(user, q, **params):
    return [r["Id"] for r in search(user, q, **params)["Rows"]]


@pytest.fixture
def group_of(api):
    def make(owner, *members, **settings):
        r = owner.post("/contact/createCommunity", name="g" + secrets.token_hex(4), **settings)
        gid = answer(r, 201)["Data"]["ID"]
        for member in members:
            answer(owner.post("/contact/addMember", comId=gid, userId=member.id), 200)
        return gid

    return make


def test_hits_carry_their_conversation_sender_and_snippet_newest_first(api, pair, group_of):
    a, b = pair
    w = word()
    wa = a.ws()
    private = send_texts(wa, b.id, [f"first {w} here", "nothing to see"])
    gid = group_of(a, b)
    group = send_texts(wa, gid, [f"then {w.upper()} in the group"], type_=2)
    body = search(b, w)
    rows = body["Rows"]
    assert [r["Id"] for r in rows] == [group[0]["Id"], private[0]["Id"]]
    assert body["Data"] == {"Before": None}
    g, p = rows
    assert (g["ConvType"], g["ConvId"], g["UserId"], g["SenderName"]) == (2, gid, a.id, a.name)
    assert g["ConvName"].startswith("g") and g["Type"] == 2 and g["TargetId"] == gid
    assert (p["ConvType"], p["ConvId"], p["ConvName"], p["SenderName"]) == (1, a.id, a.name, a.name)
    assert p["Snippet"] == f"first {w} here" and p["Parts"] == ["first ", w, " here"]
    assert g["Parts"][1] == w.upper() and g["CreateTime"] == group[0]["CreateTime"]
    # The sender finds the same private message, named after the other person.
    mine = [r for r in search(a, w)["Rows"] if r["ConvType"] == 1]
    assert [(r["Id"], r["ConvId"], r["ConvName"]) for r in mine] == [(private[0]["Id"], b.id, b.name)]


def test_words_are_all_required_prefixes_case_aside(api, pair):
    a, b = pair
    w = word()
    sent = send_texts(a.ws(), b.id, [f"{w} Déploiement done", f"{w} deployment of v2", f"{w} ok the plan", f"{w} okay"])
    found = lambda q: set(ids(b, q))  # noqa: E731
    assert found(f"{w} DÉPLOI") == {sent[0]["Id"]}, "case aside, a prefix from three letters"
    if DB_KIND != "postgresql":  # 'simple' keeps accents (unaccent is an extension, not always installed)
        assert found(f"{w} deploi") == {sent[0]["Id"]}, "accents aside"
    assert found(f"{w} DEPLOY") == {sent[1]["Id"]}
    assert found(f"{w} ok") == {sent[2]["Id"]}, "a two-letter word matches whole words only"
    assert found(f"{w} the") == {sent[2]["Id"]}, "a stop word or a short word still counts"
    assert found(f"{w.upper()}") == {m["Id"] for m in sent}
    assert found(f"{w} v2 deployment") == {sent[1]["Id"]}
    assert found(f"{w} missingword") == set()


def test_never_a_message_i_may_not_read(api, pair, group_of):
    a, b = pair
    c = api.user("c")
    api.befriend(a, c)
    w = word()
    wa = a.ws()
    send_texts(wa, c.id, [f"{w} private to c"])  # a and c: not b's conversation
    never = group_of(a, c)  # b never joined
    send_texts(wa, never, [f"{w} in a group without b"], type_=2)
    left = group_of(a, b)
    old = send_texts(wa, left, [f"{w} before b left"], type_=2)
    assert ids(b, w) == [old[0]["Id"]]
    answer(b.post("/contact/quitGroup", comId=left), 200)
    send_texts(wa, left, [f"{w} after b left"], type_=2)
    assert ids(b, w) == [], "a group I left: none of it, before or after"
    # History 'join': nothing from before my join, everything after it.
    joined = group_of(a, history="join")
    send_texts(wa, joined, [f"{w} before the join"], type_=2)
    answer(a.post("/contact/addMember", comId=joined, userId=b.id), 200)
    after = send_texts(wa, joined, [f"{w} after the join"], type_=2)
    assert ids(b, w) == [after[0]["Id"]]
    # c reads the private one and the group's, a reads everything.
    assert len(ids(c, w)) == 2
    assert len(ids(a, w)) == 6


def test_a_block_hides_nothing_that_history_still_shows(api, pair):
    a, b = pair
    w = word()
    sent = send_texts(a.ws(), b.id, [f"{w} said before the block"])
    answer(b.post("/contact/block", targetId=a.id), 200)
    history = answer(b.get("/message/history", type=1, targetId=a.id), 200)["Rows"]
    assert [m["Id"] for m in history] == [sent[0]["Id"]]
    assert ids(b, w) == [sent[0]["Id"]]


def test_pages_by_before_newest_first_without_gaps_or_repeats(api, pair):
    a, b = pair
    w = word()
    sent = send_texts(a.ws(), b.id, [f"{w} number {i}" for i in range(7)])
    want = [m["Id"] for m in reversed(sent)]
    got, before, pages = [], None, 0
    while True:
        params = {"size": 3} if before is None else {"size": 3, "before": before}
        body = search(b, w, **params)
        got += [r["Id"] for r in body["Rows"]]
        pages += 1
        before = body["Data"]["Before"]
        if before is None:
            break
        assert before == body["Rows"][-1]["Id"]
    assert got == want and pages == 3
    assert ids(b, w, before=want[0]) == want[1:], "before excludes the Id itself"
    assert ids(b, w, before=1) == []


def test_recall_and_edit_keep_the_index_current(api, pair, server):
    a, b = pair
    w, w2 = word(), word()
    sent = send_texts(a.ws(), b.id, [f"{w} to be recalled", f"{w} to be edited"])
    answer(a.post("/message/recall", id=sent[0]["Id"]), 200)
    assert ids(b, w) == [sent[1]["Id"]]
    assert sent[0]["Id"] not in ids(b, "recalled")
    # An edit rewrites Content in place (as the edit route does): the new words match, the old ones no more.
    with server.app.app_context():
        db.session.execute(
            update(message_table).where(message_table.c.id == sent[1]["Id"]).values(content=f"{w2} rewritten")
        )
        db.session.commit()
    assert ids(b, w) == []
    assert ids(b, w2) == [sent[1]["Id"]]
    assert search(b, w2)["Rows"][0]["Snippet"] == f"{w2} rewritten"


def test_a_long_message_gives_a_snippet_around_the_match(api, pair):
    a, b = pair
    w = word()
    text = "lorem ipsum " * 40 + f"the {w} is here " + "dolor sit " * 40
    send_texts(a.ws(), b.id, [text])
    hit = search(b, w)["Rows"][0]
    assert len(hit["Snippet"]) <= 125 and hit["Snippet"].startswith("…") and hit["Snippet"].endswith("…")
    assert hit["Parts"][1] == w and "".join(hit["Parts"]) == hit["Snippet"]


@pytest.mark.parametrize(
    "params, words",
    [
        ({}, ["q", "required"]),
        ({"q": ""}, ["q", "required"]),
        ({"q": "   "}, ["q", "required"]),
        ({"q": "x" * 201}, ["q", "200"]),
        ({"q": '"*()-+:^~!?.'}, ["letter or digit"]),
        ({"q": "_ _ ___"}, ["letter or digit"]),
        ({"q": "a b c d e f g h i"}, ["8 words"]),
        ({"q": "hello", "size": 0}, ["size"]),
        ({"q": "hello", "size": 51}, ["size"]),
        ({"q": "hello", "before": "abc"}, ["before"]),
        ({"q": "hello", "before": 0}, ["before"]),
    ],
)
def test_bad_queries_are_a_clear_400(api, pair, params, words):
    a, _ = pair
    error(a.get("/message/search", **params), 400, *words)


@pytest.mark.parametrize(
    "q",
    [
        'foo AND "bar',
        "NEAR(foo bar",
        "content: readers: u1",
        "foo* OR -bar",
        "u1 g1",
        "'; DROP TABLE message; --",
        "@@ to_tsquery(':*')",
        "+the -a* ~b >c <d",
        "日本語 テスト",
        "\u0301\u0301 e\u0301",
    ],
)
def test_any_engine_syntax_in_a_query_is_just_words(api, pair, q, server_errors):
    a, b = pair
    body = search(a, q)
    assert body["Rows"] == [] or all(r["ConvType"] in (1, 2) for r in body["Rows"])
    assert server_errors() == []


def test_reader_tokens_in_the_text_open_nothing(api, pair):
    """The SQLite index has a readers column (u<id>, g<id>): words in the text never match it."""
    a, b = pair
    c = api.user("c")
    api.befriend(a, c)
    w = word()
    send_texts(a.ws(), c.id, [f"{w} u{b.id} g1 readers"])
    assert ids(b, f"u{b.id}") == []
    assert ids(b, w) == []
    assert ids(b, f"{w} readers") == []


def test_a_query_of_10000_characters_is_refused(api, pair):
    a, _ = pair
    # In the URL it is longer than the server reads (8 KiB request line): 414 before the app.
    assert a.get("/message/search", q="y" * 10_000).status_code == 414
    # POSTed (a form or JSON, like the other routes), the route's own 400.
    error(a.post("/message/search", q="y" * 10_000), 400, "q", "200")
    error(a.api.post("/message/search", token=a.token, json_body={"q": "z" * 10_000}), 400, "q", "200")
    assert search_post(a, "hello")["Rows"] == []


def search_post(user, q):
    return answer(user.post("/message/search", q=q), 200)


def test_search_needs_a_login(api):
    error(api.get("/message/search", q="hello"), 401)


def test_history_reads_on_after_a_hit_within_the_history_setting(api, pair, group_of):
    """GET /message/history?after=: the messages right after an Id, oldest first (a search hit's context)."""
    a, b = pair
    wa = a.ws()
    sent = send_texts(wa, b.id, [f"m{i}" for i in range(6)])
    rows = answer(b.get("/message/history", type=1, targetId=a.id, after=sent[1]["Id"], limit=3), 200)["Rows"]
    assert [r["Content"] for r in rows] == ["m2", "m3", "m4"]
    rows = answer(b.get("/message/history", type=1, targetId=a.id, after=sent[1]["Id"], before=sent[4]["Id"]), 200)[
        "Rows"
    ]
    assert [r["Content"] for r in rows] == ["m2", "m3"]
    gid = group_of(a, history="join")
    send_texts(wa, gid, ["before the join"], type_=2)
    answer(a.post("/contact/addMember", comId=gid, userId=b.id), 200)
    send_texts(wa, gid, ["after the join"], type_=2)
    rows = answer(b.get("/message/history", type=2, targetId=gid, after=0), 200)["Rows"]
    assert [r["Content"] for r in rows] == ["after the join"]
    error(b.get("/message/history", type=1, targetId=a.id, after=-1), 400, "after")
    error(b.get("/message/history", type=1, targetId=a.id, after="x"), 400, "after")


# --- Chinese, Japanese and Korean (issue 26) ------------------------------------------
CJK_TEXTS = [
    "我们明天下午开会讨论预算",
    "版本rel42已经发布",
    "東京で会議があります",
    "회의 자료를 확인해 주세요",
    "会",
]


@pytest.fixture(params=["index", "scan"] if DB_KIND == "mysql" else ["index"])
def cjk_pair(request, api, make_server):
    """Two friends; on MariaDB also on a server that always takes the
    FULLTEXT index, not the scan of a light reader's messages."""
    if request.param == "scan":
        a, b = api.user("a"), api.user("b")
        api.befriend(a, b)
        return a, b, api
    other = Api(make_server(SEARCH_SCAN_READABLE=0)) if DB_KIND == "mysql" else api
    a, b = other.user("a"), other.user("b")
    other.befriend(a, b)
    return a, b, other


def test_a_word_inside_chinese_japanese_or_korean_text_is_found(cjk_pair):
    """A run of CJK characters is no single word: every word of it is found,
    a CJK word glued to Latin letters or digits too, one character finds the
    messages holding it, and nothing without the query's characters in that
    order is found."""
    a, b, api = cjk_pair
    w = word()
    sent = [m["Id"] for m in send_texts(a.ws(), b.id, [f"{w} {t}" for t in CJK_TEXTS])]
    found = lambda q: set(ids(b, f"{w} {q}"))  # noqa: E731
    for q in ("开会", "预算", "讨论", "明天下午", "我们", CJK_TEXTS[0]):
        assert found(q) == {sent[0]}, q
    for q in ("rel42", "发布", "版本", "版本rel42", "REL"):
        assert found(q) == {sent[1]}, q
    assert found("東京") == {sent[2]} and found("会議") == {sent[2]}
    assert found("회의") == {sent[3]} and found("자료를") == {sent[3]}
    assert found("会") == {sent[0], sent[2], sent[4]}, "one character: every message holding it"
    assert found("算") == {sent[0]}, "the last character of a run"
    for q in ("会开", "讨论开会", "算预", "明天上午", "东京"):
        assert found(q) == set(), f"{q}: not these characters in this order"
    hit = search(b, f"{w} 开会")["Rows"][0]
    assert hit["Parts"][1::2] == [w, "开会"] or "开会" in hit["Parts"][1::2], hit["Parts"]
    # Anyone who may not read them finds none of them.
    assert not set(ids(api.user(), f"{w} 开会"))


def test_cjk_words_follow_edits_and_recalls(api, pair):
    a, b = pair
    w = word()
    sent = [m["Id"] for m in send_texts(a.ws(), b.id, [f"{w} 项目周报已提交", f"{w} 请大家检查代码"])]
    found = lambda q: set(ids(b, f"{w} {q}"))  # noqa: E731
    assert found("周报") == {sent[0]} and found("检查") == {sent[1]}
    answer(a.post("/message/edit", id=sent[1], content=f"{w} 请大家更新文档"), 200)
    assert found("检查") == set() and found("文档") == {sent[1]}
    answer(a.post("/message/recall", id=sent[0]), 200)
    assert found("周报") == set()
