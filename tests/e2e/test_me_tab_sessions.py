"""The Me tab ends sessions: a new password needs the current one and logs
out the other browsers; "Log out everywhere else" does it on demand. The
other browser's socket closes and its page goes back to the login form."""

import re

import requests

from e2e_support import PASSWORD, confirm, login, open_settings, register
from playwright_compat import expect

NEW_PASSWORD = "browser-pw-2"


def logged_out(page):
    """The page went back to the login form (its session ended on the server)."""
    expect(page).to_have_url(re.compile(r"/\?next=|/$|/index"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_change_password_and_log_out_everywhere_else(server, people):
    me = register(server, "sess")
    mine = people.open(me)
    other = people.open(me)

    # Without the current password nothing is sent; with a wrong one the server refuses.
    open_settings(mine, "profile")
    mine.get_by_label("New password").fill(NEW_PASSWORD)
    mine.get_by_role("button", name="Save profile").click()
    expect(mine.locator("#profile-form .form-status")).to_contain_text("current password")
    mine.get_by_label("Current password").fill("not-my-password")
    mine.get_by_role("button", name="Save profile").click()
    expect(mine.locator("#profile-form .form-status")).to_have_class(re.compile("error"))
    expect(mine.locator("#profile-form .form-status")).to_contain_text("not your current password")
    expect(other.locator("#conn-status")).to_have_attribute("data-state", "open")

    # With it, the password changes and every other session ends: the other
    # browser goes back to the login form, the script's token stops working.
    mine.get_by_label("New password").fill(NEW_PASSWORD)
    mine.get_by_label("Current password").fill(PASSWORD)
    mine.get_by_role("button", name="Save profile").click()
    expect(mine.locator("#profile-form .form-status")).to_contain_text("other sessions are logged out")
    logged_out(other)
    assert me.post("/searchFriends").status_code == 401
    expect(mine.locator("#conn-status")).to_have_attribute("data-state", "open")
    assert (
        requests.post(
            server.url + "/user/findUserByNameAndPwd", data={"name": me.name, "password": PASSWORD}, timeout=10
        ).status_code
        == 401
    )

    # The other browser logs in again with the new password; "Log out
    # everywhere else" in the first one sends it back to the login form.
    login(other, me.name, NEW_PASSWORD)
    open_settings(mine, "sessions")
    mine.get_by_role("button", name="Log out everywhere else").click()
    confirm(mine, "Log out others")
    expect(mine.locator("#sessions-box .form-status")).to_contain_text("Logged out everywhere else (1 session)")
    logged_out(other)
    other.goto("/toChat")
    logged_out(other)

    # The first browser goes on: its socket stays, its pages and API calls work.
    expect(mine.locator("#conn-status")).to_have_attribute("data-state", "open")
    mine.reload()
    expect(mine.locator("#conn-status")).to_have_attribute("data-state", "open")
    assert mine.problems == [] and other.problems == []
