"""Issue 9 in the browser: friend requests, unread counts from the server,
read ticks, typing, presence, recall; running a group (members with roles,
read by N, rename, remove a member)."""

import shutil
import tempfile

import pytest

from e2e_support import (
    ServerProcess,
    confirm,
    expect_stored,
    login,
    open_message_menu,
    register,
    screenshot,
    unique_name,
)
from playwright_compat import expect


@pytest.fixture(scope="module")
def request_server():
    """A server where adding a friend sends a request (FRIEND_ADD=request)."""
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-req-")
    proc = ServerProcess(workdir)
    proc.env["GINCHAT_FRIEND_ADD"] = "request"
    proc.start()
    yield proc
    proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def req_people(request_server, browser):
    """Browser contexts on the request server, logged in."""
    contexts = []

    def open_page(user):
        ctx = browser.new_context(viewport={"width": 1200, "height": 800}, base_url=request_server.url)
        contexts.append(ctx)
        page = ctx.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        login(page, user.name)
        return page, ctx

    yield open_page
    for ctx in contexts:
        ctx.close()


def test_request_receipts_typing_presence_recall(request_server, req_people):
    alice, bob = register(request_server, "alice"), register(request_server, "bob")
    pa, ctx_a = req_people(alice)
    pb, _ = req_people(bob)

    # Alice asks; Bob sees the request live and accepts it.
    pa.get_by_role("tab", name="People").click()
    pa.get_by_role("searchbox", name="Search people").fill(bob.name)
    pa.get_by_role("button", name=f"Message {bob.name}").click()
    pa.get_by_role("button", name="Add friend").click()
    expect(pa.locator("#toast")).to_contain_text("Friend request sent")
    pa.get_by_role("tab", name="Contacts").click()
    expect(pa.locator("#request-list")).to_contain_text(f"Asked {bob.name}")
    pb.get_by_role("tab", name="Contacts").click()
    expect(pb.locator("#request-list")).to_contain_text(f"{alice.name} asks to be your friend")
    pb.get_by_role("button", name=f"Accept {alice.name}").click()
    pb.get_by_role("tab", name="Chats").click()
    bob_sees = pb.locator("#chat-list a", has_text=alice.name)
    expect(bob_sees).to_be_visible()
    expect(bob_sees.locator(".dot")).to_have_class("dot online")

    # Alice writes; Bob's count comes from the server, his reading gives her a tick.
    pa.get_by_role("tab", name="Chats").click()
    pa.locator("#chat-list a", has_text=bob.name).click()
    box = pa.get_by_role("textbox", name="Message")
    box.fill("Did you read this?")
    box.press("Enter")
    mine = pa.locator("#messages .msg.mine", has_text="Did you read this?")
    expect_stored(mine)
    expect(mine.locator(".ticks")).to_have_attribute("data-state", "delivered")  # Bob is online
    expect(bob_sees.locator(".badge")).to_have_text("1")
    pb.reload()  # the count survives a reload: it is the server's
    expect(pb.locator("#conn-status")).to_have_attribute("data-state", "open")
    bob_sees = pb.locator("#chat-list a", has_text=alice.name)
    expect(bob_sees.locator(".badge")).to_have_text("1")
    bob_sees.click()
    expect(mine.locator(".ticks")).to_have_attribute("data-state", "read")
    expect(mine.locator(".ticks")).to_have_attribute("aria-label", "Read")

    # Bob types: Alice sees it in the header.
    pb.get_by_role("textbox", name="Message").press_sequentially("typing away", delay=20)
    expect(pa.locator("#conv-sub")).to_have_text("typing…")

    # Alice takes her message back: gone for Bob, live.
    box.fill("Oops, wrong chat")
    box.press("Enter")
    expect(pb.locator("#messages .msg.theirs", has_text="Oops, wrong chat")).to_be_visible()
    open_message_menu(pa.locator("#messages .msg.mine", has_text="Oops, wrong chat")).get_by_role(
        "menuitem", name="Recall"
    ).click()
    expect(pb.locator("#messages .msg.theirs", has_text="Oops, wrong chat")).to_have_count(0)
    expect(pb.locator("#messages .recalled")).to_have_text("This message was recalled")
    expect(pa.locator("#messages .recalled")).to_have_text("You recalled a message")
    screenshot(pb, "recalled-and-read")

    # Alice leaves: Bob sees her go offline, live.
    ctx_a.close()
    expect(pb.locator("#chat-list a", has_text=alice.name).locator(".dot")).to_have_class("dot offline")
    expect(pb.locator("#conv-sub")).to_have_text("offline")
    assert pb.problems == []


def test_group_roles_read_by_and_removal(server, people):
    owner, member = register(server, "own"), register(server, "mem")
    r = owner.post("/contact/createCommunity", name=unique_name("team"))
    gid = r.json()["Data"]["ID"]
    assert member.post("/contact/joinGroup", comId=gid).status_code == 200
    po, pm = people.open(owner), people.open(member)
    po.evaluate("window.confirm = () => true")

    for page in (po, pm):
        page.get_by_role("tab", name="Groups").click()
        page.locator(f'#group-list a[href="#g{gid}"]').click()
    po.get_by_role("textbox", name="Message").fill("Read this, team")
    po.get_by_role("textbox", name="Message").press("Enter")
    mine = po.locator("#messages .msg.mine", has_text="Read this, team")
    # The member has the conversation open: it is read at once, and the owner sees it.
    expect(mine.locator(".ticks")).to_have_attribute("aria-label", "Read by 1")

    # Members with roles; the owner renames the group and removes the member.
    po.get_by_role("button", name="Members").click()
    expect(po.locator("#member-list li", has_text=owner.name).locator(".role")).to_have_text("owner")
    expect(po.locator("#member-list li", has_text=member.name).locator(".role")).to_have_text("member")
    pm.get_by_role("button", name="Members").click()
    expect(pm.locator("#member-list li")).to_have_count(2)
    expect(pm.get_by_role("button", name=f"Remove {owner.name}")).to_have_count(0)
    expect(pm.locator("#group-owner-tools")).to_be_hidden()
    new_name = unique_name("renamed")
    po.get_by_label("Group name").fill(new_name)
    po.get_by_role("button", name="Save group").click()
    expect(po.locator("#conv-title")).to_have_text(new_name)
    expect(pm.locator("#conv-title")).to_have_text(new_name)  # live, by the notice
    screenshot(po, "group-members")
    po.get_by_role("button", name=f"Remove {member.name}").click()
    confirm(po, "Remove")
    expect(po.locator("#member-list li")).to_have_count(1)
    # The removed member's list loses the group, live.
    expect(pm.locator(f'#group-list a[href="#g{gid}"]')).to_have_count(0)
    assert po.problems == [] and pm.problems == []
