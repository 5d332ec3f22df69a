"""Pins, saved messages and announcement groups in Chromium (issue 28): two
people in a group. A pin made from one's message menu shows on the other's
screen (📌 and the header's Pinned list) and an unpin from the list takes it
away; a message saved on one device appears in the Saved list of the same
person's other device, which opens it; the owner makes the group read-only
(the member's composer gives way to a notice) and sets a group notice, which
the member sees at the top, marked New until read; all of it fits a phone."""

from e2e_support import open_message_menu, register, screenshot, unique_name
from playwright_compat import expect


def message(page, text):
    return page.locator("#messages .msg", has_text=text)


def menu(page, row, action):
    open_message_menu(row).get_by_role("menuitem", name=action, exact=True).click()


def group_of(owner, *members):
    r = owner.post("/contact/createCommunity", name=unique_name("crew"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    for member in members:
        assert member.post("/contact/joinGroup", comId=gid).status_code == 200
    return gid


def open_group(page, gid):
    page.locator(f'#chat-list a[href="#g{gid}"]').click()


def test_pin_and_save_between_two_people(server, people):
    ann, ben = register(server, "ann"), register(server, "ben")
    gid = group_of(ann, ben)
    ann.send([{"Type": 2, "TargetId": gid, "Content": "the release plan", "ClientMsgId": "p-1"}])
    ann.send([{"Type": 2, "TargetId": gid, "Content": "small talk", "ClientMsgId": "p-2"}])
    pa, pb = people.open(ann), people.open(ben)
    for page in (pa, pb):
        open_group(page, gid)
        expect(message(page, "small talk")).to_have_count(1)
        expect(page.locator("#pins-btn")).to_have_text("Pinned")

    # Ben pins Ann's message from its menu: both see the mark and the count.
    menu(pb, message(pb, "the release plan"), "Pin")
    for page in (pa, pb):
        expect(message(page, "the release plan").locator(".pin-mark")).to_have_count(1)
        expect(page.locator("#pins-btn")).to_have_text("Pinned (1)")
    expect(message(pa, "small talk").locator(".pin-mark")).to_have_count(0)
    pa.locator("#pins-btn").click()
    panel = pa.locator("#pins-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".pin-item")).to_have_count(1)
    expect(panel.locator(".pin-item")).to_contain_text("the release plan")
    screenshot(pa, "pinned-list")
    # Ann unpins it from the list: gone on both screens.
    panel.get_by_role("button", name="Unpin: the release plan").click()
    for page in (pa, pb):
        expect(message(page, "the release plan").locator(".pin-mark")).to_have_count(0)
        expect(page.locator("#pins-btn")).to_have_text("Pinned")
    expect(panel.locator(".empty")).to_have_text("No pinned messages.")

    # Ben saves it on one device; his other device's Saved list shows it at once.
    other = people.open(ben)
    other.get_by_role("tab", name="Me").click()
    other.locator("#saved-box summary").click()
    expect(other.locator("#saved-list .empty")).to_be_visible()
    menu(pb, message(pb, "the release plan"), "Save message")
    saved = other.locator("#saved-list .saved-item")
    expect(saved).to_have_count(1)
    expect(saved).to_contain_text("the release plan")
    expect(other.locator("#saved-count")).to_have_text("1")
    # The menu now offers Unsave; Ann's Saved list stays empty.
    expect(open_message_menu(message(pb, "the release plan")).get_by_role("menuitem", name="Unsave")).to_have_count(1)
    pb.keyboard.press("Escape")
    pa.get_by_role("tab", name="Me").click()
    pa.locator("#saved-box summary").click()
    expect(pa.locator("#saved-list .empty")).to_be_visible()
    # Opening it from the list goes to the message.
    saved.locator(".saved-open").click()
    expect(message(other, "the release plan")).to_be_in_viewport()
    # Unsaving on the first device empties the second's list.
    other.get_by_role("tab", name="Me").click()
    menu(pb, message(pb, "the release plan"), "Unsave")
    expect(other.locator("#saved-list .saved-item")).to_have_count(0)
    expect(other.locator("#saved-count")).to_have_text("0")
    assert pa.problems == [] and pb.problems == [] and other.problems == []


def test_announcement_group_and_notice(server, people):
    ann, ben = register(server, "own"), register(server, "mem")
    gid = group_of(ann, ben)
    pa, pb = people.open(ann), people.open(ben)
    for page in (pa, pb):
        open_group(page, gid)
    expect(pb.get_by_role("textbox", name="Message")).to_be_visible()

    # The owner makes the group read-only from the group panel.
    pa.get_by_role("button", name="Members").click()
    settings = pa.locator("#group-settings")
    settings.get_by_label("Who may send messages").select_option("admins")
    settings.get_by_role("button", name="Save settings").click()
    expect(settings.locator(".form-status")).to_have_text("Settings saved.")
    expect(pb.locator("#composer-readonly")).to_be_visible()
    expect(pb.locator("#composer-readonly")).to_have_text("Only the owner and admins can send messages in this group.")
    expect(pb.get_by_role("textbox", name="Message")).to_be_hidden()
    expect(pa.get_by_role("textbox", name="Message")).to_be_visible()  # the owner still writes
    pa.get_by_role("textbox", name="Message").fill("announcement: ship on Friday")
    pa.get_by_role("textbox", name="Message").press("Enter")
    expect(message(pb, "announcement: ship on Friday")).to_have_count(1)

    # The owner sets the notice; the member sees it on top, marked New, and in the Chats list.
    form = pa.locator("#group-notice-form")
    expect(form).to_be_visible()
    form.get_by_label("Shown to every member at the top of the group").fill("周五下午发版，请提前合并代码")
    form.get_by_role("button", name="Save notice").click()
    expect(form.locator(".form-status")).to_have_text("Notice saved.")
    banner = pb.locator("#group-notice")
    expect(banner).to_be_visible()
    expect(banner.locator("#group-notice-text")).to_have_text("周五下午发版，请提前合并代码")
    expect(banner.locator("#group-notice-new")).to_be_visible()
    expect(pb.locator(f'#chat-list li[data-conv="g{gid}"] .notice-mark')).to_have_count(1)
    screenshot(pb, "group-notice-read-only")
    banner.get_by_role("button", name="Got it").click()
    expect(banner.locator("#group-notice-new")).to_be_hidden()
    expect(pb.locator(f'#chat-list li[data-conv="g{gid}"] .notice-mark')).to_have_count(0)
    # The owner's own notice is not news to her.
    expect(pa.locator("#group-notice-new")).to_be_hidden()

    # Opened again: the member writes again.
    settings.get_by_label("Who may send messages").select_option("members")
    settings.get_by_role("button", name="Save settings").click()
    expect(pb.get_by_role("textbox", name="Message")).to_be_visible()
    expect(pb.locator("#composer-readonly")).to_be_hidden()
    assert pa.problems == [] and pb.problems == []


def test_a_setting_chosen_but_not_saved_survives_a_refresh(server, people):
    """The owner picks "admins" in the panel; before she saves, someone joins
    (the group's notice redraws her lists and the panel). Her choice stays
    and is what Save sends: it used to be reset to the stored value, so the
    group silently stayed writable (and the announcement test failed when
    the owner's own list refresh landed between her choice and her click)."""
    ann, ben, cid = register(server, "own"), register(server, "mem"), register(server, "new")
    gid = group_of(ann, ben)
    pa, pb = people.open(ann), people.open(ben)
    for page in (pa, pb):
        open_group(page, gid)
    pa.get_by_role("button", name="Members").click()
    settings = pa.locator("#group-settings")
    expect(settings.get_by_label("Who may send messages")).to_have_value("members")
    expect(pa.locator("#member-list li")).to_have_count(2)
    settings.get_by_label("Who may send messages").select_option("admins")
    settings.get_by_label("Who may pin messages").select_option("admins")
    with pa.expect_response("**/contact/loadcommunity"):
        assert cid.post("/contact/joinGroup", comId=gid).status_code == 200
    expect(pa.locator("#member-list li")).to_have_count(3)  # the panel was redrawn
    expect(settings.get_by_label("Who may send messages")).to_have_value("admins")
    expect(settings.get_by_label("Who may pin messages")).to_have_value("admins")
    settings.get_by_role("button", name="Save settings").click()
    expect(settings.locator(".form-status")).to_have_text("Settings saved.")
    expect(pb.locator("#composer-readonly")).to_be_visible()
    # Saved, the fields follow the group again: a change made elsewhere shows.
    assert ann.post("/contact/updateGroup", comId=gid, whoMayPin="members").status_code == 200
    expect(settings.get_by_label("Who may pin messages")).to_have_value("members")
    expect(settings.get_by_label("Who may send messages")).to_have_value("admins")
    assert pa.problems == [] and pb.problems == []


def test_an_admin_makes_the_group_read_only_from_the_panel(server, people):
    """Group admins choose who may write, pin and use @all (issue 28): the
    panel offers an admin those three, not the owner's (who joins, what
    newcomers read, who adds), and not "Nobody" for @all, which binds the owner."""
    own, adm, mem = register(server, "own"), register(server, "adm"), register(server, "mem")
    gid = group_of(own, adm, mem)
    assert own.post("/contact/setAdmin", comId=gid, userId=adm.id, admin="true").status_code == 200
    pa, pm = people.open(adm), people.open(mem)
    for page in (pa, pm):
        open_group(page, gid)
    expect(pm.get_by_role("textbox", name="Message")).to_be_visible()
    pa.get_by_role("button", name="Members").click()
    settings = pa.locator("#group-settings")
    expect(settings).to_be_visible()
    for owners in ("Who can join", "Newcomers read", "Who may add people"):
        expect(settings.get_by_label(owners)).to_be_hidden()
    expect(settings.get_by_label("Who may use @all and @here").locator('option[value="nobody"]')).to_be_disabled()
    settings.get_by_label("Who may send messages").select_option("admins")
    settings.get_by_label("Who may use @all and @here").select_option("members")
    settings.get_by_role("button", name="Save settings").click()
    expect(settings.locator(".form-status")).to_have_text("Settings saved.")
    expect(pm.locator("#composer-readonly")).to_be_visible()
    expect(pa.get_by_role("textbox", name="Message")).to_be_visible()  # the admin still writes
    got = [r for r in own.post("/contact/loadcommunity").json()["Rows"] if r["ID"] == gid][0]
    assert (got["WhoMayWrite"], got["WhoMayMentionAll"], got["Policy"]) == ("admins", "members", "open")
    # The member's panel has no settings at all.
    pm.get_by_role("button", name="Members").click()
    expect(pm.locator("#member-list li")).to_have_count(3)
    expect(pm.locator("#group-settings")).to_be_hidden()
    assert pa.problems == [] and pm.problems == []


def test_a_notice_set_while_away_is_new_until_read_on_any_device(server, people):
    """The notice is in the message Id sequence (Type 24, replayed by since)
    and "seen" is the member's mark on the server: a member whose page was
    offline while the notice changed sees it New on reconnecting; read on that
    page, it stops being New on their other page at once, and on a page opened later."""
    own, mem = register(server, "own"), register(server, "mem")
    gid = group_of(own, mem)
    first, second = people.open(mem), people.open(mem)
    for page in (first, second):
        open_group(page, gid)
    first.context.set_offline(True)
    expect(first.locator("#conn-status")).to_have_attribute("data-state", "offline")
    assert own.post("/contact/setNotice", comId=gid, notice="下周一全员大会").status_code == 200
    expect(second.locator("#group-notice-new")).to_be_visible()  # live on the page that was online
    first.context.set_offline(False)
    expect(first.locator("#conn-status")).to_have_attribute("data-state", "open")
    banner = first.locator("#group-notice")
    expect(banner.locator("#group-notice-text")).to_have_text("下周一全员大会")
    expect(banner.locator("#group-notice-new")).to_be_visible()
    banner.get_by_role("button", name="Got it").click()
    expect(banner.locator("#group-notice-new")).to_be_hidden()
    # The other page follows at once, and a page opened now agrees.
    expect(second.locator("#group-notice-new")).to_be_hidden()
    expect(second.locator(f'#chat-list li[data-conv="g{gid}"] .notice-mark')).to_have_count(0)
    third = people.open(mem)
    expect(third.locator(f'#chat-list li[data-conv="g{gid}"]')).to_be_visible()
    open_group(third, gid)
    expect(third.locator("#group-notice-text")).to_have_text("下周一全员大会")
    expect(third.locator("#group-notice-new")).to_be_hidden()
    assert first.problems == [] and second.problems == [] and third.problems == []


def test_pins_notice_and_read_only_fit_a_phone(server, people):
    ann, ben = register(server, "po"), register(server, "pm")
    gid = group_of(ann, ben)
    long_word = "y" * 80
    sent = ann.send([{"Type": 2, "TargetId": gid, "Content": f"pinned on a phone {long_word}", "ClientMsgId": "ph-1"}])[
        0
    ]
    assert ann.post("/message/pin", id=sent["Id"]).status_code == 200
    assert ann.post("/contact/setNotice", comId=gid, notice="公告 " + "很长的公告内容" * 20).status_code == 200
    assert ann.post("/contact/updateGroup", comId=gid, whoMayWrite="admins").status_code == 200
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = people.open(ben, **phone)
    open_group(page, gid)
    expect(page.locator("#group-notice")).to_be_visible()
    text = page.locator("#group-notice-text")
    clamped = text.evaluate("node => node.clientHeight")
    text.click()  # a long notice shows its first lines until opened
    expect(text).to_have_attribute("aria-expanded", "true")
    assert text.evaluate("node => node.clientHeight") > clamped
    text.click()
    expect(page.locator("#composer-readonly")).to_be_visible()
    page.locator("#conv-menu-btn").click()
    page.locator("#pins-btn").click()
    expect(page.locator("#pins-panel .pin-item")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-pins-notice")
    page.locator("#pins-panel .pin-open").click()
    expect(message(page, "pinned on a phone")).to_be_in_viewport()
    assert page.problems == []
