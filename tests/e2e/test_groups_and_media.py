"""Three people in a group; pictures and voice clips between two; the phone
width layout."""

import re

import pytest

from e2e_support import expect_stored, open_settings, png_bytes, register, screenshot, unique_name, upload_works
from playwright_compat import expect


def send_text(page, text):
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def test_group_chat_among_three(server, people):
    owner, second, third = (register(server, p) for p in ("ann", "ben", "cai"))
    pages = [people.open(u) for u in (owner, second, third)]
    group_name = unique_name("team")

    # Ann creates the group in the Groups view; Ben joins by name, Cai by ID.
    ann, ben, cai = pages
    ann.get_by_role("tab", name="Groups").click()
    ann.get_by_label("Create a group").fill(group_name)
    ann.get_by_label("Group description").fill("three people, one room")
    ann.locator("#group-new-policy").select_option("open")  # made in the browser: invite-only unless opened
    ann.locator("#create-group-form").get_by_role("button", name="Create").click()
    expect(ann.locator("#create-group-form .form-status")).to_contain_text(f"Group {group_name} created")
    group_id = ann.locator("#create-group-form .form-status").inner_text().split("(ID ")[1].rstrip(").")
    for page, key in ((ben, group_name), (cai, group_id)):
        page.get_by_role("tab", name="Groups").click()
        page.get_by_label("Join a group").fill(key)
        page.locator("#join-group-form").get_by_role("button", name="Join").click()
        expect(page.locator("#join-group-form .form-status")).to_contain_text("You joined")
        page.locator("#group-list a", has_text=group_name).click()
    item = ann.locator("#group-list a", has_text=group_name)
    item.click()
    expect(item.locator(".meta")).to_contain_text("3 members")  # opening refreshes the lists
    expect(ann.locator("#conv-sub")).to_have_text(f"Group #{group_id} · 3 members")

    # Everyone writes once; everyone sees all three, in order, with the
    # other senders' names.
    for page, who in ((ann, owner), (ben, second), (cai, third)):
        send_text(page, f"hello from {who.name}")
        for other in pages:
            expect(other.locator("#messages .msg", has_text=f"hello from {who.name}")).to_have_count(1)
    for page, who in ((ann, owner), (ben, second), (cai, third)):
        expect(page.locator("#messages .msg .text")).to_have_text(
            [f"hello from {u.name}" for u in (owner, second, third)]
        )
        expect(page.locator("#messages .msg.mine")).to_have_count(1)
        senders = page.locator("#messages .msg.theirs .sender").all_inner_texts()
        assert sorted(senders) == sorted(u.name for u in (owner, second, third) if u is not who)
    send_text(ben, "🎉🎉")
    expect(ann.locator("#messages .msg .text.emoji-only")).to_have_text("🎉🎉")
    screenshot(ann, "group-conversation")
    assert all(p.problems == [] for p in pages)


@pytest.fixture
def two_friends(server, people):
    a, b = register(server, "pa"), register(server, "pb")
    a.post("/contact/addfriend", targetId=b.id)
    pa, pb = people.open(a), people.open(b)
    pa.locator("#chat-list a", has_text=b.name).click()
    pb.locator("#chat-list a", has_text=a.name).click()
    return a, b, pa, pb


def test_a_picture_reaches_the_other_side(server, two_friends, tmp_path):
    works, answer = upload_works(server)
    if not works:
        pytest.skip(f"POST /attach/upload still answers 501 ({answer.text[:80]})")
    a, b, pa, pb = two_friends
    send_text(pa, "Look at this:")
    picture = tmp_path / "holiday.png"
    picture.write_bytes(png_bytes())
    pa.locator("#image-input").set_input_files(str(picture))
    mine = pa.locator("#messages .msg.mine[data-media='4']")
    expect_stored(mine)
    theirs = pb.locator("#messages .msg.theirs[data-media='4'] img")
    expect(theirs).to_have_attribute("src", mine.locator("img").get_attribute("src"))
    assert theirs.get_attribute("src").startswith("/uploads/")
    # the picture really loaded (not a broken image)
    pb.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=theirs.element_handle())
    send_text(pb, "Beautiful!")
    expect(pa.locator("#messages .msg.theirs", has_text="Beautiful!")).to_be_visible()
    expect(pb.locator("#chat-list a", has_text=a.name).locator(".preview")).to_have_text("You: Beautiful!")
    screenshot(pb, "private-conversation-picture")
    # a click enlarges it; Escape closes
    theirs.click()
    expect(pb.locator("#lightbox")).to_be_visible()
    expect(pb.locator("#lightbox-img")).to_have_attribute("src", theirs.get_attribute("src"))
    pb.keyboard.press("Escape")
    expect(pb.locator("#lightbox")).to_be_hidden()
    assert pa.problems == [] and pb.problems == []


def test_a_voice_clip_recorded_by_press_and_hold(server, two_friends):
    works, answer = upload_works(server)
    if not works:
        pytest.skip(f"POST /attach/upload still answers 501 ({answer.text[:80]})")
    a, b, pa, pb = two_friends
    button = pa.get_by_role("button", name="Record a voice clip")
    button.hover()
    pa.mouse.down()
    # hold until the recorder has run past the shortest clip it sends
    expect(pa.locator("#rec-status")).to_contain_text("Recording 0:02")
    pa.mouse.up()
    mine = pa.locator("#messages .msg.mine[data-media='3']")
    expect_stored(mine)
    clip = pb.locator("#messages .msg.theirs[data-media='3']")
    expect(clip.locator("audio")).to_have_attribute("src", mine.locator("audio").get_attribute("src"))
    expect(clip.locator(".dur")).to_have_text(mine.locator(".dur").inner_text())
    assert pa.problems == [] and pb.problems == []


def test_phone_width(server, people):
    a, b = register(server, "ma"), register(server, "mb")
    a.post("/contact/addfriend", targetId=b.id)
    b.send([{"Type": 1, "TargetId": a.id, "Content": "Are you on your phone?", "ClientMsgId": "m-1"}])
    phone = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    page = people.open(a, **phone)
    item = page.locator("#chat-list a", has_text=b.name)
    expect(item.locator(".badge")).to_have_text("1")
    expect(page.locator("#conversation")).to_be_hidden()
    screenshot(page, "phone-360-chat-list")
    item.click()
    expect(page.locator("#sidebar")).to_be_hidden()
    send_text(page, "Yes, at 360 pixels 📱")
    expect_stored(page.locator("#messages .msg.mine"))
    # nothing sticks out sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "phone-360-conversation")
    page.get_by_role("link", name="Back to the lists").click()
    expect(page.locator("#sidebar")).to_be_visible()
    assert page.problems == []


def test_me_tab_edits_the_profile_and_avatar(server, people, tmp_path):
    works, answer = upload_works(server)
    if not works:
        pytest.skip(f"POST /attach/upload still answers 501 ({answer.text[:80]})")
    a = register(server, "me")
    page = people.open(a)
    open_settings(page, "profile")
    page.get_by_label("Phone").fill("+49 170 1234567")
    page.get_by_label("E-mail").fill("me@example.org")
    face = tmp_path / "face.png"
    face.write_bytes(png_bytes((128, 128)))
    page.get_by_label("Avatar").set_input_files(str(face))
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#profile-form .form-status")).to_have_text("Profile saved.")
    expect(page.locator("#profile-avatar img")).to_have_attribute("src", re.compile(r"^/uploads/"))
    r = a.post("/user/find", userId=a.id)
    data = r.json()["Data"]
    assert (data["Phone"], data["Email"]) == ("+49 170 1234567", "me@example.org")
    assert data["Avatar"].startswith("/uploads/")
    # a bad value is refused with the server's reason, nothing else changes
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#profile-form .form-status")).to_have_class(re.compile("error"))
    assert page.problems == []
