"""Closed groups in the browser: a group made in the Groups view is invite-only;
its owner sees the settings in the group panel, changes them, and adds a
friend through "Add people" (which offers colleagues too), who then has the group (and none of its past
when newcomers read from their join on)."""

from e2e_support import befriend, expect_stored, register, screenshot, unique_name
from playwright_compat import expect


def test_the_owner_sets_the_group_up_and_adds_a_friend(server, people):
    owner, friend, stranger = register(server, "own"), register(server, "fri"), register(server, "str")
    befriend(owner, friend)
    po, pf = people.open(owner), people.open(friend)
    name = unique_name("club")

    # Made in the browser: invite-only by default.
    po.get_by_role("tab", name="Groups").click()
    po.get_by_label("Create a group").fill(name)
    expect(po.locator("#group-new-policy")).to_have_value("invite")
    po.locator("#create-group-form").get_by_role("button", name="Create").click()
    status = po.locator("#create-group-form .form-status")
    expect(status).to_contain_text(f"Group {name} created")
    gid = status.inner_text().split("(ID ")[1].rstrip(").")
    r = stranger.post("/contact/joinGroup", comId=gid)
    assert r.status_code == 403 and "invite-only" in r.json()["Msg"]

    # The owner writes before anyone else is in, then opens the panel.
    po.locator(f'#group-list a[href="#g{gid}"]').click()
    po.get_by_role("textbox", name="Message").fill("before you came")
    po.get_by_role("textbox", name="Message").press("Enter")
    expect_stored(po.locator("#messages .msg.mine", has_text="before you came"))
    po.get_by_role("button", name="Members").click()
    settings = po.locator("#group-settings")
    expect(settings).to_be_visible()
    expect(settings.locator("#group-policy")).to_have_value("invite")
    expect(settings.locator("#group-history")).to_have_value("all")
    expect(settings.locator("#group-who-may-add")).to_have_value("members")
    settings.locator("#group-history").select_option("join")
    settings.get_by_role("button", name="Save settings").click()
    expect(settings.locator(".form-status")).to_have_text("Settings saved.")

    # "Add people" lists whoever the owner may message who is not a member
    # (issue 27: colleagues too, DIRECT_MESSAGES=members), searchable.
    po.get_by_role("button", name="Add people").click()
    finder = po.get_by_role("searchbox", name="Find people to add to this group")
    finder.fill(stranger.name)
    expect(po.locator("#add-people-list li", has_text=stranger.name)).to_have_count(1)
    finder.fill(friend.name)
    candidates = po.locator("#add-people-list li")
    expect(candidates).to_have_count(1)
    expect(candidates).to_contain_text(friend.name)
    screenshot(po, "group-settings-and-add-people")
    po.get_by_role("button", name=f"Add {friend.name}").click()
    expect(po.locator("#member-list li")).to_have_count(2)
    expect(po.locator("#add-people-list li.empty")).to_have_text(f"Nobody found for “{friend.name}”.")

    # The friend has the group at once (live), without its past.
    pf.get_by_role("tab", name="Groups").click()
    link = pf.locator(f'#group-list a[href="#g{gid}"]')
    expect(link).to_be_visible()
    link.click()
    expect(pf.locator("#conv-title")).to_have_text(name)
    po.get_by_role("textbox", name="Message").fill("welcome aboard")
    po.get_by_role("textbox", name="Message").press("Enter")
    expect(pf.locator("#messages .msg.theirs", has_text="welcome aboard")).to_be_visible()
    expect(pf.locator("#messages .msg", has_text="before you came")).to_have_count(0)
    # A member sees no settings form (only the owner changes them).
    pf.get_by_role("button", name="Members").click()
    expect(pf.locator("#member-list li")).to_have_count(2)
    expect(pf.locator("#group-settings")).to_be_hidden()
    assert po.problems == [] and pf.problems == []
