"""Threads in Chromium, two people in a group, at desktop width and at 390 px:
"Reply in thread" from the message menu opens the side panel (the whole
screen on a phone); the reply stays out of the conversation, whose root
shows "1 reply, last at …"; the other person's Threads button counts the
unread thread, its view lists it and opens it, which reads it; a reply also
sent to the conversation shows there; a search hit inside a thread opens it."""

import re

import pytest

from e2e_support import open_message_menu, png_bytes, register, screenshot, unique_name, upload_works
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
    if size == "phone":
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


def group_with_root(server, text):
    """Ann's group with Ben in it, and Ann's message ``text`` there: (ann, ben, gid, root id)."""
    ann, ben = register(server, "ann"), register(server, "ben")
    r = ann.post("/contact/createCommunity", name=unique_name("crew"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert ben.post("/contact/joinGroup", comId=gid).status_code == 200
    (root,) = ann.send([{"Type": 2, "TargetId": gid, "Content": text, "ClientMsgId": "root-1"}])
    return ann, ben, gid, root["Id"]


def open_thread_of(page, gid, text):
    page.locator(f'#chat-list a[href="#g{gid}"]').click()
    open_message_menu(message(page, text)).get_by_role("menuitem", name="Reply in thread").click()
    panel = page.locator("#thread-panel")
    expect(panel.locator(".thread-root")).to_contain_text(text)
    return panel


def reply_in(panel, text):
    return panel.locator(".thread-replies .msg", has_text=text)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_reply_in_the_panel_has_the_conversation_menu_and_follows_changes(server, people, size):
    """Each reply of the panel has the conversation's "⋯" menu (edit and recall
    mine, react, forward, pin, save); an edit, a reaction and a recall made on
    one side repaint the other side's open panel."""
    ann, ben, gid, root_id = group_with_root(server, "Plan for Friday?")
    ben.send([{"Type": 2, "TargetId": gid, "Content": "Friday at six", "RootId": root_id, "ClientMsgId": "r-1"}])
    viewport = SIZES[size]
    pa = people.open(ann, viewport=viewport, permissions=["clipboard-read", "clipboard-write"])
    pb = people.open(ben, viewport=viewport)
    apanel, bpanel = open_thread_of(pa, gid, "Plan for Friday?"), open_thread_of(pb, gid, "Plan for Friday?")

    # Ann's menu on Ben's reply: what a message of someone else offers, no Edit, no Recall.
    menu = open_message_menu(reply_in(apanel, "Friday at six"))
    for item in ("React", "Forward", "Pin", "Save message", "Copy text"):
        expect(menu.get_by_role("menuitem", name=item, exact=True)).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Edit", exact=True)).to_have_count(0)
    expect(menu.get_by_role("menuitem", name="Reply in thread")).to_have_count(0)
    pa.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(apanel).to_be_visible()  # Esc closed the menu, not the panel
    open_message_menu(reply_in(apanel, "Friday at six")).get_by_role("menuitem", name="Copy text").click()
    pa.wait_for_function("async () => (await navigator.clipboard.readText()) === 'Friday at six'")

    # Ben edits his reply in his panel: Ann's panel shows the new text, edited.
    menu = open_message_menu(reply_in(bpanel, "Friday at six"))
    expect(menu.get_by_role("menuitem", name="Recall")).to_be_visible()
    menu.get_by_role("menuitem", name="Edit").click()
    editor = bpanel.get_by_role("textbox", name="Edit the message")
    editor.fill("Saturday at six")
    editor.press("Enter")
    for panel in (apanel, bpanel):
        expect(reply_in(panel, "Saturday at six").locator(".edited")).to_be_visible()

    # Ann reacts to it: the chip shows in Ben's panel.
    open_message_menu(reply_in(apanel, "Saturday at six")).get_by_role("menuitem", name="React").click()
    apanel.locator(".reaction-picker .emoji-choice", has_text="👍").click()
    expect(reply_in(bpanel, "Saturday at six").locator(".reactions .chip")).to_contain_text("👍")

    # Ann saves it; Ben recalls it: both panels show it recalled.
    open_message_menu(reply_in(apanel, "Saturday at six")).get_by_role("menuitem", name="Save message").click()
    expect(
        open_message_menu(reply_in(apanel, "Saturday at six")).get_by_role("menuitem", name="Unsave")
    ).to_be_visible()
    pa.keyboard.press("Escape")
    open_message_menu(reply_in(bpanel, "Saturday at six")).get_by_role("menuitem", name="Recall").click()
    expect(bpanel.locator(".thread-replies .msg .recalled")).to_have_text("You recalled a message")
    expect(apanel.locator(".thread-replies .msg .recalled")).to_have_text("This message was recalled")
    # The conversations show no trace of it (a recalled reply is not theirs).
    expect(message(pa, "Plan for Friday?").locator(".thread-line")).to_contain_text("1 reply")
    for page in (pa, pb):
        expect(page.locator("#messages .msg .recalled")).to_have_count(0)
    assert pa.problems == [] and pb.problems == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_thread_composer_sends_mentions_pictures_files_and_voice(server, people, size, tmp_path):
    """The thread's composer: @ autocomplete, Enter sends and Shift+Enter
    breaks the line, a picture, a file and a voice clip, all as replies that
    stay out of the conversation (unless "also send" is ticked)."""
    works, answer = upload_works(server)
    if not works:
        pytest.skip(f"uploads answer 501 ({answer.text[:80]})")
    ann, ben, gid, _ = group_with_root(server, "Photos of the trip?")
    viewport = SIZES[size]
    pa, pb = people.open(ann, viewport=viewport), people.open(ben, viewport=viewport)
    apanel, bpanel = open_thread_of(pa, gid, "Photos of the trip?"), open_thread_of(pb, gid, "Photos of the trip?")

    box = bpanel.get_by_role("textbox", name="Reply in thread")
    box.press_sequentially(f"@{ann.name[:4]}")
    option = bpanel.locator("#thread-mention-list [role=option]", has_text=ann.name)
    expect(option).to_be_visible()
    box.press("Enter")  # takes the name, sends nothing
    expect(box).to_have_value(f"@{ann.name} ")
    box.press_sequentially("here they are")
    box.press("Shift+Enter")
    box.press_sequentially("all of them")
    expect(box).to_have_value(f"@{ann.name} here they are\nall of them")
    box.press("Enter")
    expect(box).to_have_value("")
    sent = reply_in(apanel, "here they are")
    expect(sent).to_contain_text("all of them")
    expect(sent.locator(".mention")).to_be_visible()

    # The emoji picker, as the conversation's: Esc closes it (not the thread),
    # an emoji alone goes as Media 2.
    emoji_btn = bpanel.get_by_role("button", name="Emoji")
    emoji_btn.click()
    choices = bpanel.locator("#thread-emoji-panel .emoji-choice")
    expect(choices.first).to_be_focused()
    pb.keyboard.press("Escape")
    expect(bpanel.locator("#thread-emoji-panel")).to_be_hidden()
    expect(bpanel).to_be_visible()
    emoji_btn.click()
    chosen = choices.first.text_content()
    choices.first.click()
    expect(box).to_have_value(chosen)
    box.press("Enter")
    expect(bpanel.locator("#thread-emoji-panel")).to_be_hidden()
    expect(apanel.locator(".thread-replies .msg[data-media='2']")).to_contain_text(chosen)

    picture = tmp_path / "trip.png"
    picture.write_bytes(png_bytes())
    bpanel.locator("#thread-image-input").set_input_files(str(picture))
    expect(apanel.locator(".thread-replies .msg[data-media='4'] img")).to_have_attribute(
        "src", re.compile("^/uploads/")
    )
    notes = tmp_path / "route.txt"
    notes.write_text("left at the bridge\n")
    bpanel.locator("#thread-file-input").set_input_files(str(notes))
    expect(apanel.locator(".thread-replies .msg[data-media='5'] .file-name")).to_have_text("route.txt")
    if size == "desktop":  # press and hold (a phone's touch is the conversation's own test)
        bpanel.get_by_role("button", name="Record a voice clip").hover()
        pb.mouse.down()
        expect(pb.locator("#thread-rec-status")).to_contain_text("Recording 0:02")
        pb.mouse.up()
        expect(apanel.locator(".thread-replies .msg[data-media='3'] audio")).to_have_attribute(
            "src", re.compile("^/uploads/")
        )
    # None of them in the conversation: the root's line counts them.
    expect(pa.locator("#messages .msg[data-media='4'], #messages .msg[data-media='5']")).to_have_count(0)
    expect(message(pa, "here they are")).to_have_count(0)
    expect(bpanel.locator(".thread-replies .msg.mine .ticks")).to_have_count(5 if size == "desktop" else 4)
    if size == "desktop":  # README's picture of a thread
        open_message_menu(sent).get_by_role("menuitem", name="React").click()
        apanel.locator(".reaction-picker .emoji-choice", has_text="🎉").click()
        expect(reply_in(bpanel, "here they are").locator(".reactions .chip")).to_contain_text("🎉")
        pa.mouse.move(0, 0)
        screenshot(pa, "thread")
    assert pa.problems == [] and pb.problems == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_threads_tab_lists_unread_first_and_pages_as_one_scrolls(server, people, size):
    """25 followed threads: the Threads tab (arrow keys from the Chats tab)
    shows its badge, 20 rows, the other 5 once scrolled to the end; a full
    width view on a phone; a row opens its thread and reads it."""
    ann, ben, gid, first = group_with_root(server, "Topic 0")
    roots = [first] + [
        r["Id"]
        for r in ann.send(
            [{"Type": 2, "TargetId": gid, "Content": f"Topic {i}", "ClientMsgId": f"topic-{i}"} for i in range(1, 25)]
        )
    ]
    ben.send(
        [
            {"Type": 2, "TargetId": gid, "Content": f"Answer {i}", "RootId": root, "ClientMsgId": f"a-{i}"}
            for i, root in enumerate(roots)
        ]
    )
    ann.post("/message/thread/read", rootId=roots[3])  # one read: it goes after the unread ones
    viewport = SIZES[size]
    pa = people.open(ann, viewport=viewport)
    tab = pa.get_by_role("tab", name="Threads")
    expect(tab.locator(".badge")).to_have_text("24")
    pa.get_by_role("tab", name="Chats").focus()
    pa.keyboard.press("ArrowRight")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_be_focused()
    view = pa.locator("#tab-threads")
    expect(view).to_be_visible()
    rows = view.locator(".thread-row")
    expect(rows).to_have_count(20)
    expect(view.locator("li.unread")).to_have_count(20)
    if size == "phone":
        box = view.bounding_box()
        assert box["x"] == 0 and box["width"] == viewport["width"], box
    if size == "desktop":
        screenshot(pa, "threads-view")
    view.evaluate("v => { v.scrollTop = v.scrollHeight; }")
    expect(rows).to_have_count(25)
    expect(rows.last).to_contain_text("Topic 3")  # the read one, last
    rows.filter(has_text="Topic 7").click()
    panel = pa.locator("#thread-panel")
    expect(panel.locator(".thread-replies")).to_contain_text("Answer 7")
    expect(pa.locator("#threads-btn .badge")).to_have_text("23")  # the tab bar may be hidden (a phone)
    # The topbar's Threads button leads back to the view (on a phone: out of the conversation).
    panel.get_by_role("button", name="Close the thread").click()
    pa.locator("#threads-btn").click()
    expect(view).to_be_visible()
    expect(tab.locator(".badge")).to_have_text("23")
    expect(view.locator("li").first).to_have_class("unread")
    expect(view.locator("li.unread", has_text="Topic 7")).to_have_count(0)
    assert pa.problems == []
