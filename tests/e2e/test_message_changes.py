"""Edit, reply, reactions and mentions in Chromium, two people in a group:
the autocomplete of @, the highlighted mention and the Mentions view; a
reaction picked from the menu and toggled from its chip; an inline edit with
its "edited" mark; a reply with its quote, and a quote of a message far up
that loads earlier history when clicked."""

from e2e_support import open_message_menu, register, screenshot, unique_name
from playwright_compat import expect


def message(page, text):
    return page.locator("#messages .msg", has_text=text)


def menu(page, row, action):
    open_message_menu(row).get_by_role("menuitem", name=action, exact=True).click()


def test_edit_reply_react_and_mention(server, people):
    ann, ben = register(server, "ann"), register(server, "ben")
    r = ann.post("/contact/createCommunity", name=unique_name("crew"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert ben.post("/contact/joinGroup", comId=gid).status_code == 200
    # A long history: the first message is far up, and a reply quotes it.
    first = ann.send([{"Type": 2, "TargetId": gid, "Content": "the very first", "ClientMsgId": "f-0"}])[0]
    ann.send([{"Type": 2, "TargetId": gid, "Content": f"filler {i}", "ClientMsgId": f"f-{i + 1}"} for i in range(40)])
    ann.send([{"Type": 2, "TargetId": gid, "Content": "about that", "ReplyTo": first["Id"], "ClientMsgId": "f-r"}])
    # Ben has read it all: the conversation opens at its end (an unread one
    # would open at its first unread message, loading the original with it).
    assert ben.post("/message/read", type=2, targetId=gid).status_code == 200

    pa, pb = people.open(ann), people.open(ben)
    for page in (pa, pb):
        page.locator(f'#chat-list a[href="#g{gid}"]').click()
        expect(message(page, "about that")).to_have_count(1)
    original = pb.locator(f'#messages .msg[data-id="{first["Id"]}"]')
    expect(original).to_have_count(0)  # not loaded yet
    quote = message(pb, "about that").locator(".quote")
    expect(quote).to_contain_text(ann.name)
    expect(quote).to_contain_text("the very first")
    quote.click()
    expect(original).to_be_in_viewport()

    # Ben mentions Ann through the autocomplete.
    box = pb.get_by_role("textbox", name="Message")
    box.click()
    box.press_sequentially(f"hi @{ann.name[:4]}")
    option = pb.get_by_role("option", name=ann.name)
    expect(option).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value(f"hi @{ann.name} ")
    box.press_sequentially("please look")
    box.press("Enter")
    sent = f"hi @{ann.name} please look"
    mention = message(pa, sent).locator(".mention.me")
    expect(mention).to_have_text(f"@{ann.name}")
    expect(message(pb, sent).locator(".mention")).to_have_text(f"@{ann.name}")
    pa.get_by_role("button", name="Mentions").click()
    view = pa.locator("#mentions-view")
    expect(view.locator(".mention-row")).to_have_count(1)
    expect(view.locator(".mention-row")).to_contain_text(sent)
    view.locator(".mention-row").click()
    expect(view).to_be_hidden()
    expect(message(pa, sent)).to_be_in_viewport()

    # Ann reacts from the menu; Ben adds his own from the chip, then takes it back.
    menu(pa, message(pa, sent), "React")
    pa.locator(".reaction-picker").get_by_role("button", name="👍").click()
    for page in (pa, pb):
        chip = message(page, sent).locator(".chip")
        expect(chip).to_have_text("👍1")
        expect(chip).to_have_attribute("title", "You" if page is pa else ann.name)
    message(pb, sent).locator(".chip").click()
    expect(message(pa, sent).locator(".chip")).to_have_text("👍2")
    expect(message(pa, sent).locator(".chip")).to_have_attribute("title", f"You, {ben.name}")
    expect(message(pb, sent).locator(".chip")).to_have_attribute("aria-pressed", "true")
    message(pb, sent).locator(".chip").click()
    expect(message(pa, sent).locator(".chip")).to_have_text("👍1")
    # More emoji from the whole panel.
    menu(pb, message(pb, sent), "React")
    pb.locator(".reaction-picker").get_by_role("button", name="More").click()
    pb.locator(".reaction-picker").get_by_role("button", name="rocket").click()
    expect(message(pa, sent).locator(".chip")).to_have_text(["👍1", "🚀1"])

    # Ben edits his message inline: Ann sees the new text, marked.
    menu(pb, message(pb, sent), "Edit")
    editor = pb.get_by_role("textbox", name="Edit the message")
    editor.fill(f"hi @{ann.name} please look again")
    editor.press("Enter")
    edited = f"hi @{ann.name} please look again"
    for page in (pa, pb):
        expect(message(page, edited).locator(".edited")).to_have_text("edited")
        expect(message(page, edited).locator(".chip")).to_have_count(2)  # reactions stay
    # Ann's own messages offer Edit; Ben's do not.
    expect(open_message_menu(message(pa, edited)).get_by_role("menuitem", name="Edit")).to_have_count(0)
    pa.keyboard.press("Escape")

    # Ann replies to it.
    menu(pa, message(pa, edited), "Reply")
    expect(pa.locator("#reply-bar")).to_contain_text(f"Replying to {ben.name}")
    pa.get_by_role("textbox", name="Message").fill("on it")
    pa.get_by_role("textbox", name="Message").press("Enter")
    expect(pa.locator("#reply-bar")).to_be_hidden()
    for page in (pa, pb):
        reply = message(page, "on it").locator(".quote")
        expect(reply).to_contain_text("You" if page is pb else ben.name)
        expect(reply).to_contain_text("please look again")
    screenshot(pa, "reply-reactions-mention")
    assert pa.problems == [] and pb.problems == []


def test_reply_and_reactions_fit_a_phone(server, people):
    a, b = register(server, "pa"), register(server, "pb")
    a.post("/contact/addfriend", targetId=b.id)
    long_word = "x" * 60
    b.send([{"Type": 1, "TargetId": a.id, "Content": f"a long one {long_word}", "ClientMsgId": "p-1"}])
    for width, height in ((390, 844), (320, 640)):
        phone = {"viewport": {"width": width, "height": height}, "is_mobile": True, "has_touch": True}
        page = people.open(a, **phone)
        page.locator("#chat-list a", has_text=b.name).click()
        row = page.locator("#messages .msg.theirs", has_text="a long one")
        menu(page, row, "React")
        page.locator(".reaction-picker").get_by_role("button", name="More").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.keyboard.press("Escape")
        expect(page.locator(".reaction-picker")).to_have_count(0)
        menu(page, row, "Reply")
        expect(page.locator("#reply-bar")).to_be_visible()
        box = page.get_by_role("textbox", name="Message")
        box.fill(f"a reply at {width}")
        box.press("Enter")
        expect(message(page, f"a reply at {width}").locator(".quote")).to_contain_text("a long one")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width == 390:
            screenshot(page, "phone-reply")
        assert page.problems == []


def test_a_chinese_mention_needs_no_space_after_it(server, people):
    """Issue 26: "@张伟请看一下预算表" (no space, as Chinese is written) is a
    mention of 张伟, highlighted for both and alerting 张伟; the autocomplete
    finds a member by display name too (@张 offers 张伟) and inserts the handle."""
    zhang, li = register(server, "zw"), register(server, "li")
    display = "张伟" + unique_name("")[-4:]  # a display name of this test's own
    assert zhang.post("/user/updateUser", displayName=display).status_code == 200
    r = li.post("/contact/createCommunity", name=unique_name("预算"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert zhang.post("/contact/joinGroup", comId=gid).status_code == 200

    pz, pl = people.open(zhang), people.open(li)
    for page in (pz, pl):
        page.locator(f'#chat-list a[href="#g{gid}"]').click()
    sent = f"@{display}请看一下预算表"
    li.send([{"Type": 2, "TargetId": gid, "Content": sent, "ClientMsgId": "zh-1"}])
    expect(message(pz, "请看一下预算表").locator(".mention.me")).to_have_text(f"@{display}")
    expect(message(pl, "请看一下预算表").locator(".mention")).to_have_text(f"@{display}")
    pz.get_by_role("button", name="Mentions").click()
    expect(pz.locator("#mentions-view .mention-row")).to_contain_text("请看一下预算表")

    box = pl.get_by_role("textbox", name="Message")
    box.click()
    box.press_sequentially("再看 @张")
    expect(pl.get_by_role("option", name=f"{display} (@{zhang.name})")).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value(f"再看 @{zhang.name} ")
