"""Forwarding and @all in Chromium, two people (issue 28 items 3 and 4):
"Forward" in a message's menu with the conversation picker, "Select
messages" and "Forward as chat record", the "Forwarded from" line and the
chat record card that opens its messages, on a desktop and a 390 px phone."""

from e2e_support import befriend, open_message_menu, register, screenshot, unique_name
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
