"""Files of any type between two people in Chromium: the attach-file button,
the file card (icon, name, size, type), and a download that the server
serves only as an attachment."""

import pytest

from e2e_support import expect_stored, register, screenshot
from playwright_compat import expect


@pytest.fixture
def two_friends(server, people):
    a, b = register(server, "fa"), register(server, "fb")
    a.post("/contact/addfriend", targetId=b.id)
    pa, pb = people.open(a), people.open(b)
    for page, other in ((pa, b), (pb, a)):
        page.locator("#chat-list a", has_text=other.name).click()
        # A click on a row the first list refresh replaced goes nowhere: then by its address.
        if not page.locator("#conv").is_visible():
            page.evaluate(f"location.hash = '#u{other.id}'")
        expect(page.locator("#conv-title")).to_contain_text(other.name)
    return a, b, pa, pb


def test_a_file_is_sent_and_the_other_side_downloads_it(two_friends, tmp_path):
    a, b, pa, pb = two_friends
    # The picture chooser still takes pictures only; the file chooser anything.
    assert pa.locator("#image-input").get_attribute("accept") == "image/png,image/jpeg,image/gif,image/webp"
    assert pa.locator("#file-input").get_attribute("accept") is None
    content = b"<!doctype html><script>alert('not in our origin')</script>\n" * 40
    page_file = tmp_path / "Meeting notes <draft>.html"
    page_file.write_bytes(content)
    pa.locator("#file-input").set_input_files(str(page_file))

    mine = pa.locator("#messages .msg.mine[data-media='5']")
    expect_stored(mine)
    expect(mine.locator(".file-name")).to_have_text("Meeting notes _draft_.html")
    card = pb.locator("#messages .msg.theirs[data-media='5'] .file-card")
    expect(card.locator(".file-name")).to_have_text("Meeting notes _draft_.html")
    expect(card.locator(".file-meta")).to_have_text(f"{len(content) / 1024:.1f} KB · text/html")
    expect(card.locator(".file-icon")).to_have_text("📝")
    expect(pb.locator("#chat-list a", has_text=a.name).locator(".preview")).to_have_text(
        "📎 Meeting notes _draft_.html"
    )
    screenshot(pb, "private-conversation-file")

    # The download: the browser saves it under its name, it never opens.
    with pb.expect_download() as info:
        card.get_by_role("link", name="Download Meeting notes _draft_.html").click()
    download = info.value
    assert download.suggested_filename == "Meeting notes _draft_.html"
    with open(download.path(), "rb") as fh:
        assert fh.read() == content
    url = card.locator("a.file-name").get_attribute("href")
    r = pb.request.get(url)
    assert r.status == 200
    headers = r.headers
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Meeting%20notes%20_draft_.html" in headers["content-disposition"]
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]
    assert pa.problems == [] and pb.problems == []


def test_file_bubbles_fit_a_phone(server, people, tmp_path):
    a, b = register(server, "fp"), register(server, "fq")
    a.post("/contact/addfriend", targetId=b.id)
    page = people.open(a, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page.locator("#chat-list a", has_text=b.name).click()
    long_name = tmp_path / ("a-rather-long-file-name-that-goes-on-and-on-" * 2 + ".tar.gz")
    long_name.write_bytes(b"\x1f\x8b\x08\x00" + bytes(5000))
    page.locator("#file-input").set_input_files(str(long_name))
    mine = page.locator("#messages .msg.mine[data-media='5']")
    expect_stored(mine)
    expect(mine.locator(".file-meta")).to_contain_text("application/gzip")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "phone-file")
    assert page.problems == []
