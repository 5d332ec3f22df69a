"""Forwarding and @all in Chromium, two people (issue 28 items 3 and 4):
"Forward" in a message's menu with the conversation picker, "Select
messages" and "Forward as chat record", the "Forwarded from" line and the
chat record card that opens its messages, on a desktop and a 390 px phone;
@all and @here in the autocomplete for whom the group allows, the group
panel's "Who may use @all and @here", the alert of @all in a muted group
and its silence when muted completely."""

from test_people_and_alerts import ALERTS_DOUBLE, no_sideways_scroll, notes_come

from e2e_support import befriend, login, open_message_menu, open_settings, register, screenshot, unique_name
from playwright_compat import expect


def message(page, text):
    return page.locator("#messages .msg", has_text=text)


def open_chat(page, key):
    page.locator(f'#chat-list a[href="#{key}"]').first.click()


def test_forward_one_and_a_chat_record(server, people):
    ann, ben = register(server, "ann"), register(server, "ben")
    befriend(ann, ben)
    r = ann.post("/contact/createCommunity", name=unique_name("crew"))
    assert r.status_code == 201, r.text
    group = r.json()["Data"]
    gid = group["ID"]
    assert ben.post("/contact/joinGroup", comId=gid).status_code == 200
    ben.send(
        [
            {"Type": 1, "TargetId": ann.id, "Content": "lunch at noon?", "ClientMsgId": "b-1"},
            {"Type": 1, "TargetId": ann.id, "Content": "bring the slides", "ClientMsgId": "b-2"},
        ]
    )

    pa = people.open(ann)
    pb = people.open(ben, viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    open_chat(pa, f"u{ben.id}")
    expect(message(pa, "bring the slides")).to_have_count(1)

    # One message, forwarded to the group through the picker.
    open_message_menu(message(pa, "lunch at noon?")).get_by_role("menuitem", name="Forward").click()
    picker = pa.locator("dialog.forward-dialog[open]")
    expect(picker).to_be_visible()
    picker.get_by_role("searchbox", name="Search conversations").fill(group["Name"][:4])
    picker.get_by_role("button", name=f"# {group['Name']}").click()
    expect(picker).to_have_count(0)
    expect(pa.locator("#toast")).to_contain_text(f"Forwarded to {group['Name']}")

    open_chat(pb, f"g{gid}")
    forwarded = message(pb, "lunch at noon?")
    expect(forwarded).to_have_count(1)
    expect(forwarded.locator(".forwarded")).to_have_text(f"Forwarded from {ben.name}")

    # Both, merged into one chat record.
    open_message_menu(message(pa, "lunch at noon?")).get_by_role("menuitem", name="Select messages").click()
    bar = pa.get_by_role("toolbar", name="Selected messages")
    expect(bar).to_contain_text("1 selected")
    message(pa, "bring the slides").get_by_role("checkbox", name="Select this message").check()
    expect(bar).to_contain_text("2 selected")
    bar.get_by_role("button", name="Forward as chat record").click()
    pa.locator("dialog.forward-dialog[open]").get_by_role("button", name=f"# {group['Name']}").click()
    expect(bar).to_be_hidden()
    expect(pa.locator("#messages .select-msg")).to_have_count(0)

    card = pb.locator("#messages .record-card")
    expect(card).to_have_count(1)
    expect(card.locator(".record-title")).to_have_text(f"Chat record: {ann.name}, {ben.name}")
    expect(card.locator(".record-preview li")).to_have_text(
        [f"{ben.name}: lunch at noon?", f"{ben.name}: bring the slides"]
    )
    expect(card.locator(".record-count")).to_have_text("2 messages")
    card.click()
    record = pb.locator("dialog.record-dialog[open]")
    expect(record.locator(".record-item")).to_have_count(2)
    expect(record.locator(".record-item").first).to_contain_text("lunch at noon?")
    expect(record.locator(".record-item .record-who").first).to_have_text(ben.name)
    box = record.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # fits the phone
    screenshot(pb, "chat-record-phone")
    record.get_by_role("button", name="Close").click()
    expect(record).to_have_count(0)
    # The Chats list shows the record as the group's last message.
    assert pa.problems == [] and pb.problems == []


def test_mention_all_autocomplete_who_may_and_alerts(server, people):
    ann, ben = register(server, "ann"), register(server, "ben")
    r = ann.post("/contact/createCommunity", name=unique_name("team"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert ben.post("/contact/joinGroup", comId=gid).status_code == 200
    assert ben.post("/contact/mute", type=2, targetId=gid, muted="true").status_code == 200

    pa = people.open(ann)
    pb = people.context()
    pb.add_init_script(ALERTS_DOUBLE)
    login(pb, ben.name)
    open_settings(pb, "notifications")
    pb.get_by_role("button", name="Enable notifications").click()
    expect(pb.locator("#notify-state")).to_contain_text("on while this tab is hidden")
    pb.get_by_role("tab", name="Chats").click()
    open_chat(pb, f"g{gid}")
    pb.evaluate("window.__setHidden(true)")

    # The owner picks @all from the autocomplete; Ben's muted group alerts all the same.
    open_chat(pa, f"g{gid}")
    box = pa.get_by_role("textbox", name="Message")
    box.click()
    box.press_sequentially("@al")
    option = pa.get_by_role("option", name="@all: notify every member")
    expect(option).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("@all ")
    box.press_sequentially("standup now")
    box.press("Enter")
    notes_come(pb, 1)
    assert pb.evaluate("window.__alerts.notes[0].body") == "@all standup now"
    expect(message(pb, "standup now").locator(".mention.me")).to_have_text("@all")
    expect(message(pa, "standup now").locator(".mention")).to_have_text("@all")
    expect(message(pa, "standup now").locator(".mention.me")).to_have_count(0)

    # Ben, a plain member, is not offered @all (the default: owner and admins).
    pb.evaluate("window.__setHidden(false)")
    mine = pb.get_by_role("textbox", name="Message")
    mine.click()
    mine.press_sequentially("@he")
    expect(pb.get_by_role("option", name="@here: notify the members online now")).to_have_count(0)
    mine.fill("")

    # The owner lets every member use them, in the group panel.
    pa.get_by_role("button", name="Members").click()
    pa.get_by_label("Who may use @all and @here").select_option("members")
    pa.locator("#group-settings").get_by_role("button", name="Save settings").click()
    expect(pa.locator("#group-settings .form-status")).to_have_text("Settings saved.")
    mine.click()
    for _ in range(50):  # Ben's lists learn the new setting from the group_updated notice
        mine.fill("")
        mine.press_sequentially("@he")
        if pb.get_by_role("option", name="@here: notify the members online now").count():
            break
        pb.wait_for_timeout(100)
    expect(pb.get_by_role("option", name="@here: notify the members online now")).to_be_visible()
    mine.fill("")

    # Muted completely: not even @all alerts.
    pb.get_by_role("button", name="Mute completely").click()
    expect(pb.locator("#mute-completely-btn")).to_have_attribute("aria-pressed", "true")
    expect(pb.locator("#mute-completely-btn")).to_have_text("Let @all through")
    pb.evaluate("window.__setHidden(true)")
    ann.send([{"Type": 2, "TargetId": gid, "Content": "@all second call", "ClientMsgId": "a-2"}])
    expect(message(pb, "second call")).to_have_count(1)
    assert pb.evaluate("window.__alerts.notes.length") == 1, "muted completely: no alert"
    pb.evaluate("window.__setHidden(false)")
    pb.get_by_role("button", name="Let @all through").click()
    expect(pb.locator("#mute-completely-btn")).to_have_attribute("aria-pressed", "false")
    expect(pb.locator("#mute-btn")).to_have_attribute("aria-pressed", "true")
    pb.evaluate("window.__setHidden(true)")
    ann.send([{"Type": 2, "TargetId": gid, "Content": "@here third call", "ClientMsgId": "a-3"}])
    notes_come(pb, 2)
    assert pa.problems == [] and pb.problems == []


def test_selecting_and_forwarding_on_a_phone(server, people):
    ann, ben = register(server, "ann"), register(server, "ben")
    befriend(ann, ben)
    r = ann.post("/contact/createCommunity", name=unique_name("desk"))
    assert r.status_code == 201, r.text
    group = r.json()["Data"]
    ben.send([{"Type": 1, "TargetId": ann.id, "Content": f"note {i}", "ClientMsgId": f"n-{i}"} for i in range(3)])
    pa = people.open(ann, viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    open_chat(pa, f"u{ben.id}")
    expect(message(pa, "note 2")).to_have_count(1)
    open_message_menu(message(pa, "note 0")).get_by_role("menuitem", name="Select messages").click()
    bar = pa.get_by_role("toolbar", name="Selected messages")
    for i in (1, 2):
        message(pa, f"note {i}").get_by_role("checkbox", name="Select this message").check()
    expect(bar).to_contain_text("3 selected")
    expect(bar.get_by_role("button", name="Forward one by one")).to_be_in_viewport()
    no_sideways_scroll(pa)
    screenshot(pa, "select-messages-phone")
    bar.get_by_role("button", name="Forward one by one").click()
    picker = pa.locator("dialog.forward-dialog[open]")
    box = picker.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    picker.get_by_role("button", name=f"# {group['Name']}").click()
    expect(bar).to_be_hidden()
    pa.evaluate(f"location.hash = '#g{group['ID']}'")  # on a phone the list is behind the conversation
    expect(pa.locator("#messages .msg .forwarded")).to_have_count(3)
    expect(pa.locator("#messages .msg .text")).to_have_text(["note 0", "note 1", "note 2"])
    no_sideways_scroll(pa)
    assert pa.problems == []
