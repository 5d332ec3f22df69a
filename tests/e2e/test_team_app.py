"""Issue 27 in the browser: a team, not a friend list. A lead and colleagues
who are not friends: the People tab lists everyone with presence, one click
opens a private chat, the first message makes the row live in the other's
chat list (and it stays after a reload); a group made with its members
picked opens at once and reaches them; "Add people" offers colleagues; the
one "New" menu (keyboard: arrows, Escape, focus back); on a server of
friends (DIRECT_MESSAGES=friends) the directory offers "Add friend" instead.
Desktop and 390 px, with no page or console error."""

import re
import shutil
import tempfile

import pytest

from e2e_support import ServerProcess, befriend, register, screenshot, unique_name
from playwright_compat import expect

PHONE = {"width": 390, "height": 844}


def fresh_server(**env):
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-team-")
    proc = ServerProcess(workdir)
    for key, value in env.items():
        proc.env[f"GINCHAT_{key}"] = value
    proc.start()
    return proc, workdir


@pytest.fixture(scope="module")
def server():
    """A server of its own (DIRECT_MESSAGES=members, the default): the
    directory holds only this module's people."""
    proc, workdir = fresh_server()
    yield proc
    proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def friends_server():
    proc, workdir = fresh_server(DIRECT_MESSAGES="friends")
    yield proc
    proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def watch_console(page):
    def seen(msg):
        if msg.type == "error" and not (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            page.problems.append(f"console: {msg.text} {(msg.location or {}).get('url', '')}")

    page.on("console", seen)
    return page


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def open_new_menu(page):
    page.locator("#new-chat-btn").click()
    expect(page.get_by_role("menu", name="New")).to_be_visible()


def back_to_lists(page, size):
    if size:
        page.locator("#back").click()
        expect(page.locator("#sidebar")).to_be_visible()


@pytest.mark.parametrize("size", [None, PHONE], ids=["desktop", "phone"])
def test_people_lists_colleagues_and_one_click_opens_a_chat_that_reaches_them_live(server, people, size):
    lead, ana, bob = register(server, "lead"), register(server, "ana"), register(server, "bob")
    options = {"viewport": size} if size else {}
    pl = watch_console(people.open(lead, **options))
    pa = watch_console(people.open(ana, **options))

    # New -> Message a person: the People tab, its search box focused.
    open_new_menu(pl)
    pl.get_by_role("menuitem", name="Message a person").click()
    expect(pl.get_by_role("tab", name="People")).to_have_attribute("aria-selected", "true")
    expect(pl.get_by_role("searchbox", name="Search people")).to_be_focused()
    # Everyone but me, with presence: Ana is here (online), Bob is not.
    row_a = pl.locator("#dir-list li", has_text=f"@{ana.name}")
    row_b = pl.locator("#dir-list li", has_text=f"@{bob.name}")
    expect(row_a).to_be_visible()
    expect(row_b).to_be_visible()
    expect(pl.locator("#dir-list li", has_text=f"@{lead.name}")).to_have_count(0)
    expect(row_a.locator(".dot.online")).to_have_count(1)
    expect(row_b.locator(".dot.offline")).to_have_count(1)
    expect(row_a).to_contain_text("online")
    # Searching narrows it (the server's search: name, display name, pinyin words).
    pl.get_by_role("searchbox", name="Search people").fill(bob.name)
    expect(pl.locator("#dir-list li")).to_have_count(1)
    expect(pl.locator("#dir-list li").first).to_contain_text(f"@{bob.name}")
    pl.get_by_role("searchbox", name="Search people").fill("")
    expect(row_a).to_be_visible()
    screenshot(pl, f"team-people-{'desktop' if size is None else size['width']}")
    if size:
        no_sideways_scroll(pl)

    # One click: the chat with a colleague who is no friend opens.
    row_a.get_by_role("button", name=f"Message {ana.name}").click()
    expect(pl.locator("#conv-title")).to_have_text(ana.name)
    expect(pl.locator("#msg-input")).to_be_visible()
    expect(pl.locator("#remove-friend-btn")).to_be_hidden()
    pl.locator("#msg-input").fill("Welcome to the team")
    pl.locator("#msg-input").press("Enter")
    expect(pl.locator(".msg.mine .bubble", has_text="Welcome to the team")).to_be_visible()

    # Ana's chat list gets the row at once: the lead's name, the preview, one unread.
    row = pa.locator("#chat-list li", has_text=lead.name)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Welcome to the team")
    expect(row.locator(".badge")).to_have_text("1")
    expect(row.locator(".dot.online")).to_have_count(1)  # a colleague's presence shows under members
    # It is no contact of hers, and it stays after a reload.
    expect(pa.locator("#friend-list li", has_text=lead.name)).to_have_count(0)
    pa.reload()
    expect(pa.locator("#chat-list li", has_text=lead.name)).to_contain_text("Welcome to the team")
    row = pa.locator("#chat-list li", has_text=lead.name)
    row.locator("a").click()
    expect(pa.locator(".msg .bubble", has_text="Welcome to the team")).to_be_visible()
    pa.locator("#msg-input").fill("Thanks!")
    pa.locator("#msg-input").press("Enter")
    expect(pl.locator(".msg .bubble", has_text="Thanks!")).to_be_visible()
    # The lead's list has the chat too.
    back_to_lists(pl, size)
    pl.get_by_role("tab", name=re.compile("^Chats")).click()
    expect(pl.locator("#chat-list li", has_text=ana.name)).to_contain_text("Thanks!")
    if size:
        no_sideways_scroll(pa)
    assert pl.problems == [] and pa.problems == []


@pytest.mark.parametrize("size", [None, PHONE], ids=["desktop", "phone"])
def test_a_group_made_with_picked_members_opens_at_once_and_add_people_offers_colleagues(server, people, size):
    lead, ana, bob, carl = (register(server, n) for n in ("lead", "ana", "bob", "carl"))
    options = {"viewport": size} if size else {}
    pl = watch_console(people.open(lead, **options))
    pa = watch_console(people.open(ana, **options))
    name = unique_name("Team")

    open_new_menu(pl)
    pl.get_by_role("menuitem", name="Create a group").click()
    expect(pl.locator("#group-name")).to_be_focused()
    pl.locator("#group-name").fill(name)
    finder = pl.get_by_role("searchbox", name="Find people to add", exact=True)
    for who in (ana, bob):
        finder.fill(who.name)
        option = pl.locator("#group-members-options li", has_text=f"@{who.name}")
        expect(option).to_have_count(1)
        option.get_by_role("checkbox").check()
    expect(pl.locator("#group-members-chosen")).to_contain_text("(2)")
    screenshot(pl, f"team-member-picker-{'desktop' if size is None else size['width']}")
    if size:
        no_sideways_scroll(pl)
    pl.locator("#create-group-form").get_by_role("button", name="Create").click()

    # The new group opens at once, with its three members.
    expect(pl.locator("#conv-title")).to_have_text(name)
    expect(pl.locator("#conv-sub")).to_contain_text("3 members")
    # Ana has it in her list without doing anything.
    expect(pa.locator("#chat-list li", has_text=name)).to_be_visible()

    # Add people lists colleagues who are not members (not only friends): Carl.
    if size:
        pl.locator("#conv-menu-btn").click()
    pl.locator("#members-btn").click()
    pl.locator("#add-people-btn").click()
    pl.get_by_role("searchbox", name="Find people to add to this group").fill(carl.name)
    candidate = pl.locator("#add-people-list li[data-user-id]", has_text=carl.name)
    expect(candidate).to_have_count(1)
    pl.get_by_role("searchbox", name="Find people to add to this group").fill(ana.name)
    expect(pl.locator("#add-people-list li.empty")).to_be_visible()  # a member already
    expect(pl.locator("#add-people-list li[data-user-id]")).to_have_count(0)
    pl.get_by_role("searchbox", name="Find people to add to this group").fill(carl.name)
    expect(candidate).to_have_count(1)
    candidate.get_by_role("button", name=f"Add {carl.name}").click()
    expect(pl.locator("#member-list li", has_text=carl.name)).to_be_visible()
    expect(pl.locator("#add-people-list li[data-user-id]", has_text=carl.name)).to_have_count(0)
    expect(pl.locator("#add-people-list li.empty")).to_contain_text("Nobody found")
    assert pl.problems == [] and pa.problems == []


def test_the_new_menu_by_keyboard_and_from_the_empty_pane(server, people):
    me = register(server, "kbd")
    page = watch_console(people.open(me))
    button = page.locator("#new-chat-btn")
    expect(page.locator("#new-chat-btn")).to_have_attribute("aria-haspopup", "menu")
    button.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu", name="New")
    expect(menu).to_be_visible()
    screenshot(page, "team-new-menu")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("menuitem", name="Message a person")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Create a group")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("menuitem", name="Join a group")).to_be_focused()
    # Escape closes it and gives the focus back.
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    # End, Enter: Join a group, its field focused.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    expect(page.get_by_role("tab", name="Groups")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#comId")).to_be_focused()
    # The empty pane has one way in: the same menu.
    expect(page.locator("#conv-empty button")).to_have_count(1)
    page.locator("#empty-new-chat").click()
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#empty-new-chat")).to_be_focused()
    # A click elsewhere closes it too; no "+" and no Add-a-friend form remain.
    button.click()
    expect(menu).to_be_visible()
    page.locator("#conv-empty").click(position={"x": 5, "y": 5})
    expect(menu).to_be_hidden()
    expect(page.locator("#add-friend-form")).to_be_hidden()
    assert page.problems == []


def test_a_server_of_friends_offers_add_friend_where_messaging_is_not_allowed(friends_server, people):
    me, colleague, friend = (register(friends_server, n) for n in ("me", "col", "fr"))
    befriend(me, friend)
    page = watch_console(people.open(me, base_url=friends_server.url))
    page.get_by_role("tab", name="People").click()
    row_c = page.locator("#dir-list li", has_text=f"@{colleague.name}")
    row_f = page.locator("#dir-list li", has_text=f"@{friend.name}")
    expect(row_f.get_by_role("button", name=f"Message {friend.name}")).to_be_visible()
    expect(row_c.get_by_role("button", name=re.compile("^Message"))).to_have_count(0)
    row_c.get_by_role("button", name=f"Add {colleague.name} as a friend").click()
    # FRIEND_ADD=instant: friends now, so the row offers Message.
    expect(row_c.get_by_role("button", name=f"Message {colleague.name}")).to_be_visible()
    row_c.get_by_role("button", name=f"Message {colleague.name}").click()
    expect(page.locator("#conv-title")).to_have_text(colleague.name)
    assert page.problems == []


def test_people_load_as_one_scrolls_and_a_colleagues_chat_mutes(server, people):
    me = register(server, "scroll")
    others = [register(server, "many") for _ in range(32)]
    page = watch_console(people.open(me))
    page.get_by_role("tab", name="People").click()
    status = page.locator("#dir-status")
    expect(status).to_contain_text("people")
    total = int(status.inner_text().split()[0])
    assert total >= len(others)
    rows = page.locator("#dir-list li[data-user-id]")
    expect(rows).to_have_count(30)  # a page
    # Scrolling to the end brings the rest, page after page.
    while rows.count() < total:
        before = rows.count()
        page.locator("#tab-people").evaluate("(box) => { box.scrollTop = box.scrollHeight; }")
        expect(rows).not_to_have_count(before)
    expect(rows).to_have_count(total)
    expect(page.locator("#dir-more")).to_be_hidden()
    # A colleague's chat has the header's Mute too (the server keeps it: /contact/mute).
    colleague = others[0]
    page.get_by_role("searchbox", name="Search people").fill(colleague.name)
    page.get_by_role("button", name=f"Message {colleague.name}").click()
    expect(page.locator("#conv-title")).to_have_text(colleague.name)
    page.locator("#mute-btn").click()
    expect(page.locator("#toast")).to_contain_text("muted on all your devices")
    expect(page.locator("#mute-btn")).to_have_attribute("aria-pressed", "true")
    assert page.problems == []
