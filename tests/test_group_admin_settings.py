"""Group admins choose who may use the group (issue 28: "group admins
choose who may use them"): an admin changes WhoMayWrite, WhoMayPin and
WhoMayMentionAll like the owner, and the members hear it at once; the rest
stays the owner's (who joins, what newcomers read, who adds, name,
description, icon: 403, nothing changed), and an admin may not take from
the owner what the owner may do: @all and @here set to nobody bind the owner
too, so only the owner turns them off for everyone, or on again. See
ginchat/domain/groups.py (ADMIN_SETTINGS)."""

from helpers import until, ws_events
from http_checks import answer, error, listing


def group_row(user, gid):
    rows = listing(user.post("/contact/loadcommunity"))["Rows"]
    return next(r for r in rows if r["ID"] == gid)


def settings_of(user, gid):
    row = group_row(user, gid)
    keys = ("Name", "Desc", "Img", "Policy", "History", "WhoMayAdd", "WhoMayMentionAll", "WhoMayPin", "WhoMayWrite")
    return {k: row[k] for k in keys}


def test_an_admin_sets_who_may_write_pin_and_mention_all(api):
    owner, admin, member = api.user(), api.user(), api.user()
    gid = api.group(owner, admin, member)["ID"]
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="true"), 200)
    events = ws_events(member)
    wm, wo = member.ws(), owner.ws()

    body = answer(admin.post("/contact/updateGroup", comId=gid, whoMayWrite="admins", whoMayPin="admins"), 200)
    assert body["Data"]["WhoMayWrite"] == "admins" and body["Data"]["WhoMayPin"] == "admins"
    note = until(events, lambda f: f.get("Type") == 14 and f.get("Event") == "group_updated")
    assert (note["GroupId"], note["ActorId"], note["UserId"]) == (gid, admin.id, admin.id)
    # The rule holds at once: the member is refused, the owner still writes.
    wm.send(Type=2, TargetId=gid, Content="may I?", ClientMsgId="m-1")
    refused = until(wm, lambda f: f.get("ClientMsgId") == "m-1")
    assert refused["Type"] == -1 and refused["Code"] == 403
    wo.send(Type=2, TargetId=gid, Content="the owner writes", ClientMsgId="o-1")
    assert until(wo, lambda f: f.get("ClientMsgId") == "o-1")["Type"] == 2

    # @all: members, admins and back are the admin's to choose.
    assert (
        answer(admin.post("/contact/updateGroup", comId=gid, whoMayMentionAll="members"), 200)["Data"][
            "WhoMayMentionAll"
        ]
        == "members"
    )
    # The whole form sent back with the owner's settings as they are: fine.
    same = settings_of(owner, gid)
    answer(
        admin.post(
            "/contact/updateGroup",
            comId=gid,
            policy=same["Policy"],
            history=same["History"],
            whoMayAdd=same["WhoMayAdd"],
            name=same["Name"],
            desc=same["Desc"],
            whoMayMentionAll="admins",
            whoMayPin="members",
            whoMayWrite="admins",
        ),
        200,
    )
    after = settings_of(owner, gid)
    assert (after["WhoMayMentionAll"], after["WhoMayPin"], after["WhoMayWrite"]) == ("admins", "members", "admins")


def test_what_an_admin_may_not_change_is_refused_and_changes_nothing(api):
    owner, admin, member, outsider = api.user(), api.user(), api.user(), api.user()
    gid = api.group(owner, admin, member)["ID"]
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="true"), 200)
    before = settings_of(owner, gid)
    events = ws_events(member)
    # The owner's settings: one of them refuses the whole request.
    for field in ({"policy": "invite"}, {"history": "join"}, {"whoMayAdd": "admins"}, {"name": "taken over"}):
        error(admin.post("/contact/updateGroup", comId=gid, whoMayWrite="admins", **field), 403, "only the owner")
    error(admin.post("/contact/updateGroup", comId=gid, desc="mine now"), 403, "desc")
    error(admin.post("/contact/updateGroup", comId=gid, icon="/uploads/mine.png"), 403, "icon")
    # Nobody for @all binds the owner too: the owner's choice, either way.
    error(admin.post("/contact/updateGroup", comId=gid, whoMayMentionAll="nobody"), 403, "only the owner")
    assert settings_of(owner, gid) == before
    assert [f for f in events.quiet(0.5) if f.get("Event") == "group_updated"] == []  # refusals announce nothing
    answer(owner.post("/contact/updateGroup", comId=gid, whoMayMentionAll="nobody"), 200)
    error(admin.post("/contact/updateGroup", comId=gid, whoMayMentionAll="members"), 403, "only the owner")
    answer(admin.post("/contact/updateGroup", comId=gid, whoMayMentionAll="nobody", whoMayPin="admins"), 200)
    assert settings_of(owner, gid)["WhoMayMentionAll"] == "nobody"
    answer(owner.post("/contact/updateGroup", comId=gid, whoMayMentionAll="admins", whoMayPin="members"), 200)
    # Members, outsiders, a former admin: 403; bad values: 400 (before any rights).
    error(member.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 403, "owner and the admins")
    error(outsider.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 403)
    error(admin.post("/contact/updateGroup", comId=gid, whoMayWrite="nobody"), 400, "whoMayWrite")
    error(admin.post("/contact/updateGroup", comId=10**9, whoMayWrite="admins"), 404)
    answer(owner.post("/contact/setAdmin", comId=gid, userId=admin.id, admin="false"), 200)
    error(admin.post("/contact/updateGroup", comId=gid, whoMayWrite="admins"), 403)
    assert settings_of(owner, gid) == before
