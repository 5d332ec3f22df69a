"""Threads in Chromium, two people in a group, at desktop width and at 390 px:
"Reply in thread" from the message menu opens the side panel (the whole
screen on a phone); the reply stays out of the conversation, whose root
shows "1 reply, last at …"; the other person's Threads button counts the
unread thread, its view lists it and opens it, which reads it; a reply also
sent to the conversation shows there; a search hit inside a thread opens it."""

import pytest

from e2e_support import open_message_menu, register, screenshot, unique_name
from playwright_compat import expect

SIZES = {"desktop": {"width": 1200, "height": 800}, "phone": {"width": 390, "height": 760}}


def message(page, text):
    return page.locator("#messages .msg", has_text=text)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_reply_in_thread_follow_read_and_search(server, people, size):
    ann, ben = register(server, "ann"), register(server, "ben")
    r = ann.post("/contact/createCommunity", name=unique_name("crew"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert ben.post("/contact/joinGroup", comId=gid).status_code == 200
    ann.send(
        [
            {"Type": 2, "TargetId": gid, "Content": "Where do we meet?", "ClientMsgId": "t-1"},
            {"Type": 2, "TargetId": gid, "Content": "Bring umbrellas", "ClientMsgId": "t-2"},
        ]
    )
    viewport = SIZES[size]
    pa, pb = people.open(ann, viewport=viewport), people.open(ben, viewport=viewport)
    for page in (pa, pb):
        page.locator(f'#chat-list a[href="#g{gid}"]').click()
        expect(message(page, "Bring umbrellas")).to_have_count(1)

    # Ben replies in a thread from the message menu.
    open_message_menu(message(pb, "Where do we meet?")).get_by_role("menuitem", name="Reply in thread").click()
    panel = pb.locator("#thread-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".thread-root")).to_contain_text("Where do we meet?")
    if size == "phone":
        box = panel.bounding_box()
        assert box["x"] == 0 and box["width"] == viewport["width"], box
    panel.get_by_role("textbox", name="Reply in thread").fill("At the station")
    panel.get_by_role("button", name="Send reply").click()
    expect(panel.locator(".thread-replies .msg", has_text="At the station")).to_have_count(1)
    expect(panel.get_by_role("button", name="Following")).to_be_visible()

    # The conversation shows the root's line, not the reply, on both sides.
    for page in (pa, pb):
        expect(message(page, "Where do we meet?").locator(".thread-line")).to_contain_text("1 reply, last at")
        expect(message(page, "At the station")).to_have_count(0)

    # Ann started the thread, so she follows it: one unread thread.
    threads_btn = pa.locator("#threads-btn")
    expect(threads_btn.locator(".badge")).to_have_text("1")
    threads_btn.click()
    view = pa.locator("#tab-threads")
    row = view.locator(".thread-row", has_text="Where do we meet?")
    expect(row).to_contain_text("1 reply")
    expect(row.locator(".thread-unread")).to_have_text("1")
    row.click()
    apanel = pa.locator("#thread-panel")
    expect(apanel.locator(".thread-replies")).to_contain_text("At the station")
    expect(threads_btn.locator(".badge")).to_be_hidden()  # opening it read it
    if size == "desktop":
        screenshot(pa, "thread")
    else:
        screenshot(pa, "phone-thread")

    # Ann answers in the thread and in the conversation too.
    apanel.get_by_role("textbox", name="Reply in thread").fill("See you at nine")
    apanel.get_by_label("Also send to the conversation").check()
    apanel.get_by_role("button", name="Send reply").click()
    expect(panel.locator(".thread-replies")).to_contain_text("See you at nine")
    apanel.get_by_role("button", name="Close the thread").click()
    expect(apanel).to_be_hidden()
    shown = message(pa, "See you at nine")
    expect(shown).to_have_count(1)
    expect(shown.locator(".thread-line")).to_have_text("Replied in a thread")
    expect(message(pa, "Where do we meet?").locator(".thread-line")).to_contain_text("2 replies")
    expect(message(pb, "See you at nine")).to_have_count(1)

    # Ben leaves the thread, then finds the reply by search: the thread opens.
    panel.get_by_role("button", name="Following").click()
    expect(panel.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    panel.get_by_role("button", name="Close the thread").click()
    expect(panel).to_be_hidden()
    if size == "phone":
        pb.locator(".back").first.click() if pb.locator(".back").count() else pb.go_back()
    pb.get_by_role("searchbox", name="Search messages").fill("station")
    pb.get_by_role("searchbox", name="Search messages").press("Enter")
    pb.locator("#search-list .hit-link", has_text="station").click()
    expect(panel).to_be_visible()
    expect(panel.locator(".thread-replies")).to_contain_text("At the station")
    assert pa.problems == [] and pb.problems == []
