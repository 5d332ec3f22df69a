"""Message search and formatted text in the browser (issue 16 items 1 and 6,
issue 15 item 9's safe links), with two people: the "Search messages" box
finds what I may read, pages with "More results", and a click opens the
conversation at the hit, loading the history between it and the newest; a
message's Markdown subset and links become DOM nodes, its HTML stays text."""

import re
import secrets

from e2e_support import register, screenshot
from playwright_compat import expect

FOUND = re.compile(r"\bfound\b")


def word():
    return "zebra" + secrets.token_hex(3)


def seed(sender, target_id, total, every, w):
    """``total`` messages from ``sender``; every ``every``-th holds ``w`` (bold)."""
    frames = []
    for i in range(1, total + 1):
        text = f"line {i:03d} about the **{w}** plan" if i % every == 0 else f"line {i:03d} filler"
        frames.append({"Type": 1, "TargetId": target_id, "Content": text, "ClientMsgId": f"s-{w}-{i}"})
    return sender.send(frames)


def search(page, q):
    box = page.get_by_role("searchbox", name="Search messages")
    box.fill(q)
    box.press("Enter")


def test_search_pages_and_opens_a_hit_deep_in_history(server, people):
    a, b = register(server, "sa"), register(server, "sb")
    a.post("/contact/addfriend", targetId=b.id)
    w = word()
    sent = seed(b, a.id, 130, 5, w)  # 26 hits, the oldest 125 messages back
    page = people.open(a)
    search(page, w)
    hits = page.locator("#search-list .hit")
    expect(hits).to_have_count(20)
    expect(page.locator("#search-status")).to_contain_text(w)
    first = hits.first
    expect(first.locator(".name")).to_have_text(b.name)
    expect(first.locator(".sender")).to_have_count(0)  # a private chat's name says who wrote
    expect(first.locator("mark")).to_have_text(w)
    expect(first.locator(".snippet")).to_have_text(f"line 130 about the **{w}** plan")
    screenshot(page, "search-results")
    page.get_by_role("button", name="More results").click()
    expect(hits).to_have_count(26)
    expect(page.get_by_role("button", name="More results")).to_be_hidden()
    ids = [int(x) for x in page.locator("#search-list .hit-link").evaluate_all("ns => ns.map(n => n.dataset.id)")]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 26

    # The oldest hit: the conversation opens there, every message from it to the newest loaded.
    oldest = sent[4]
    assert ids[-1] == oldest["Id"]
    hits.last.click()
    target = page.locator(f'#messages .msg[data-id="{oldest["Id"]}"]')
    expect(target).to_be_visible()
    expect(target).to_have_class(FOUND)
    expect(target.locator(".text strong")).to_have_text(w)
    expect(target).to_be_in_viewport()
    shown = page.locator("#messages .msg").evaluate_all("ns => ns.map(n => Number(n.dataset.id))")
    newer = [m["Id"] for m in sent if m["Id"] >= oldest["Id"]]
    assert set(newer) <= set(shown), "the history between the hit and the newest is all there"
    assert shown == sorted(shown)
    expect(page.locator("#conv-title")).to_have_text(b.name)
    expect(target).not_to_have_class(FOUND, timeout=6000)  # the flash fades
    # Closing the results brings the lists back.
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#search-results")).to_be_hidden()
    expect(page.locator("#chat-list")).to_be_visible()
    assert page.problems == []


def test_search_shows_group_senders_and_nothing_unreadable(server, people):
    a, b, c = register(server, "na"), register(server, "nb"), register(server, "nc")
    a.post("/contact/addfriend", targetId=b.id)
    b.post("/contact/addfriend", targetId=c.id)
    w = word()
    b.send([{"Type": 1, "TargetId": c.id, "Content": f"{w} between b and c", "ClientMsgId": f"x-{w}"}])
    page = people.open(a)
    search(page, w)
    expect(page.locator("#search-status")).to_have_text(f"No message with “{w}”.")
    expect(page.locator("#search-list .hit")).to_have_count(0)
    name = "grp" + secrets.token_hex(3)
    r = a.post("/contact/createCommunity", name=name, policy="open")
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert b.post("/contact/joinGroup", comId=gid).status_code == 200
    b.send([{"Type": 2, "TargetId": gid, "Content": f"in the group: {w}", "ClientMsgId": f"g-{w}"}])
    page.reload()
    search(page, w)
    hit = page.locator("#search-list .hit")
    expect(hit).to_have_count(1)
    expect(hit.locator(".name")).to_have_text(f"# {name}")
    expect(hit.locator(".sender")).to_have_text(f"{b.name}:")
    hit.click()
    expect(page.locator("#conv-title")).to_have_text(name)
    expect(page.locator("#messages .msg .text").last).to_have_text(f"in the group: {w}")
    search(page, "!!!")
    expect(page.locator("#search-status")).to_contain_text("letter or digit")
    page.get_by_role("searchbox", name="Search messages").press("Escape")
    expect(page.locator("#search-results")).to_be_hidden()
    assert page.problems == []


def test_two_people_see_formatting_and_safe_links_but_never_html(server, people):
    a, b = register(server, "fa"), register(server, "fb")
    a.post("/contact/addfriend", targetId=b.id)
    pa, pb = people.open(a), people.open(b)
    pa.locator("#chat-list a", has_text=b.name).click()
    pb.locator("#chat-list a", has_text=a.name).click()
    box = pa.get_by_role("textbox", name="Message")
    box.fill("**ship** it _today_ ~~not~~ `x<y` see https://example.com/plan. <img src=x onerror=alert(1)>")
    box.press("Enter")
    for page in (pa, pb):
        last = page.locator("#messages .msg .text").last
        expect(last.locator("strong")).to_have_text("ship")
        expect(last.locator("em")).to_have_text("today")
        expect(last.locator("s")).to_have_text("not")
        expect(last.locator("code")).to_have_text("x<y")
        link = last.locator("a")
        expect(link).to_have_text("https://example.com/plan")
        expect(link).to_have_attribute("href", "https://example.com/plan")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("target", "_blank")
        expect(last.locator("img")).to_have_count(0)
        expect(last).to_contain_text("<img src=x onerror=alert(1)>")
    box.fill("[docs](javascript:alert(1)) <script>alert(2)</script>")
    box.press("Enter")
    last = pb.locator("#messages .msg .text").last
    expect(last).to_have_text("[docs](javascript:alert(1)) <script>alert(2)</script>")
    expect(last.locator("a, script")).to_have_count(0)
    screenshot(pb, "formatted-messages")
    assert pa.problems == [] and pb.problems == []


def test_search_at_phone_size(server, people):
    a, b = register(server, "pa"), register(server, "pb")
    a.post("/contact/addfriend", targetId=b.id)
    w = word()
    sent = seed(b, a.id, 12, 4, w)
    page = people.open(a, viewport={"width": 320, "height": 700})
    search(page, w)
    expect(page.locator("#search-list .hit")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.locator("#search-list .hit").nth(1).click()
    target = page.locator(f'#messages .msg[data-id="{sent[7]["Id"]}"]')
    expect(target).to_be_in_viewport()
    expect(page.locator("#sidebar")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.problems == []
