"""Earlier messages by scrolling up, and a server that dies under the
browsers: they reconnect by themselves and resume with ?since, so that no
message is lost or doubled."""

from e2e_support import expect_stored, register
from playwright_compat import expect


def texts(page):
    return page.locator("#messages .msg .text").all_inner_texts()


def test_scrolling_up_loads_earlier_messages(server, people):
    a, b = register(server, "ha"), register(server, "hb")
    a.post("/contact/addfriend", targetId=b.id)
    total = 95
    # Written by Alice herself: nothing is unread, so the latest page comes alone
    # (a conversation with unread messages opens at the first of them instead).
    a.send(
        [
            {"Type": 1, "TargetId": b.id, "Content": f"history {i:03d}", "ClientMsgId": f"h-{i}"}
            for i in range(1, total + 1)
        ]
    )
    page = people.open(a)
    page.locator("#chat-list a", has_text=b.name).click()
    expect(page.locator("#messages .msg .text").last).to_have_text(f"history {total:03d}")
    first_page = page.locator("#messages .msg").count()
    assert first_page < total  # only the latest page came
    expect(page.locator("#messages .load-earlier")).to_be_visible()

    # Scroll to the top until the whole conversation is there.
    while page.locator("#messages .start").count() == 0:
        before = page.locator("#messages .msg").count()
        page.locator("#messages").evaluate("box => box.scrollTop = 0")
        expect(page.locator("#messages .msg")).not_to_have_count(before)
    assert texts(page) == [f"history {i:03d}" for i in range(1, total + 1)]
    expect(page.locator("#messages .start")).to_have_text("This is the start of the conversation.")
    assert page.problems == []


def test_killed_server_reconnect_loses_and_doubles_nothing(server, people):
    a, b = register(server, "ra"), register(server, "rb")
    a.post("/contact/addfriend", targetId=b.id)
    pa, pb = people.open(a), people.open(b)
    pa.locator("#chat-list a", has_text=b.name).click()
    pb.locator("#chat-list a", has_text=a.name).click()
    box = pa.get_by_role("textbox", name="Message")
    box.fill("before the crash")
    box.press("Enter")
    expect(pb.locator("#messages .msg .text")).to_have_text(["before the crash"])

    # The server dies: both pages see the socket drop and say so.
    server.kill()
    for page in (pa, pb):
        expect(page.locator("#conn-status")).to_have_attribute("data-state", "waiting")
        expect(page.locator("#conn-text")).to_contain_text("Offline")
    # Alice writes while offline: the message waits, marked "Sending…".
    box.fill("written while offline")
    box.press("Enter")
    expect(pa.locator("#messages .msg.mine", has_text="written while offline").locator(".ticks")).to_have_attribute(
        "aria-label", "Sending…"
    )

    # Back up. Bob's messages sent at once over the API are stored while the
    # browsers are still waiting to retry (or just after): either way they
    # must arrive exactly once.
    server.start()
    b.send([{"Type": 1, "TargetId": a.id, "Content": f"missed {i}", "ClientMsgId": f"r-{i}"} for i in range(1, 4)])
    for page in (pa, pb):
        expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    expect_stored(pa.locator("#messages .msg.mine", has_text="written while offline"))

    # A last message marks the end: frames arrive in order, so after it every
    # replay is in.
    b.send([{"Type": 1, "TargetId": a.id, "Content": "the end", "ClientMsgId": "r-end"}])
    want = {"before the crash", "written while offline", "missed 1", "missed 2", "missed 3", "the end"}
    for page in (pa, pb):
        expect(page.locator("#messages .msg .text").last).to_have_text("the end")
        shown = texts(page)
        assert sorted(shown) == sorted(want), shown  # each exactly once
        assert shown.index("missed 1") < shown.index("missed 2") < shown.index("missed 3")

    # And the server agrees: one stored copy of the offline message.
    r = b.post("/user/redisMsg", userIdA=a.id, userIdB=b.id)
    stored = [m["Content"] for m in r.json()["Rows"]]
    assert sorted(stored) == sorted(want)
    # the unread count for Bob's messages did not double either (Alice has it open)
    expect(pa.locator("#chat-list a", has_text=b.name).locator(".badge")).to_have_count(0)
    assert pa.problems == [] and pb.problems == []
