"""Issue 27 item 5 in Chromium: the keyboard and the names.

- Ctrl+K (and "/" outside a text field) opens a quick switcher over people,
  groups and chats: an accessible dialog with a combobox; typing filters by
  name, display name and (through the server's search) pinyin; arrows and
  Enter open the conversation; Escape closes it and gives focus back.
- Up in an empty composer edits my last message of the open conversation.
- Shift+Tab from the composer does not walk every message's "⋯" button: the
  message list is one tab stop, arrow keys move between its messages, and
  Enter opens a message's actions.
- One display-name lookup for every place: bubbles, reply quotes, the live
  region, reactions and receipts show the display name of anyone the viewer
  may see (friends or not, DIRECT_MESSAGES=members), looked up in batches
  and drawn again when a name arrives.
(Markdown lists are in test_format.py.)
At desktop and 390 px where the layout matters."""

import re

import pytest

from e2e_support import befriend, expect_stored, register, screenshot, unique_name
from playwright_compat import expect

PHONE = {"width": 390, "height": 844}


def set_display_name(user, shown):
    r = user.post("/user/updateUser", displayName=shown)
    assert r.status_code == 200, r.text


def group_of(owner, *members):
    r = owner.post("/contact/createCommunity", name=unique_name("Crew"))
    assert r.status_code == 201, r.text
    group = r.json()["Data"]
    for member in members:
        assert member.post("/contact/joinGroup", comId=group["ID"]).status_code == 200
    return group


def message(page, text):
    return page.locator("#messages .msg", has_text=text)


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


# --- the quick switcher ----------------------------------------------------------------
@pytest.mark.parametrize("size", [None, PHONE], ids=["desktop", "phone"])
def test_quick_switcher_opens_people_groups_and_chats(server, people, size):
    ana, bob, carl = register(server, "ana"), register(server, "bob"), register(server, "carl")
    set_display_name(bob, "张伟")
    set_display_name(carl, f"Carlos Nonfriend {carl.name}")
    befriend(ana, bob)
    group = group_of(ana)
    page = people.open(ana, **({"viewport": size} if size else {}))
    dialog = page.get_by_role("dialog", name="Go to a conversation")
    combo = dialog.get_by_role("combobox", name="Go to a conversation")
    expect(dialog).to_be_hidden()

    # "/" outside a text field opens it, focused on its combobox.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("/")
    expect(dialog).to_be_visible()
    expect(combo).to_be_focused()
    expect(combo).to_have_value("")
    # Empty: the recent chats and groups are offered.
    expect(dialog.get_by_role("option")).not_to_have_count(0)
    combo.press_sequentially(group["Name"][:6].lower())
    option = dialog.get_by_role("option", name=re.compile(re.escape(group["Name"])))
    expect(option).to_be_visible()
    expect(combo).to_have_attribute("aria-expanded", "true")
    active = combo.get_attribute("aria-activedescendant")
    assert active, "the first match is the active option"
    expect(page.locator(f"#{active}")).to_have_attribute("aria-selected", "true")
    combo.press("Enter")
    expect(page).to_have_url(re.compile(f"#g{group['ID']}$"))
    expect(dialog).to_be_hidden()
    if size:
        no_sideways_scroll(page)

    # "/" typed in the composer is a character, not the switcher.
    box = page.get_by_role("textbox", name="Message")
    box.click()
    box.press("/")
    expect(box).to_have_value("/")
    expect(dialog).to_be_hidden()
    box.fill("")

    # Ctrl+K works anywhere, the composer too; a Chinese name is found by its pinyin.
    box.press("Control+k")
    expect(dialog).to_be_visible()
    combo.press_sequentially("zhangwei")
    # (Other tests' 张伟 are on this server too: Bob is the one with his @handle.)
    bob_option = dialog.get_by_role("option", name=re.compile(f"张伟.*@{bob.name}"))
    expect(bob_option).to_have_count(1)  # the chat and the search's person are one entry
    if size:
        screenshot(page, "quick-switcher-390")
        no_sideways_scroll(page)
    else:
        screenshot(page, "quick-switcher-desktop")
    combo.press("ArrowDown")
    combo.press("ArrowUp")
    for _ in range(dialog.get_by_role("option").count()):
        if bob_option.get_attribute("aria-selected") == "true":
            break
        combo.press("ArrowDown")
    expect(bob_option).to_have_attribute("aria-selected", "true")
    combo.press("Enter")
    expect(page).to_have_url(re.compile(f"#u{bob.id}$"))
    expect(page.locator("#conv-title")).to_have_text("张伟")

    # Escape closes it and gives the focus back to where it was.
    box.click()
    box.press("Control+k")
    expect(dialog).to_be_visible()
    combo.press_sequentially("zzz-nobody")
    expect(dialog.locator(".switcher-empty")).to_be_visible()
    combo.press("Escape")
    expect(dialog).to_be_hidden()
    expect(box).to_be_focused()

    # Someone not (yet) a friend, found by display name through the server: their chat opens.
    box.press("Control+k")
    combo.press_sequentially("carlos non")
    carl_option = dialog.get_by_role("option", name=re.compile(f"Carlos Nonfriend {carl.name}"))
    expect(carl_option).to_be_visible()
    carl_option.click()
    expect(page).to_have_url(re.compile(f"#u{carl.id}$"))
    expect(dialog).to_be_hidden()
    # A colleague (DIRECT_MESSAGES=members): the chat opens, no friendship is made on the way.
    friends = ana.post("/searchFriends").json()["Rows"]
    assert carl.id not in [row["ID"] for row in friends], friends
    assert page.problems == []


# --- Up edits my last message ----------------------------------------------------------------
def test_up_in_an_empty_composer_edits_my_last_message(server, people):
    ana, bob = register(server, "ana"), register(server, "bob")
    befriend(ana, bob)
    ana.send([{"Type": 1, "TargetId": bob.id, "Content": "first of mine", "ClientMsgId": "u-1"}])
    ana.send([{"Type": 1, "TargetId": bob.id, "Content": "last of mine", "ClientMsgId": "u-2"}])
    bob.send([{"Type": 1, "TargetId": ana.id, "Content": "bob answers", "ClientMsgId": "u-3"}])
    page = people.open(ana)
    page.locator(f'#chat-list a[href="#u{bob.id}"]').click()
    expect(message(page, "bob answers")).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    box.click()

    # Not while there is text in the composer: Up moves in the text then.
    box.fill("draft")
    box.press("ArrowUp")
    expect(page.locator(".edit-input")).to_have_count(0)
    box.fill("")

    box.press("ArrowUp")
    editor = page.get_by_role("textbox", name="Edit the message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("last of mine")
    editor.fill("last of mine, changed")
    editor.press("Enter")
    expect(message(page, "last of mine, changed").locator(".edited")).to_be_visible()
    expect(box).to_be_focused()  # back where the writing goes on

    # Escape leaves the editor unchanged and back in the composer.
    box.press("ArrowUp")
    expect(editor).to_have_value("last of mine, changed")
    editor.press("Escape")
    expect(page.locator(".edit-input")).to_have_count(0)
    expect(box).to_be_focused()
    # A message I send now is the last one.
    box.fill("newest of mine")
    box.press("Enter")
    expect_stored(message(page, "newest of mine"))
    box.press("ArrowUp")
    expect(editor).to_have_value("newest of mine")
    editor.press("Escape")
    assert page.problems == []


# --- the message list is one tab stop --------------------------------------------------------
def active(page):
    return page.evaluate(
        """() => {
            const a = document.activeElement;
            return { id: a.id, cls: a.className, inList: !!a.closest('#messages') && a.id !== 'messages',
                     menuBtn: a.classList.contains('msg-menu-btn'), row: a.classList.contains('msg'),
                     text: (a.textContent || '').slice(0, 40) };
        }"""
    )


@pytest.mark.parametrize("size", [None, PHONE], ids=["desktop", "phone"])
def test_shift_tab_from_the_composer_does_not_walk_the_messages(server, people, size):
    ana, bob = register(server, "ana"), register(server, "bob")
    befriend(ana, bob)
    acks = ana.send(
        [
            {"Type": 1, "TargetId": bob.id, "Content": f"note {i} https://example.com/{i}", "ClientMsgId": f"t-{i}"}
            for i in range(12)
        ]
    )
    bob.send([{"Type": 1, "TargetId": ana.id, "Content": "a reply", "ReplyTo": acks[3]["Id"], "ClientMsgId": "t-r"}])
    assert bob.post("/message/react", id=acks[-1]["Id"], emoji="👍").status_code == 200
    page = people.open(ana, **({"viewport": size} if size else {}))
    page.locator(f'#chat-list a[href="#u{bob.id}"]').click()
    expect(message(page, "a reply")).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    box.click()

    # Backwards from the composer: its own tools, the list (once), then out of it.
    seen = []
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        seen.append(active(page))
        if seen[-1]["id"] == "messages":
            break
    assert seen[-1]["id"] == "messages", seen
    assert not any(s["inList"] for s in seen), seen
    page.keyboard.press("Shift+Tab")
    after = active(page)
    assert not after["inList"] and after["id"] != "messages", after

    # Inside it: arrows move between messages, Enter opens the actions, Esc comes back.
    page.locator("#messages").focus()
    page.keyboard.press("ArrowUp")
    now = active(page)
    assert now["row"] and "a reply" in now["text"], now  # the newest first
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    now = active(page)
    assert now["row"] and "note 10" in now["text"], now
    page.keyboard.press("ArrowDown")
    now = active(page)
    assert now["row"] and "note 11" in now["text"], now
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu", name="Message actions")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    now = active(page)
    assert now["row"] and "note 10" in now["text"], now
    # Right and Left reach what is inside a message (its links, its "⋯").
    page.keyboard.press("ArrowRight")
    now = active(page)
    assert now["inList"] and not now["row"], now
    page.keyboard.press("Escape")
    assert active(page)["row"]
    # Tab from a message leaves the list for the composer side, in one step.
    page.keyboard.press("Tab")
    assert not active(page)["inList"]
    if size:
        no_sideways_scroll(page)
    assert page.problems == []


# --- one display-name lookup ----------------------------------------------------------------
def test_one_display_name_for_every_place(server, people):
    vic = register(server, "vic")  # the viewer: friends with nobody
    ann, ben, cat, dan = (register(server, p) for p in ("ann", "ben", "cat", "dan"))
    set_display_name(ann, "Alice Chen")
    set_display_name(ben, "Ben Okafor")
    set_display_name(cat, "Cat Reacher")
    set_display_name(dan, "Dan Quiet")
    group = group_of(ann, ben, cat, dan, vic)
    gid = group["ID"]
    first = ben.send([{"Type": 2, "TargetId": gid, "Content": "from ben", "ClientMsgId": "n-1"}])[0]
    reply = ann.send(
        [{"Type": 2, "TargetId": gid, "Content": "answering ben", "ReplyTo": first["Id"], "ClientMsgId": "n-2"}]
    )[0]
    # Cat and Dan never write: only their reactions show them.
    for who in (cat, dan):
        assert who.post("/message/react", id=reply["Id"], emoji="🎉").status_code == 200
    assert vic.post("/message/read", type=2, targetId=gid).status_code == 200

    page = people.open(vic)
    finds = []
    page.on("request", lambda r: "/user/find" in r.url and finds.append(r.post_data or ""))
    page.locator(f'#chat-list a[href="#g{gid}"]').click()
    row = message(page, "answering ben")
    expect(row.locator(".sender")).to_have_text("Alice Chen")
    expect(row.locator(".quote-who")).to_have_text("Ben Okafor")
    chip = row.locator(".chip")
    expect(chip).to_have_attribute("title", "Cat Reacher, Dan Quiet")
    expect(chip).to_have_attribute("aria-label", re.compile("Cat Reacher, Dan Quiet"))
    # Four people nobody had looked up: asked for together, not one request each.
    assert 1 <= len(finds) < 4, finds

    # The live region names the sender by display name, even one seen for the first time.
    eve = register(server, "eve")
    set_display_name(eve, "Eve Newcomer")
    assert eve.post("/contact/joinGroup", comId=gid).status_code == 200
    eve.send([{"Type": 2, "TargetId": gid, "Content": "hello all", "ClientMsgId": "n-3"}])
    expect(page.locator("#announcer")).to_have_text(re.compile(r"^Eve Newcomer in .*: hello all$"))
    expect(message(page, "hello all").locator(".sender")).to_have_text("Eve Newcomer")
    ann.send([{"Type": 2, "TargetId": gid, "Content": "welcome eve", "ClientMsgId": "n-4"}])
    expect(page.locator("#announcer")).to_have_text(re.compile(r"^Alice Chen in .*: welcome eve$"))

    # A reaction arriving live from someone not looked up yet, and a reply quoting them.
    fay = register(server, "fay")
    set_display_name(fay, "Fay Later")
    assert fay.post("/contact/joinGroup", comId=gid).status_code == 200
    assert fay.post("/message/react", id=first["Id"], emoji="👍").status_code == 200
    expect(page.locator(f'#messages .msg[data-id="{first["Id"]}"] .chip')).to_have_attribute("title", "Fay Later")

    # Receipts: who read my message, by display name.
    box = page.get_by_role("textbox", name="Message")
    box.fill("did you read this")
    box.press("Enter")
    mine = message(page, "did you read this")
    expect_stored(mine)
    assert ann.post("/message/read", type=2, targetId=gid).status_code == 200
    expect(mine.locator(".ticks")).to_have_attribute("title", re.compile("Alice Chen"))
    # No handle or "user N" stands for a person anywhere in the conversation.
    text = page.locator("#conv").inner_text()
    for who in (ann, ben, cat, dan, eve, fay):
        assert who.name not in text, who.name
    assert not re.search(r"\buser \d+\b", text)
    assert page.problems == []
