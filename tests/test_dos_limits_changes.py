"""The limits of issue 24 on what a message goes through after it is sent:
mention resolution bounded by the text (not by members times ``@``), one
per-user budget for messages, edits and reactions on the socket and over
HTTP on every node, and no change passing between users where one blocked
the other. The speed itself is measured by bench/probes/mentions_and_changes.py."""

import time

from helpers import Api, send_texts, unique_name, until, wait_for
from http_checks import answer, error

from ginchat.domain.mentions import MENTION_SIGNS


def changes(conn, seconds=0.5):
    return [f for f in conn.quiet(seconds) if f.get("Type") == 15]


# --- mentions -----------------------------------------------------------------------------
def test_a_mention_needs_no_space_after_it_and_the_longest_name_wins(api):
    owner, zhang, bob = api.user("own"), api.user("张伟"), api.user("bob")
    longer = api.login(api.register(bob.name + "x"))
    lee = api.user("lee")
    answer(lee.post("/user/updateUser", displayName=f"Ann Lee {lee.id}"), 200)
    gid = api.group(owner, zhang, bob, longer, lee)["ID"]
    wo = owner.ws()
    texts = [
        f"@{zhang.name}请看一下预算表",
        f"@{longer.name}: and @{bob.name}, please",
        f"@{bob.name}x? no: @{bob.name}y",
        f"hi @ann lee {lee.id}, and @{lee.name}",
    ]
    got = [m.get("Mentions") for m in send_texts(wo, gid, texts, type_=2)]
    assert got == [[zhang.id], [longer.id, bob.id], [longer.id, bob.id], [lee.id]]


def test_only_the_first_signs_of_a_message_are_read(api):
    owner, bob = api.user("own"), api.user("bob")
    gid = api.group(owner, bob)["ID"]
    wo = owner.ws()
    flood = "@" * 4000 + f" @{bob.name}"
    near = "@ " * (MENTION_SIGNS - 1) + f"@{bob.name}"
    late = send_texts(wo, gid, [flood, near], type_=2)
    assert "Mentions" not in late[0], "the 4,001st @ is not read"
    assert late[1]["Mentions"] == [bob.id], "the 50th is"
    edited = answer(owner.post("/message/edit", id=late[1]["Id"], content="@ " + near), 200)["Data"]
    assert not edited.get("Mentions"), "an edit reads as few"


def test_the_kept_names_follow_joins_leaves_and_renames(api):
    owner, ann, bob = api.user("own"), api.user("ann"), api.user("bob")
    gid = api.group(owner, ann)["ID"]
    wo = owner.ws()
    assert send_texts(wo, gid, [f"@{ann.name} @{bob.name}"], type_=2)[0]["Mentions"] == [ann.id]
    answer(bob.post("/contact/joinGroup", comId=gid), 200)
    assert send_texts(wo, gid, [f"@{ann.name} @{bob.name}"], type_=2)[0]["Mentions"] == [ann.id, bob.id]
    answer(ann.post("/contact/quitGroup", comId=gid), 200)
    assert send_texts(wo, gid, [f"@{ann.name} @{bob.name}"], type_=2)[0]["Mentions"] == [bob.id]
    # A new name: MariaDB keeps times in whole seconds, so the rename comes in a later one.
    second = int(time.time())
    assert wait_for(lambda: int(time.time()) > second, timeout=3)
    renamed = unique_name("bobby")
    answer(bob.post("/user/updateUser", name=renamed), 200)
    answer(bob.post("/user/updateUser", displayName="Robert Roe"), 200)
    got = send_texts(wo, gid, [f"@{bob.name} @{renamed}", "@robert roe"], type_=2)
    assert [m.get("Mentions") for m in got] == [[bob.id], [bob.id]]
    assert "Mentions" not in send_texts(wo, gid, [f"@{bob.name}!"], type_=2)[0], "the old name is gone"


# --- one budget for a user's messages and changes ----------------------------------------------
def two_nodes(make_server, **settings):
    """Two servers on one Redis (two nodes) with ``settings``, and two friends."""
    api1, api2 = Api(make_server(**settings)), Api(make_server(**settings))
    a, b = api1.user(), api1.user()
    api1.befriend(a, b)
    return api1, api2, a, b


def test_http_edits_and_reactions_share_the_socket_budget_on_every_node(make_server):
    # The per-connection bucket is wide open: only the per-user count can refuse.
    api1, api2, a, b = two_nodes(make_server, USER_MSG_RATE=3, MSG_RATE=1000)
    wb = api1.ws(b)
    msg = send_texts(wb, a.id, ["react to this"])[0]
    mine = send_texts(api1.ws(a), b.id, ["edit this"])[0]
    a2 = api2.login(a.name)

    def storm(call):
        """Calls until one is refused (at most 30): their statuses."""
        statuses = []
        for i in range(30):
            statuses.append(call(i).status_code)
            if statuses[-1] == 429:
                break
        return statuses

    toggles = storm(lambda i: a2.post("/message/react", id=msg["Id"], emoji="👍", remove=str(i % 2 == 1).lower()))
    assert toggles[-1] == 429 and all(s == 200 for s in toggles[:-1]), toggles
    edits = storm(lambda i: a.post("/message/edit", id=mine["Id"], content=f"edit {i}"))
    assert edits[-1] == 429 and all(s == 200 for s in edits[:-1]), edits
    r = a.post("/message/edit", id=mine["Id"], content="refused")
    if r.status_code == 429:  # else a new second began: the refusal above is the proof
        assert "from your account" in r.json()["Msg"] and int(r.headers["Retry-After"]) >= 1
    # The socket and HTTP count together: a node that saw only HTTP refuses a socket frame.
    ws2 = api2.ws(a)
    refused = None
    for k in range(5):  # each try within one second of its storm, unless the machine stalls
        storm(lambda i: a.post("/message/react", id=msg["Id"], emoji="🎉", remove=str(i % 2 == 1).lower()))
        ws2.send(Type=1, TargetId=b.id, Content="after the storm", ClientMsgId=f"m-{k}")
        frame = until(ws2, lambda f, k=k: f.get("ClientMsgId") == f"m-{k}")
        if frame["Type"] == -1:
            refused = frame
            break
    assert refused and refused["Code"] == 429 and "from your account" in refused["Msg"], refused


def test_edits_and_reactions_have_a_budget_of_their_own(make_server):
    api1, api2, a, b = two_nodes(make_server, USER_CHANGE_RATE=2)
    msg = send_texts(api1.ws(b), a.id, ["react to this"])[0]
    a2 = api2.login(a.name)
    wa = api1.ws(a)
    refused = None
    for k in range(5):  # each try within one second of its HTTP changes, unless the machine stalls
        statuses = [
            a2.post("/message/react", id=msg["Id"], emoji="👍", remove=str(i % 2 == 1).lower()).status_code
            for i in range(3)
        ]
        assert 429 in statuses, statuses
        wa.send(Type=16, Id=msg["Id"], Emoji="🎉", Add=k % 2 == 0, ClientMsgId=f"r-{k}")
        wa.send(Type=1, TargetId=b.id, Content="a message still goes", ClientMsgId=f"m-{k}")
        sent, before = wa.recv_until(lambda f, k=k: f.get("ClientMsgId") == f"m-{k}")
        assert sent["Type"] == 1, "messages have a budget of their own"
        refused = next((f for f in before if f.get("ClientMsgId") == f"r-{k}"), None)
        if refused:
            break
    assert refused and refused["Code"] == 429 and "edits and reactions" in refused["Msg"], refused


# --- blocks --------------------------------------------------------------------------------------
def test_no_reaction_passes_between_users_where_one_blocked_the_other(api):
    blocker, blocked = api.user("bkr"), api.user("bkd")
    api.befriend(blocker, blocked)
    wr, wd = blocker.ws(), blocked.ws()
    theirs = send_texts(wr, blocked.id, ["before the block"])[0]
    mine = send_texts(wd, blocker.id, ["mine"])[0]
    wr.quiet(0.3)
    answer(blocker.post("/contact/block", targetId=blocked.id), 200)
    msg = error(blocked.post("/message/react", id=theirs["Id"], emoji="👍"), 403)
    assert "blocked you" in msg["Msg"]
    wd.send(Type=16, Id=theirs["Id"], Emoji="👍", ClientMsgId="r-1")
    assert until(wd, lambda f: f.get("Type") == -1)["Code"] == 403
    error(blocked.post("/message/react", id=mine["Id"], emoji="🎉"), 403)  # on their own message too
    error(blocker.post("/message/react", id=mine["Id"], emoji="👍"), 403)  # nor the other way
    assert changes(wr) == [] and changes(wd, 0.1) == []
    rows = answer(blocker.get("/message/history", type=1, targetId=blocked.id), 200)["Rows"]
    assert not any(r.get("Reactions") for r in rows)
