"""Issue 15 in the browser, two people: finding people and groups from the
search box (issue 27: "Chat" for a colleague, the New menu from the empty pane), display names with
the @handle, adding someone telling them at once (instantly, or as a request
with FRIEND_ADD=request); desktop notifications only after a click, the
sound, a mute that follows the user to their other devices, the unread count
on the favicon; the Me tab as settings views with confirmed destructive
actions, status lines that clear themselves and styled file inputs. At
desktop and phone sizes, with no page or console error."""

import re
import shutil
import tempfile

import pytest

from e2e_support import ServerProcess, confirm, login, open_settings, png_bytes, register, screenshot, unique_name
from playwright_compat import expect

# The browser's Notification and visibility, doubled so a test can see what a
# person would: notifications shown, permission asked, the tab hidden.
ALERTS_DOUBLE = """
(() => {
  const notes = [];
  let permission = 'default';
  let asked = 0;
  let beeps = 0;
  class FakeNotification {
    constructor(title, options) { notes.push({ title, body: (options || {}).body, tag: (options || {}).tag }); }
    close() {}
    static get permission() { return permission; }
    static requestPermission() { asked += 1; permission = 'granted'; return Promise.resolve('granted'); }
  }
  window.Notification = FakeNotification;
  const Real = window.AudioContext;
  if (Real) {
    const create = Real.prototype.createOscillator;
    Real.prototype.createOscillator = function () { beeps += 1; return create.call(this); };
  }
  let hidden = false;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get() { return hidden; } });
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true, get() { return hidden ? 'hidden' : 'visible'; } });
  window.__alerts = { notes, asked: () => asked, beeps: () => beeps };
  window.__setHidden = (on) => { hidden = on; document.dispatchEvent(new Event('visibilitychange')); };
})();
"""

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 700}


def watch_console(page):
    """Console errors join the page's problems; the browser's own probe for
    /favicon.ico is not the page's (the static favicon is another change's)."""

    def seen(msg):
        if msg.type == "error" and not (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            page.problems.append(f"console: {msg.text} {(msg.location or {}).get('url', '')}")

    page.on("console", seen)
    return page


def notes_come(page, count):
    """Wait until ``count`` notifications were shown (the page's CSP forbids
    wait_for_function's string evaluation)."""
    for _ in range(150):
        if page.evaluate("window.__alerts.notes.length") >= count:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.__alerts.notes.length") == count


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter((n) => n.getBoundingClientRect().right > innerWidth + 1)"
        ".slice(0, 8).map((n) => `${n.tagName}#${n.id}.${n.className} ${Math.round(n.getBoundingClientRect().right)}`)"
    )
    assert width <= page.viewport_size["width"], f"the page is {width}px wide: {wide}"


def set_display_name(user, shown):
    r = user.post("/user/updateUser", displayName=shown)
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def request_server():
    """A server where adding a friend sends a request (FRIEND_ADD=request)."""
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-people-")
    proc = ServerProcess(workdir)
    proc.env["GINCHAT_FRIEND_ADD"] = "request"
    proc.start()
    yield proc
    proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("size", [None, PHONE, NARROW], ids=["desktop", "phone", "narrow"])
def test_find_someone_start_a_chat_and_join_a_group(server, people, size):
    ana, bob, owner = register(server, "ana"), register(server, "bob"), register(server, "own")
    set_display_name(ana, "Ana Lima")
    set_display_name(bob, "Bob Builder of Very Long Display Names That Go On")
    group_name = unique_name("Club")
    r = owner.post("/contact/createCommunity", name=group_name, policy="open")
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    options = {"viewport": size} if size else {}
    pa = watch_console(people.open(ana, **options))
    pb = watch_console(people.open(bob, **options))

    # The empty pane offers a way to start: the New menu (tests/e2e/test_team_app.py).
    if size is None:
        expect(pa.locator("#conv-empty")).to_contain_text("start a new one")
        pa.locator("#empty-new-chat").click()
        expect(pa.get_by_role("menuitem", name="Message a person")).to_be_focused()
        pa.keyboard.press("Escape")
    pa.get_by_role("searchbox", name="Find people and groups").fill(" ")
    expect(pa.locator("#people-status")).to_contain_text("Type the start of a name")

    # Typing finds Bob by his handle; his display name shows with the @handle.
    pa.get_by_role("searchbox", name="Find people and groups").fill(bob.name[:-1])
    row = pa.locator("#people-found li", has_text=f"@{bob.name}")
    expect(row).to_be_visible()
    expect(row.locator(".name")).to_have_text("Bob Builder of Very Long Display Names That Go On")
    if size:
        no_sideways_scroll(pa)
    # A colleague (DIRECT_MESSAGES=members): "Chat" opens the conversation in one click.
    row.get_by_role("button", name=re.compile("^Chat ")).click()
    expect(pa).to_have_url(re.compile(f"#u{bob.id}$"))
    expect(pa.locator("#conv-title")).to_have_text("Bob Builder of Very Long Display Names That Go On")
    expect(pa.locator("#conv-sub")).to_contain_text(f"@{bob.name}")
    box = pa.get_by_role("textbox", name="Message")
    box.fill("found you")
    box.press("Enter")
    pb.get_by_role("tab", name="Chats").click()
    pb.locator(f'#chat-list a[href="#u{ana.id}"]').click()
    expect(pb.locator("#messages .msg", has_text="found you")).to_be_visible()
    expect(pb.locator("#conv-title")).to_have_text("Ana Lima")
    if size:
        no_sideways_scroll(pb)

    # A search by display name finds her: "Chat" opens the conversation.
    if size:
        pb.locator("#back").click()
    pb.get_by_role("searchbox", name="Find people and groups").fill("ana l")
    pb.locator("#people-found li", has_text=f"@{ana.name}").get_by_role("button", name=re.compile("^Chat ")).click()
    expect(pb).to_have_url(re.compile(f"#u{ana.id}$"))

    # Groups one may join show too: Join opens the group.
    if size:
        pa.locator("#back").click()
    pa.get_by_role("searchbox", name="Find people and groups").fill(group_name.lower())
    found = pa.locator("#groups-found li", has_text=group_name)
    expect(found).to_contain_text("1 member")
    found.get_by_role("button", name=f"Join {group_name}").click()
    expect(pa).to_have_url(re.compile(f"#g{gid}$"))
    expect(pa.locator("#conv-title")).to_have_text(group_name)
    screenshot(pa, f"people-search-{'desktop' if size is None else size['width']}")
    if size:
        no_sideways_scroll(pa)
    assert pa.problems == [] and pb.problems == []


def test_a_request_reaches_them_at_once(request_server, browser):
    ana, bob = register(request_server, "ana"), register(request_server, "bob")
    set_display_name(ana, "Ana Asks")
    pages = []
    for user in (ana, bob):
        ctx = browser.new_context(viewport={"width": 1200, "height": 800}, base_url=request_server.url)
        page = ctx.new_page()
        page.problems = []
        page.on("pageerror", lambda exc, page=page: page.problems.append(f"page error: {exc}"))
        watch_console(page)
        login(page, user.name)
        pages.append(page)
    pa, pb = pages
    try:
        # A colleague's chat opens in one click; its header asks for the friendship.
        pa.get_by_role("searchbox", name="Find people and groups").fill(bob.name)
        pa.locator("#people-found li", has_text=f"@{bob.name}").get_by_role("button", name=re.compile("^Chat ")).click()
        pa.get_by_role("button", name="Add friend").click()
        expect(pa.locator("#toast")).to_contain_text("Friend request sent")
        # Bob hears it live and finds the request under Me › Friends and requests.
        expect(pb.locator("#toast")).to_contain_text("Ana Asks wants to be your friend")
        open_settings(pb, "requests")  # a shortcut to Contacts
        expect(pb.locator("#request-list")).to_contain_text(f"Ana Asks (@{ana.name}) asks to be your friend")
        # Declining is confirmed first: Cancel keeps the request.
        pb.get_by_role("button", name=f"Decline Ana Asks (@{ana.name})").click()
        confirm(pb, "Cancel")
        expect(pb.locator("#request-list")).to_contain_text("asks to be your friend")
        pb.get_by_role("button", name=f"Accept Ana Asks (@{ana.name})").click()
        pb.get_by_role("tab", name="Chats").click()
        expect(pb.locator(f'#chat-list a[href="#u{ana.id}"]')).to_contain_text("Ana Asks")
        assert pa.problems == [] and pb.problems == []
    finally:
        for page in pages:
            page.context.close()


def test_notifications_sound_mute_and_the_favicon(server, people):
    ana, bob = register(server, "ana"), register(server, "bob")
    set_display_name(ana, "Ana Alerts")
    r = ana.post("/contact/addfriend", targetId=bob.id)
    assert r.status_code == 200, r.text
    pb = people.context()
    pb.add_init_script(ALERTS_DOUBLE)
    watch_console(pb)
    login(pb, bob.name)
    other_device = watch_console(people.open(bob))

    # Nothing is asked on load; the permission is asked on a click.
    assert pb.evaluate("window.__alerts.asked()") == 0
    open_settings(pb, "notifications")
    expect(pb.locator("#notify-state")).to_contain_text("off")
    pb.get_by_role("button", name="Enable notifications").click()
    expect(pb.locator("#notify-state")).to_contain_text("on while this tab is hidden")
    assert pb.evaluate("window.__alerts.asked()") == 1
    pb.get_by_label("Play a sound for new messages").check()
    beeps = pb.evaluate("window.__alerts.beeps()")

    # With the tab hidden, a message from Ana is a notification, a beep and a
    # count on the favicon and in the title.
    pb.evaluate("window.__setHidden(true)")
    ana.send([{"Type": 1, "TargetId": bob.id, "Media": 1, "Content": "ping one", "ClientMsgId": "n-1"}])
    notes_come(pb, 1)
    note = pb.evaluate("window.__alerts.notes[0]")
    assert note["title"] == "Ana Alerts" and note["body"] == "ping one" and note["tag"] == f"u{ana.id}"
    assert pb.evaluate("window.__alerts.beeps()") > beeps
    icon = pb.locator('link[rel~="icon"]')
    expect(icon).to_have_attribute("data-count", "1")
    expect(icon).to_have_attribute("href", re.compile("^data:image/png;base64,"))
    expect(pb).to_have_title(re.compile(r"^\(1\) "))

    # Muted in the conversation's header: quiet here, marked on the other device too.
    pb.evaluate("window.__setHidden(false)")
    pb.get_by_role("tab", name="Chats").click()
    pb.locator(f'#chat-list a[href="#u{ana.id}"]').click()
    expect(icon).not_to_have_attribute("data-count", "1")
    pb.get_by_role("button", name="Mute").click()
    expect(pb.locator("#mute-btn")).to_have_attribute("aria-pressed", "true")
    expect(pb.locator(f'#chat-list a[href="#u{ana.id}"] .muted-mark')).to_be_visible()
    expect(other_device.locator(f'#chat-list a[href="#u{ana.id}"] .muted-mark')).to_be_visible()
    pb.evaluate("window.__setHidden(true)")
    ana.send([{"Type": 1, "TargetId": bob.id, "Media": 1, "Content": "ping two", "ClientMsgId": "n-2"}])
    expect(icon).to_have_attribute("data-count", "1")  # still counted as unread
    assert pb.evaluate("window.__alerts.notes.length") == 1, "a muted conversation makes no notification"

    # Unmuted from the other device: alerts come back here.
    other_device.locator(f'#chat-list a[href="#u{ana.id}"]').click()
    other_device.get_by_role("button", name="Unmute").click()
    expect(pb.locator(f'#chat-list a[href="#u{ana.id}"] .muted-mark')).to_have_count(0)
    ana.send([{"Type": 1, "TargetId": bob.id, "Media": 1, "Content": "ping three", "ClientMsgId": "n-3"}])
    notes_come(pb, 2)
    assert pb.problems == [] and other_device.problems == []


def test_a_mention_alerts_even_in_a_muted_group(server, people):
    ana, bob = register(server, "ana"), register(server, "bob")
    gid = ana.post("/contact/createCommunity", name=unique_name("quiet")).json()["Data"]["ID"]
    assert bob.post("/contact/joinGroup", comId=gid).status_code == 200
    assert bob.post("/contact/mute", type=2, targetId=gid, muted="true").status_code == 200
    pb = people.context()
    pb.add_init_script(ALERTS_DOUBLE)
    watch_console(pb)
    login(pb, bob.name)
    open_settings(pb, "notifications")
    pb.get_by_role("button", name="Enable notifications").click()
    expect(pb.locator("#notify-state")).to_contain_text("on while this tab is hidden")
    pb.evaluate("window.__setHidden(true)")
    # The muted group's chatter makes no notification; a mention of Bob does.
    ana.send([{"Type": 2, "TargetId": gid, "Media": 1, "Content": "chatter", "ClientMsgId": "m-1"}])
    ana.send([{"Type": 2, "TargetId": gid, "Media": 1, "Content": f"@{bob.name} look", "ClientMsgId": "m-2"}])
    notes_come(pb, 1)
    assert pb.evaluate("window.__alerts.notes[0].body") == f"@{bob.name} look"
    assert pb.problems == []


@pytest.mark.parametrize("size", [None, PHONE], ids=["desktop", "phone"])
def test_the_me_tab_is_settings_views(server, people, tmp_path, size):
    me, friend = register(server, "me"), register(server, "fr")
    r = me.post("/contact/addfriend", targetId=friend.id)
    assert r.status_code == 200, r.text
    page = watch_console(people.open(me, **({"viewport": size} if size else {})))
    page.get_by_role("tab", name="Me").click()
    nav = page.locator("#settings-nav")
    # seven views (Language, issue 26) and the link to the trust page (issue 25)
    expect(nav.locator(".settings-item")).to_have_count(8)
    expect(nav.locator("a.settings-item")).to_have_attribute("href", "/trust")
    expect(page.locator("#profile-form")).to_be_hidden()
    expect(page.locator("#sessions-box")).to_be_hidden()
    expect(page.locator("#profile-form")).to_be_hidden()

    # Profile: a display name, a picture through a styled chooser; the status clears itself.
    open_settings(page, "profile")
    expect(page.locator("#profile-form label.file-button")).to_have_text("Choose a picture")
    expect(page.locator("#profile-form .file-name")).to_have_text("No file chosen")
    face = tmp_path / "face.png"
    face.write_bytes(png_bytes((64, 64)))
    page.get_by_label("Avatar").set_input_files(str(face))
    expect(page.locator("#profile-form .file-name")).to_have_text("face.png")
    page.get_by_label("Shown as").fill("Me Myself")
    page.get_by_role("button", name="Save profile").click()
    status = page.locator("#profile-form .form-status")
    expect(status).to_have_text("Profile saved.")
    expect(page.locator("#me")).to_have_text("Me Myself")
    expect(status).to_have_text("", timeout=12_000)
    if size:
        no_sideways_scroll(page)
    page.locator(".settings-view:not([hidden]) .back-to-settings").click()
    expect(nav).to_be_visible()

    # Destructive actions are red and confirmed in a dialog: Cancel does nothing.
    page.get_by_role("tab", name="Chats").click()
    page.locator(f'#chat-list a[href="#u{friend.id}"]').click()
    if size:  # at phone width the header's actions sit behind ⋮
        page.get_by_role("button", name="Conversation actions").click()
    page.get_by_role("button", name="Block", exact=True).click()
    dialog = page.locator("dialog.confirm-dialog[open]")
    expect(dialog).to_contain_text(f"Block {friend.name}?")
    expect(dialog.get_by_role("button", name="Block")).to_have_class("danger")
    confirm(page, "Cancel")
    expect(dialog).to_have_count(0)
    if size and not page.get_by_role("button", name="Block", exact=True).is_visible():
        page.get_by_role("button", name="Conversation actions").click()
    page.get_by_role("button", name="Block", exact=True).click()
    confirm(page, "Block")
    open_settings(page, "blocked")
    expect(page.locator("#blocked-list")).to_contain_text(friend.name)
    screenshot(page, f"settings-blocked-{'desktop' if size is None else size['width']}")
    if size:
        no_sideways_scroll(page)
    assert page.problems == []
