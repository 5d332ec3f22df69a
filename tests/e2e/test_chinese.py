"""The Chinese interface (issue 26 items 2 and 5): a zh-CN browser gets
Chinese in every view of the pages and the app, an en-US one no Chinese at
all; the Me tab's Language setting switches and survives a reload; Enter
during an input method's composition never sends."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from test_admin_page import make_admin

from e2e_support import PASSWORD, befriend, register, screenshot

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# Words that stay as they are in Chinese: the product, formats and protocols
# named in a sentence, keys, units, the language menu's own name for English.
KEEP = {
    "GinChat", "ID", "API", "JavaScript", "Redis", "MediaRecorder", "https", "HTTPS", "localhost", "Esc", "PNG", "JPEG",
    "GIF", "WebP", "MiB", "English", "KB", "MB",
    # the mention words one types, in Chinese too: "@all 和 @here" (issue 28)
    "all", "here",
}  # fmt: skip

# What the page shows of its text, its visible elements' placeholders, labels,
# titles and alt texts, the options of its visible lists, and its title;
# nothing inside ``skip`` (data, not interface: host names, user content).
VISIBLE_TEXT = """(skip) => {
  const skipped = (node) => skip.some((sel) => node.closest(sel));
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || !node.textContent.trim() || parent.closest('script, style, noscript')) continue;
    if (!parent.checkVisibility() || skipped(parent)) continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    if (!el.checkVisibility() || skipped(el)) continue;
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
      if (el.getAttribute(attr)) out.push(el.getAttribute(attr));
    }
  }
  for (const option of document.querySelectorAll('select option')) {
    if (option.parentElement.checkVisibility() && !skipped(option)) out.push(option.textContent);
  }
  return out;
}"""

# The admin page's server view and audit log hold the server's own words
# (hosts, database URLs, audit details), the message bubbles user content.
# The lists show the people and groups of the whole server (other tests' too).
DATA = [
    ".msg .text", ".quote-text", ".preview", ".mention-text", "#announcer", ".hit .body", "#nodes tbody",
    "#audit td:nth-child(5)", "#people td:nth-child(2)", "#groups td:nth-child(2)", "#groups td:nth-child(3)",
    # the other accounts of the shared server, by their names (issue 27: People, the member picker)
    "#dir-list .name", "#dir-list .meta", "#group-members-options .name", "#group-members-options .meta",
    # the admin page's default groups, by their names, and each group's Default
    # checkbox, labelled with its name (issue 27)
    "#default-groups", "#groups td:nth-child(6)",
]  # fmt: skip


def english_left(page, names, skip=()):
    """The English words of the page that are not names, user content or KEEP."""
    texts = page.evaluate(VISIBLE_TEXT, list(skip) + DATA)
    found = set()
    for text in texts:
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, " ")
        found |= {w for w in WORD.findall(text) if w not in KEEP}
    return found


def chinese_in(page, skip=(), content=()):
    """The page's texts with Chinese in them once ``content`` is taken out."""
    texts = page.evaluate(VISIBLE_TEXT, list(skip))
    for piece in sorted(content, key=len, reverse=True):
        texts = [t.replace(piece, " ") for t in texts]
    return [t for t in texts if CJK.search(t)]


def log_in(page, name):
    """The login form, whatever its language."""
    page.goto("/")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_url("**/toChat**")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")


NOTICE = "本周五下午发版，请提前合并代码"  # the group notice of the scene (issue 28)
CONTENT = ("你好 42", "大家好", "你好", NOTICE)  # the messages and notice of the scene, and the search for one


def scene(server, prefix):
    """Me (an administrator) with a friend who wrote to me, a group of us with
    a message, a pending friend request and a blocked person."""
    me, friend, asker, pest = (register(server, f"{prefix}{x}") for x in ("me", "fr", "ask", "pest"))
    make_admin(server, me.name)
    befriend(me, friend)
    r = me.post("/contact/createCommunity", name=f"room{uuid.uuid4().hex[:6]}", policy="invite")
    assert r.status_code in (200, 201), r.text
    group = r.json()["Data"]
    assert me.post("/contact/addMember", comId=group["ID"], userId=friend.id).status_code == 200
    assert me.post("/admin/registration", registration="open").status_code == 200
    friend.send([{"Type": 1, "TargetId": me.id, "Media": 1, "Content": CONTENT[0], "ClientMsgId": uuid.uuid4().hex}])
    said = friend.send(
        [{"Type": 2, "TargetId": group["ID"], "Media": 1, "Content": CONTENT[1], "ClientMsgId": uuid.uuid4().hex}]
    )[0]
    # Issue 28: the friend, an admin, pins it and sets a notice (New to me).
    assert me.post("/contact/setAdmin", comId=group["ID"], userId=friend.id, admin="true").status_code == 200
    assert friend.post("/message/pin", id=said["Id"]).status_code == 200
    assert friend.post("/contact/setNotice", comId=group["ID"], notice=NOTICE).status_code == 200
    # A friend request waits for me (FRIEND_ADD=instant befriends at once: then it is a friend).
    asker.post("/contact/requestFriend", targetId=me.id)
    assert me.post("/contact/block", targetId=pest.id).status_code == 200
    names = {me.name, friend.name, asker.name, pest.name, group["Name"]}
    return me, friend, group, names


def walk(page, me, friend, group, check, connected):
    """Every view of the pages and the app, ``check(where)`` in each."""
    page.goto("/")
    check("login")
    page.goto("/toRegister")
    check("register")
    log_in(page, me.name)
    expect(page.locator("#conn-text")).to_have_text(connected)
    check("chats")
    page.get_by_role("tab").nth(1).click()  # Threads (issue 28)
    expect(page.locator("#thread-list li").first).to_be_visible()
    check("threads")
    page.get_by_role("tab").nth(2).click()  # People (issue 27)
    expect(page.locator("#dir-list li").first).to_be_visible()
    # Narrowed to the friend: the buttons' labels name the people of the rows.
    page.locator("#dir-q").fill(friend.name)
    expect(page.locator("#dir-list li")).to_have_count(1)
    check("people")
    page.get_by_role("tab").nth(3).click()  # Contacts
    check("contacts")
    page.get_by_role("tab").nth(4).click()  # Groups
    page.locator("#group-name").focus()  # the member picker's first page
    expect(page.locator("#group-members-options li").first).to_be_visible()
    check("groups")
    page.get_by_role("tab").nth(5).click()  # Me
    check("me")
    for view in ("profile", "notifications", "language", "sessions"):
        page.locator(f'.settings-item[data-open="{view}"]').click()
        check(f"me/{view}")
        page.locator(".settings-view:not([hidden]) .back-to-settings").click()
    page.goto(f"/toChat#u{friend.id}")
    expect(page.locator("#messages .msg").first).to_be_visible()
    check("private conversation")
    page.locator("#messages .msg").first.hover()
    page.locator("#messages .msg").first.locator(".msg-menu-btn").click()
    check("message menu")
    page.keyboard.press("Escape")
    page.locator("#block-btn").click()
    expect(page.locator("dialog.confirm-dialog[open]")).to_be_visible()
    check("a confirmation dialog")
    page.locator("dialog.confirm-dialog[open] button.secondary").click()
    page.locator("#mentions-btn").click()
    expect(page.locator("#mentions-view .mention-list li").first).to_be_visible()
    check("mentions")
    page.keyboard.press("Escape")
    page.goto(f"/toChat#g{group['ID']}")
    expect(page.locator("#messages .msg").first).to_be_visible()
    page.locator("#members-btn").click()
    expect(page.locator("#member-list li").first).to_be_visible()
    check("group conversation and members")
    # Issue 28: the notice above the messages (New), the pinned list, the pin mark.
    expect(page.locator("#group-notice-new")).to_be_visible()
    expect(page.locator("#messages .msg .pin-mark")).to_have_count(1)
    check("group notice")
    page.locator("#pins-btn").click()
    expect(page.locator("#pins-panel .pin-item")).to_have_count(1)
    check("pinned messages")
    page.locator("#pins-btn").click()
    page.locator("#search-input").fill(CONTENT[2])
    page.locator("#search-input").press("Enter")
    expect(page.locator("#search-list .hit").first).to_be_visible()
    check("message search")
    page.locator("#search-close").click()
    page.locator("#new-chat-btn").click()
    expect(page.locator("#new-menu")).to_be_visible()
    check("new menu")
    page.keyboard.press("Escape")
    page.locator("#people-q").fill(friend.name)
    expect(page.locator("#people-found li").first).to_be_visible()
    check("people search")
    page.goto("/toAdmin")
    expect(page.locator("#people tbody tr").first).to_be_visible()
    expect(page.locator("#nodes tbody tr").first).to_be_visible()
    check("admin page")


def test_a_chinese_browser_gets_chinese_in_every_view(server, browser):
    me, friend, group, names = scene(server, "zh")
    ctx = browser.new_context(locale="zh-CN", base_url=server.url, viewport={"width": 1200, "height": 800})
    try:
        page = ctx.new_page()
        problems = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        leftovers = {}

        def check(where):
            assert page.evaluate("document.documentElement.lang") == "zh-CN", where
            assert chinese_in(page, skip=DATA, content=CONTENT), where  # not empty: Chinese
            found = english_left(page, names | {"@" + n for n in names})
            if found:
                leftovers[where] = sorted(found)

        walk(page, me, friend, group, check, connected="已连接")
        page.goto(f"/toChat#u{friend.id}")
        expect(page.locator("#messages .msg").first).to_be_visible()
        expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
        screenshot(page, "chinese-app")
        assert not leftovers, f"English left in the Chinese interface: {leftovers}"
        assert not problems, problems
    finally:
        ctx.close()


def test_an_english_browser_gets_no_chinese(server, browser):
    me, friend, group, names = scene(server, "en")
    ctx = browser.new_context(locale="en-US", base_url=server.url, viewport={"width": 1200, "height": 800})
    try:
        page = ctx.new_page()
        found = {}

        def check(where):
            assert page.evaluate("document.documentElement.lang") == "en", where
            # The messages are in Chinese (user content); the language menu
            # names each language in itself.
            chinese = chinese_in(page, skip=[*DATA, "#language-select"], content=CONTENT)
            if chinese:
                found[where] = chinese

        walk(page, me, friend, group, check, connected="Connected")
        assert not found, f"Chinese in the English interface: {found}"
    finally:
        ctx.close()


def test_the_language_setting_switches_and_persists(server, browser):
    me = register(server, "lang")
    ctx = browser.new_context(locale="zh-CN", base_url=server.url)
    try:
        page = ctx.new_page()
        log_in(page, me.name)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        page.get_by_role("tab", name="我").click()
        page.locator('.settings-item[data-open="language"]').click()
        select = page.locator("#language-select")
        expect(select).to_have_value("")  # follows the browser
        with page.expect_navigation():
            select.select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("tab", name="Chats")).to_be_visible()
        expect(page.locator("#conn-text")).to_have_text("Connected")
        page.reload()  # kept on the server, for this browser and every other
        expect(page.get_by_role("tab", name="Chats")).to_be_visible()
        other = browser.new_context(locale="zh-CN", base_url=server.url)
        try:
            second = other.new_page()
            log_in(second, me.name)
            assert second.evaluate("document.documentElement.lang") == "en"
        finally:
            other.close()
        page.get_by_role("tab", name="Me").click()
        page.locator('.settings-item[data-open="language"]').click()
        expect(page.locator("#language-select")).to_have_value("en")
        with page.expect_navigation():
            page.locator("#language-select").select_option("")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.get_by_role("tab", name="消息")).to_be_visible()
    finally:
        ctx.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_enter_while_composing_never_sends(server, browser, locale):
    """An input method's Enter picks a candidate (isComposing, or keyCode 229
    as Safari reports it): the text stays in the composer, nothing is sent;
    a plain Enter afterwards sends it."""
    me, friend = register(server, "ime"), register(server, "imefr")
    befriend(me, friend)
    ctx = browser.new_context(locale=locale, base_url=server.url)
    try:
        page = ctx.new_page()
        log_in(page, me.name)
        page.goto(f"/toChat#u{friend.id}")
        box = page.locator("#msg-input")
        box.fill("ni hao")
        for init in ({"isComposing": True, "keyCode": 229}, {"isComposing": True}, {"keyCode": 229}):
            sent = page.evaluate(
                """(init) => {
                  const box = document.getElementById('msg-input');
                  const ev = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init });
                  return box.dispatchEvent(ev);
                }""",
                init,
            )
            assert sent is True, init  # not prevented: the input method keeps its Enter
            assert box.input_value() == "ni hao", init  # a send empties the composer at once
        box.press("Enter")  # the first send: one bubble, so none came before
        expect(page.locator("#messages .msg")).to_have_count(1)
        expect(page.locator("#messages .msg .text")).to_have_text("ni hao")
        # The same in the editor of a sent message: composing Enters keep it open.
        bubble = page.locator("#messages .msg").first
        bubble.locator(".ticks[data-state]").wait_for()
        bubble.hover()
        bubble.locator(".msg-menu-btn").click()
        page.locator('.msg-menu [data-action="edit"]').click()
        editor = bubble.locator("textarea.edit-input")
        editor.fill("ni hao ma")
        kept = editor.evaluate(
            """(area) => area.dispatchEvent(new KeyboardEvent('keydown',
                 { key: 'Enter', bubbles: true, cancelable: true, isComposing: true, keyCode: 229 }))"""
        )
        assert kept is True  # the editor's Enter prevents the default only to save
        expect(editor).to_be_visible()
        editor.press("Enter")
        expect(bubble.locator(".text")).to_have_text("ni hao ma")
        expect(box).to_have_value("")
    finally:
        ctx.close()
