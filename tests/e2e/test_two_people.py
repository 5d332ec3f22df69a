"""Two people in two browser contexts: register (and be logged in), add a friend, chat
both ways live, unread counts, user content shown as text, history after a
reload."""

from e2e_support import PASSWORD, expect_stored, register, screenshot, unique_name
from playwright_compat import expect


def bubbles(page, text):
    return page.locator("#messages .msg .text", has_text=text)


def test_register_login_befriend_and_chat_both_ways(server, people):
    alice_name, bob_name = unique_name("alice"), unique_name("bob")

    # Both register through the form and are in the app at once (issue 15).
    alice = people.context()
    bob = people.context()
    alice.goto("/")
    screenshot(alice, "login")
    for page, name in ((alice, alice_name), (bob, bob_name)):
        page.goto("/toRegister")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat password").fill(PASSWORD)
        page.get_by_role("button", name="Register").click()
        page.wait_for_url("**/toChat**")
        expect(page.locator(".flash.ok")).to_contain_text(f"Welcome to GinChat, {name}.")
        expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")

    # Alice finds Bob in People, opens their chat in one click and adds him as a friend there;
    # he shows up in her contacts and chats.
    alice.get_by_role("tab", name="People").click()
    alice.get_by_role("searchbox", name="Search people").fill(bob_name)
    alice.get_by_role("button", name=f"Message {bob_name}").click()
    alice.get_by_role("button", name="Add friend").click()
    expect(alice.locator("#friend-list li", has_text=bob_name)).to_have_count(1)
    alice.get_by_role("tab", name="Chats").click()
    friend = alice.locator("#chat-list a", has_text=bob_name)
    expect(friend).to_be_visible()
    expect(friend.locator(".dot")).to_have_class("dot online")

    # Alice writes first; Bob has never heard of her: she appears in his
    # list, live, with one unread message.
    friend.click()
    expect(alice.locator("#conv-title")).to_have_text(bob_name)
    alice.get_by_role("textbox", name="Message").fill("Hello Bob!")
    alice.get_by_role("textbox", name="Message").press("Enter")
    expect_stored(alice.locator("#messages .msg.mine", has_text="Hello Bob!"))
    bob_item = bob.locator("#chat-list a", has_text=alice_name)
    expect(bob_item.locator(".badge")).to_have_text("1")
    expect(bob_item.locator(".preview")).to_have_text("Hello Bob!")

    # Bob opens the conversation (the count clears) and answers.
    bob_item.click()
    expect(bubbles(bob, "Hello Bob!")).to_have_count(1)
    expect(bob.locator("#messages .msg.theirs", has_text="Hello Bob!")).to_be_visible()
    expect(bob_item.locator(".badge")).to_have_count(0)
    bob.get_by_role("textbox", name="Message").fill("Hi Alice, how are you?")
    bob.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator("#messages .msg.theirs", has_text="Hi Alice, how are you?")).to_be_visible()
    expect(alice.locator("#messages .msg.mine", has_text="Hello Bob!")).to_be_visible()

    # A few more both ways, all in order, none doubled.
    for i in range(3):
        alice.get_by_role("textbox", name="Message").fill(f"a{i}")
        alice.get_by_role("textbox", name="Message").press("Enter")
        expect(bubbles(bob, f"a{i}")).to_have_count(1)
        bob.get_by_role("textbox", name="Message").fill(f"b{i}")
        bob.get_by_role("textbox", name="Message").press("Enter")
        expect(bubbles(alice, f"b{i}")).to_have_count(1)
    order = alice.locator("#messages .msg .text").all_inner_texts()
    assert order == ["Hello Bob!", "Hi Alice, how are you?", "a0", "b0", "a1", "b1", "a2", "b2"]
    screenshot(alice, "private-conversation-text")
    assert alice.problems == [] and bob.problems == []


def test_user_content_is_text_not_html(server, people):
    a, b = register(server, "xa"), register(server, "xb")
    a.post("/contact/addfriend", targetId=b.id)
    pa, pb = people.open(a), people.open(b)
    pa.locator("#chat-list a", has_text=b.name).click()
    pb.locator("#chat-list a", has_text=a.name).click()
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>"
    pa.get_by_role("textbox", name="Message").fill(evil)
    pa.get_by_role("textbox", name="Message").press("Enter")
    for page in (pa, pb):
        shown = page.locator("#messages .msg .text").last
        expect(shown).to_have_text(evil)
        assert page.locator("#messages img[src=x], #messages script, #messages b").count() == 0
    # the preview in the list is text too
    expect(pb.locator("#chat-list a", has_text=a.name).locator(".preview")).to_have_text(evil)
    assert pa.problems == [] and pb.problems == [], pa.problems + pb.problems


def test_unread_counts_rise_and_clear_and_reload_keeps_history(server, people):
    a, b, c = register(server, "ua"), register(server, "ub"), register(server, "uc")
    a.post("/contact/addfriend", targetId=b.id)
    a.post("/contact/addfriend", targetId=c.id)
    pa = people.open(a)
    # Alice reads Carol's conversation while Bob writes to her.
    pa.locator("#chat-list a", has_text=c.name).click()
    bob_item = pa.locator("#chat-list a", has_text=b.name)
    b.send([{"Type": 1, "TargetId": a.id, "Content": f"unread {i}", "ClientMsgId": f"u-{i}"} for i in range(1, 4)])
    expect(bob_item.locator(".badge")).to_have_text("3")
    expect(pa.locator("#badge-chats")).to_have_text("3")
    expect(bob_item.locator(".preview")).to_have_text("unread 3")

    # A reload recomputes the same count (nothing was read).
    pa.reload()
    expect(pa.locator("#conn-status")).to_have_attribute("data-state", "open")
    expect(bob_item.locator(".badge")).to_have_text("3")
    b.send([{"Type": 1, "TargetId": a.id, "Content": "unread 4", "ClientMsgId": "u-4"}])
    expect(bob_item.locator(".badge")).to_have_text("4")
    screenshot(pa, "chat-list")

    # Opening the conversation clears it, in the list and the tab.
    bob_item.click()
    expect(pa.locator("#messages .msg .text")).to_have_text(["unread 1", "unread 2", "unread 3", "unread 4"])
    expect(bob_item.locator(".badge")).to_have_count(0)
    expect(pa.locator("#badge-chats")).to_be_hidden()

    # ...and it stays cleared across a reload, which keeps the history too
    # (the open conversation is in the URL).
    pa.get_by_role("textbox", name="Message").fill("read them all")
    pa.get_by_role("textbox", name="Message").press("Enter")
    expect(pa.locator("#messages .msg.mine")).to_have_count(1)
    expect_stored(pa.locator("#messages .msg.mine"))
    pa.reload()
    expect(pa.locator("#conv-title")).to_have_text(b.name)
    expect(pa.locator("#messages .msg .text")).to_have_text(
        ["unread 1", "unread 2", "unread 3", "unread 4", "read them all"]
    )
    expect(bob_item.locator(".badge")).to_have_count(0)
    assert pa.problems == []
