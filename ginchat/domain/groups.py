"""Groups: who may join, add, remove, change settings, make admins, hand
over and dissolve, and what newcomers read. A group's join policy (open:
anyone with its ID or name joins, as in the original; invite: members add
whom they may message), who may add (every member, or only the owner and the
admins), and its history (all, or only what comes after a member's join)."""

from ginchat.domain.access import app, may_message
from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models.community import ADMINS, ALL, MEMBERS, NOBODY, OPEN, Community, check_setting
from ginchat.models.contact import ADMIN_ROLE, MEMBER_ROLE, Contact
from ginchat.models.user_basic import UserBasic, commit_or_conflict
from ginchat.signals import (
    group_dissolved,
    group_member_added,
    group_member_removed,
    group_rules_changed,
    notice,
)


def _member_added(group, user_id, actor_id, history_id, announce=True):
    """Every node's map learns the member (and their join point); the group
    hears it (unless not ``announce``)."""
    group_member_added.send(
        app(),
        group_id=group.id,
        user_id=user_id,
        actor_id=actor_id,
        history_id=int(history_id or 0),
        announce=announce,
    )


def _notice(event, group, user_id, actor_id, users=(), to_group=True):
    notice.send(
        app(),
        event=event,
        users=list(users),
        group=group.id if to_group else None,
        user_id=user_id,
        group_id=group.id,
        actor_id=actor_id,
    )


def member_group(user_id, com_id):
    """The group ``com_id`` (ID or exact name) if ``user_id`` is a member (403 if not)."""
    group = Community.find(com_id)
    if not Contact.is_member(user_id, group.id):
        raise forbidden(f"you are not a member of {group.name}")
    return group


def owned_group(user_id, com_id):
    """The group ``com_id`` if ``user_id`` owns it (403 if not)."""
    group = member_group(user_id, com_id)
    if group.owner_id != user_id:
        raise forbidden(f"only the owner of {group.name} may do that")
    return group


# Who changes which setting. The owner: all of them. An admin: the rules of
# how the group is used, as group admins do in WeChat (全员禁言, @所有人) or
# Telegram (an admin's "ban users"/"pin" rights): who may write @all and @here,
# who may pin, who may write (issue 28: "group admins choose who may use
# them"). Who joins, what newcomers read, who adds people, the name, icon and
# description, the admins themselves and the ownership stay the owner's, and
# an admin may not take from the owner what the owner may do: "nobody" for
# @all and @here binds the owner too, so only the owner turns them off for
# everyone (or on again once they did). The owner and the admins always write
# and pin, whatever an admin chooses.
ADMIN_SETTINGS = ("whoMayMentionAll", "whoMayPin", "whoMayWrite")


def is_admin(group, user_id):
    row = Contact.membership(user_id, group.id)
    return row is not None and row.role == ADMIN_ROLE


def run_group(user_id, com_id):
    """The group ``com_id`` if ``user_id`` is its owner or an admin (403 if not)."""
    group = member_group(user_id, com_id)
    if group.owner_id != user_id and not is_admin(group, user_id):
        raise forbidden(f"only the owner and the admins of {group.name} may change its settings")
    return group


def _admin_may_change(group, name, icon, desc, settings):
    """403 for what an admin (not the owner) may not change; a field given
    with the value it has already changes nothing and passes (a client may
    send back the whole form)."""
    kept = {
        "policy": group.policy,
        "history": group.history,
        "whoMayAdd": group.who_may_add,
    }
    owners = [param for param, value in settings.items() if param in kept and value != kept[param]]
    if name is not None and name != group.name:
        owners.append("name")
    if icon is not None and icon != (group.img or ""):
        owners.append("icon")
    if desc is not None and desc != (group.desc or ""):
        owners.append("desc")
    if owners:
        raise forbidden(f"only the owner of {group.name} may change {', '.join(owners)}")
    wanted = settings.get("whoMayMentionAll", group.who_may_mention_all)
    current = group.who_may_mention_all or ADMINS
    if wanted != current and NOBODY in (wanted, current):
        raise forbidden(
            f"only the owner of {group.name} may turn @all and @here off for everyone, or on again (whoMayMentionAll)"
        )


def _member_of(group, user_id):
    if not Contact.is_member(user_id, group.id):
        raise not_found(f"user {user_id} is not a member of {group.name}")


def may_add(group, user_id, role):
    return user_id == group.owner_id or group.who_may_add == MEMBERS or role == ADMIN_ROLE


# --- joining -----------------------------------------------------------------------
def create_group(owner, name, img="", desc="", policy=OPEN, history=ALL, who_may_add=MEMBERS, members=()):
    """A new group; its owner is its first member, and ``members`` (ids,
    each someone the owner may message: access.may_message) join with it, in
    the same transaction: one refused id and nothing is made. ``img`` is a
    checked upload path."""
    members = [m for m in dict.fromkeys(members) if m != owner.id]
    for user_id in members:
        may_message(owner.id, user_id)
    group = Community.create(owner, name, img, desc, policy, history, who_may_add, members)
    _member_added(group, owner.id, owner.id, 0, announce=not members)  # made with people: they hear it below
    for user_id in members:
        added_with_others(group, user_id, owner.id, 0)
    return group


def added_with_others(group, user_id, actor_id, history_id, tell=True):
    """``user_id`` joined with many at once (a new group's members, a default
    group's accounts): every node's map learns it, and only they hear it
    (``tell``; their app opens the group), not each of the others."""
    _member_added(group, user_id, actor_id, history_id, announce=False)
    if tell:
        _notice("member_added", group, user_id, actor_id, users=[user_id], to_group=False)


def joined(group, user_id, history_id):
    """``user_id`` joined on their own (a default group, at registration): the group hears it."""
    _member_added(group, user_id, user_id, history_id)


def join_group(user, com_id):
    """``user`` joins on their own: open groups only, and not after the
    owner removed them."""
    group = Community.find(com_id)
    if Contact.is_member(user.id, group.id):
        raise conflict(f"you are already a member of {group.name}")
    if group.policy != OPEN:
        # Nothing more than the rule: no name, no owner, no member count.
        raise forbidden("this group is invite-only: ask one of its members to add you")
    if Contact.was_removed(user.id, group.id):
        raise forbidden("you were removed from this group: only one of its members can add you back")
    row = group.add_member_row(user.id, f"you are already a member of {group.name}")
    _member_added(group, user.id, user.id, row.history_id)
    return group


def add_member(adder, com_id, target_id):
    """``adder`` (a member allowed by who_may_add) adds ``target``, someone
    they may message (ginchat.domain.access.may_message: any account, or a
    friend with DIRECT_MESSAGES=friends); that also lifts an earlier
    removal. Returns (group, target)."""
    group = Community.find(com_id)
    target = UserBasic.must_get(target_id)
    row = Contact.membership(adder.id, group.id)
    if row is None:
        raise forbidden(f"you are not a member of {group.name}")
    if not may_add(group, adder.id, row.role):
        raise forbidden(f"only the owner and the admins of {group.name} may add people")
    if target.id == adder.id:
        raise bad_request("you are a member already")
    if Contact.is_member(target.id, group.id):
        raise conflict(f"{target.name} is already a member of {group.name}")
    may_message(adder.id, target.id)  # whom one may write to (DIRECT_MESSAGES), one may add
    added = group.add_member_row(target.id, f"{target.name} is already a member of {group.name}")
    _member_added(group, target.id, adder.id, added.history_id)
    return group, target


# --- members -----------------------------------------------------------------------
def members_with_roles(user_id, com_id):
    """(group, [(user, role)]) of a group ``user_id`` belongs to, owner first."""
    group = member_group(user_id, com_id)
    roles = Contact.member_roles(group.id)
    users = UserBasic.many(sorted(roles))
    return group, [(u, group.role_of(u.id, roles.get(u.id))) for u in users]


def role_names(user_id, rows):
    """Group rows gain Role: mine, owner, admin or member."""
    roles = Contact.group_roles(user_id)
    for row in rows:
        if row["OwnerId"] == user_id:
            row["Role"] = "owner"
        else:
            row["Role"] = "admin" if roles.get(row["ID"]) == ADMIN_ROLE else "member"
    return rows


def quit_group(user_id, com_id):
    """Leave a group. The owner hands it to another member first; an owner
    who is the last member dissolves it. Returns (name, dissolved?)."""
    group = member_group(user_id, com_id)
    if group.owner_id == user_id:
        if Contact.member_ids(group.id) - {user_id}:
            raise conflict(f"you own {group.name}: hand it to another member before you leave")
        group_id, name = group.id, group.name
        group.dissolve()
        group_dissolved.send(app(), group_id=group_id, actor_id=user_id)
        return name, True
    group.leave(user_id)
    db.session.commit()
    group_member_removed.send(app(), group_id=group.id, user_id=user_id, actor_id=user_id, event="member_left")
    return group.name, False


def remove_member(owner_id, group, user_id):
    """The owner (of ``group``, from owned_group) removes a member, who may
    not rejoin on their own."""
    if user_id == owner_id:
        raise bad_request("you cannot remove yourself: quit the group, or hand it over first")
    _member_of(group, user_id)
    group.remove_member(user_id)
    commit_or_conflict(f"user {user_id} was removed from {group.name} already")
    group_member_removed.send(app(), group_id=group.id, user_id=user_id, actor_id=owner_id, event="member_removed")


def update_group(actor_id, group, name=None, icon=None, desc=None, settings=None, check_icon=str):
    """The owner or an admin (of ``group``, from run_group) renames it or
    changes its icon (``check_icon`` turns it into a stored upload's path; ""
    clears it), description or settings ({param: value}); None leaves a
    field. An admin changes the ADMIN_SETTINGS only (403 otherwise, nothing
    changed); every member hears group_updated with the actor's id."""
    settings = {param: check_setting(param, value) for param, value in (settings or {}).items() if value is not None}
    if actor_id != group.owner_id:
        if not is_admin(group, actor_id):
            raise forbidden(f"only the owner and the admins of {group.name} may change its settings")
        _admin_may_change(group, name, icon, desc, settings)
    group.policy = settings.get("policy", group.policy)
    group.history = settings.get("history", group.history)
    group.who_may_add = settings.get("whoMayAdd", group.who_may_add)
    group.who_may_mention_all = settings.get("whoMayMentionAll", group.who_may_mention_all)
    group.who_may_pin = settings.get("whoMayPin", group.who_may_pin)
    group.who_may_write = settings.get("whoMayWrite", group.who_may_write)
    if name is not None and name != group.name:
        group.set_name(name)
    if icon is not None:
        group.img = check_icon(icon) if icon else ""
    if desc is not None:
        group.desc = desc
    group.commit_name()
    group_rules_changed.send(app(), group_id=group.id)
    _notice("group_updated", group, actor_id, actor_id)
    return group


def transfer_group(owner_id, group, user_id):
    """The owner (of ``group``, from owned_group) hands it to another member
    (and stays a member)."""
    if user_id == owner_id:
        raise bad_request("you own the group already")
    _member_of(group, user_id)
    if UserBasic.get_active(user_id) is None:
        raise not_found(f"no user with ID {user_id}")
    group.owner_id = user_id
    db.session.commit()
    group_rules_changed.send(app(), group_id=group.id)
    _notice("owner_changed", group, user_id, owner_id)
    return group


def set_admin(owner_id, group, user_id, admin):
    """The owner (of ``group``, from owned_group) makes a member an admin, or
    takes it back."""
    if user_id == owner_id:
        raise bad_request("you own the group: you may do everything already")
    row = Contact.membership(user_id, group.id)
    if row is None:
        raise not_found(f"user {user_id} is not a member of {group.name}")
    row.role = ADMIN_ROLE if admin else MEMBER_ROLE
    db.session.commit()
    group_rules_changed.send(app(), group_id=group.id)
    _notice("group_updated", group, user_id, owner_id)


# --- administrators (ginchat/domain/admin.py checks the role and logs) -------------------
def dissolve_any(actor_id, group):
    """Dissolve a group whoever owns it; every member hears it, on every node.
    Whatever the session holds (the audit line) is committed with it."""
    members = Contact.member_ids(group.id)
    group_id = group.id
    group.dissolve()
    group_dissolved.send(app(), group_id=group_id, actor_id=actor_id, members=sorted(members))


def transfer_orphan(actor_id, group, user_id):
    """Hand a group whose owner is gone (deactivated or deleted) to one of its members."""
    if UserBasic.get_active(group.owner_id) is not None:
        raise conflict(f"the owner of {group.name} is active: they hand it over themselves")
    _member_of(group, user_id)
    if UserBasic.get_active(user_id) is None:
        raise not_found(f"no user with ID {user_id}")
    group.owner_id = user_id
    db.session.commit()
    group_rules_changed.send(app(), group_id=group.id)
    _notice("owner_changed", group, user_id, actor_id)
    return group
