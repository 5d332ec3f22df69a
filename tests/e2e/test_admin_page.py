"""The admin page: only administrators reach it (the chat page links to it
for them); it deactivates a person (their browser goes back to the login
form), reactivates them, makes an invitation and shows the audit log."""

import re
import subprocess
import sys

import pytest
import requests

from e2e_support import ROOT, register, screenshot
from playwright_compat import expect


def make_admin(server, name):
    """The real command line, on the server's database."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "ginchat", "make-admin", name],
        cwd=ROOT,
        env=dict(server.env, GINCHAT_LOG_LEVEL="WARNING"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is an administrator" in done.stdout


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")  # the link is on the https address
def test_admin_page(server, people):
    boss, plain = register(server, "boss"), register(server, "plain")
    make_admin(server, boss.name)

    # Not for everyone: no link, and the page itself is refused.
    theirs = people.open(plain)
    expect(theirs.locator("#admin-link")).to_have_count(0)
    assert theirs.goto("/toAdmin").status == 403
    theirs.goto("/toChat")
    expect(theirs.locator("#conn-status")).to_have_attribute("data-state", "open")

    mine = people.open(boss)
    mine.locator("#admin-link").click()
    expect(mine).to_have_url(re.compile(r"/toAdmin$"))
    mine.get_by_label("Search").fill(plain.name)
    row = mine.locator("#people tbody tr", has_text=plain.name)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Deactivate").click()
    expect(mine.locator("#admin-status")).to_contain_text(f"{plain.name} deactivated")
    expect(row).to_contain_text("deactivated")
    # Their open browser is logged out at once.
    expect(theirs.get_by_role("button", name="Log in")).to_be_visible()
    assert plain.post("/searchFriends").status_code == 401

    row.get_by_role("button", name="Reactivate").click()
    expect(mine.locator("#admin-status")).to_contain_text(f"{plain.name} reactivated")
    expect(mine.locator("#audit tbody tr").first).to_contain_text("reactivate")

    mine.get_by_role("button", name="Make an invitation").click()
    expect(mine.locator("#invite-url")).to_have_value(re.compile(r"/toRegister\?invite="))
    link = mine.locator("#invite-url").input_value()  # the https address (test_day_one.py)
    assert requests.get(link, timeout=10, verify=False).status_code == 200

    # The server view: this node, up, with its database and Redis answering;
    # the table refreshes by itself (its heartbeat time moves on).
    node = requests.get(server.url + "/health", timeout=10).json()["Data"]["Node"]
    row = mine.locator(f'#nodes tbody tr[data-node="{node}"]')
    expect(row).to_have_attribute("data-state", "up")
    expect(row).to_contain_text("(this one)")
    expect(row.locator("td").nth(6)).to_contain_text("ok")
    expect(row.locator("td").nth(7)).to_contain_text("ok")
    first = row.locator("td").nth(8).inner_text()
    expect(row.locator("td").nth(8)).not_to_have_text(first, timeout=15000)
    assert "@" not in mine.locator("#nodes").inner_text()


def test_deactivated_sender_keeps_their_messages_marked(server, people):
    boss, gone, still, reader = (register(server, p) for p in ("boss", "gone", "still", "reader"))
    make_admin(server, boss.name)
    made = gone.post("/contact/createCommunity", name=f"room{gone.id}", policy="open")
    assert made.status_code == 201, made.text
    gid = made.json()["Data"]["ID"]
    for member in (still, reader):
        assert member.post("/contact/joinGroup", comId=gid).status_code == 200
    gone.send([{"Type": 2, "TargetId": gid, "Media": 1, "Content": "my last words", "ClientMsgId": "g1"}])
    still.send([{"Type": 2, "TargetId": gid, "Media": 1, "Content": "still here", "ClientMsgId": "s1"}])
    assert boss.post("/admin/deactivate", userId=gone.id).status_code == 200

    for size in ({"width": 1200, "height": 800}, {"width": 320, "height": 700}):
        page = people.open(reader, viewport=size)
        page.get_by_role("tab", name="Groups").click()
        page.locator("#group-list a", has_text=f"room{gone.id}").click()
        theirs = page.locator("#messages .msg", has_text="my last words")
        expect(theirs.locator(".sender")).to_have_text(gone.name)
        expect(theirs.locator(".deactivated-mark")).to_have_text("deactivated")
        expect(theirs.locator(".deactivated-mark")).to_be_visible()
        other = page.locator("#messages .msg", has_text="still here")
        expect(other.locator(".sender")).to_have_text(still.name)
        expect(other.locator(".deactivated-mark")).to_have_count(0)
        screenshot(page, f"deactivated-mark-{size['width']}")
        assert page.problems == []
