"""What administrators may do, the one set of rules for it: roles,
deactivating and reactivating accounts, reset links, any group; every action
is written to the audit log in the same transaction as the change. Who may
join (registration, invitations) is ginchat/domain/admission.py."""

from sqlalchemy import func, select

from ginchat.domain import accounts, default_groups, groups
from ginchat.domain.access import app
from ginchat.domain.sessions import end_all_sessions, end_other_sessions
from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models.admin import AuditEntry, PasswordReset, ServerSetting
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.user_basic import ADMIN, UserBasic, name_key, utcnow

ROLES = (ADMIN, "")
MAX_DETAIL = 255


# --- the audit log ----------------------------------------------------------------
def audit(actor_id, action, user_id=None, group_id=None, detail=""):
    """One line of the log (no commit: it goes with the change it records)."""
    db.session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_user_id=user_id,
            target_group_id=group_id,
            detail=str(detail)[:MAX_DETAIL],
        )
    )


def audit_page(page, size):
    """The log, newest first: (entries, total)."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    rows = db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).offset((page - 1) * size).limit(size)
    ).all()
    return rows, total


# --- administrators ------------------------------------------------------------------
def require_admin(user):
    if user is None or not getattr(user, "is_admin", False):
        raise forbidden("only an administrator may do this")
    return user


def _live_admins_but(user_id):
    """How many other live administrators there are; their rows stay locked
    (MariaDB, PostgreSQL) until the commit, so two requests cannot each take
    away one of the last two."""
    query = select(UserBasic.id).where(UserBasic.role == ADMIN, *UserBasic.live(), UserBasic.id != user_id)
    return len(db.session.scalars(query.with_for_update()).all())


def _keep_one_admin(target, doing):
    """409 when ``target`` is the last live administrator."""
    if target.is_admin and target.is_active and not _live_admins_but(target.id):
        raise conflict(f"{target.name} is the last administrator: make another one before {doing}")


# --- one-time tips (issue 27) -----------------------------------------------------
# The first account is told, once, that it is the administrator. "Once" holds
# across devices: a server_setting row per account and tip, "due" until the
# account dismisses it, then "seen".
FIRST_ADMIN_TIP = "first_admin"
TIPS = (FIRST_ADMIN_TIP,)
TIP_DUE, TIP_SEEN = "due", "seen"


def tip_key(tip, user_id):
    return f"tip:{tip}:{int(user_id)}"


def tip_due(user, tip):
    """Should ``user`` be shown ``tip`` now? (The administrator tip: only
    while they are still an administrator.)"""
    if tip == FIRST_ADMIN_TIP and not user.is_admin:
        return False
    return ServerSetting.read(tip_key(tip, user.id)) == TIP_DUE


def dismiss_tip(user, tip):
    """``user`` has read ``tip``: it is not shown again, on any device.
    A tip that was not due stays as it is (nothing to dismiss); an unknown
    one is a 400."""
    if tip not in TIPS:
        raise bad_request(f"tip must be one of: {', '.join(TIPS)}")
    key = tip_key(tip, user.id)
    if ServerSetting.read(key) == TIP_DUE:
        ServerSetting.write(key, TIP_SEEN)
        db.session.commit()
    else:
        db.session.rollback()


def must_get_account(user_id):
    """An account, deactivated or not (404 for none or a deleted one)."""
    user = UserBasic.get_existing(user_id)
    if user is None:
        raise not_found(f"no user with ID {user_id}")
    return user


def set_role(actor, user_id, role):
    require_admin(actor)
    role = "" if role == "member" else role
    if role not in ROLES:
        raise bad_request("role must be admin or member")
    target = must_get_account(user_id)
    if role == target.role:
        return target
    if role != ADMIN:
        _keep_one_admin(target, "taking the role away")
    target.role = role
    audit(actor.id, "set_role", target.id, detail=f"role={role or 'member'}")
    db.session.commit()
    return target


def make_admin_by_name(name):
    """The command line's make-admin: no actor (whoever runs it owns the server)."""
    user = db.session.scalar(
        select(UserBasic).where(UserBasic.deleted_at.is_(None), UserBasic.name_key == name_key(name or ""))
    )
    if user is None:
        raise not_found(f"no user named {name!r}")
    if not user.is_admin:
        user.role = ADMIN
        audit(None, "set_role", user.id, detail="role=admin (command line)")
        db.session.commit()
    return user


def contains(name_key_column, query):
    """Names holding ``query`` (case-folded), LIKE's wildcards taken literally."""
    text = query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return name_key_column.like(f"%{text}%", escape="\\")


def list_accounts(query, page, size):
    """Every account for the admin page, deactivated ones too: (users, total)."""
    where = [UserBasic.deleted_at.is_(None)]
    if query:
        where.append(contains(UserBasic.name_key, query))
    total = db.session.scalar(select(func.count()).select_from(UserBasic).where(*where))
    users = db.session.scalars(
        select(UserBasic).where(*where).order_by(UserBasic.id).offset((page - 1) * size).limit(size)
    ).all()
    return users, total


def admin_view(user):
    """An account as administrators see it (no password, no secret)."""
    data = user.public(False, contact=True)
    data["Role"] = user.role or ""
    data["Deactivated"] = user.deactivated_at is not None
    return data


def create_account(actor, name, password):
    """An account an administrator creates (whatever REGISTRATION says)."""
    require_admin(actor)
    user = accounts.register(name, password)
    audit(actor.id, "create_user", user.id, detail=user.name)
    db.session.commit()
    default_groups.welcome(user)
    return user


# --- deactivating, reactivating, deleting ------------------------------------------------
def deactivate(actor, user_id):
    """The account can no longer log in; its sessions, tokens and sockets end on
    every node; others no longer find it; its messages stay."""
    require_admin(actor)
    target = must_get_account(user_id)
    if target.deactivated_at is not None:
        return target
    _keep_one_admin(target, "deactivating them")
    target.deactivated_at = utcnow()
    audit(actor.id, "deactivate", target.id)
    db.session.commit()
    # Tokens and cookies end, then their sockets on every node; bounded by the
    # last session ended, so the sockets of a later reactivation's logins stay.
    end_other_sessions(target.id, keep=None)
    return target


def reactivate(actor, user_id):
    require_admin(actor)
    target = must_get_account(user_id)
    if target.deactivated_at is None:
        return target
    target.deactivated_at = None
    audit(actor.id, "reactivate", target.id)
    db.session.commit()
    return target


def delete_own_account(user):
    """A user deletes their own account (the password checked already): the
    last administrator may not, as no administrator may delete them."""
    _keep_one_admin(user, "deleting the account")
    accounts.soft_delete(user)
    end_all_sessions(user.id)  # every socket of the account


def delete_account(actor, user_id):
    """Delete as the user's own deletion does (soft delete, every session ends)."""
    require_admin(actor)
    target = must_get_account(user_id)
    _keep_one_admin(target, "deleting them")
    audit(actor.id, "delete", target.id, detail=target.name)
    accounts.soft_delete(target)
    end_all_sessions(target.id)
    return target


# --- groups -------------------------------------------------------------------------------
def list_groups(actor, query, page, size):
    """Every group with its owner (and whether the owner is still active) and
    member count, for administrators: (rows, total)."""
    require_admin(actor)
    where = []
    if query:
        where.append(contains(Community.name_key, query))
    total = db.session.scalar(select(func.count()).select_from(Community).where(*where))
    rows = db.session.scalars(
        select(Community).where(*where).order_by(Community.id).offset((page - 1) * size).limit(size)
    ).all()
    return _admin_group_rows(rows), total


def list_default_groups(actor):
    """The groups every new account joins (marked default), in ID order, as
    list_groups shows them, for administrators."""
    require_admin(actor)
    return _admin_group_rows(Community.defaults())


def _admin_group_rows(rows):
    counts = Contact.member_counts([g.id for g in rows])
    owners = {
        u.id: u for u in db.session.scalars(select(UserBasic).where(UserBasic.id.in_({g.owner_id for g in rows}))).all()
    }
    out = []
    for group in rows:
        owner = owners.get(group.owner_id)
        data = group.public(counts.get(group.id, 0))
        data["OwnerName"] = owner.name if owner is not None and owner.deleted_at is None else ""
        data["Orphaned"] = owner is None or not owner.is_active
        out.append(data)
    return out


def must_get_group(group_id):
    group = db.session.get(Community, group_id)
    if group is None:
        raise not_found(f"no group with ID {group_id}")
    return group


def transfer_group(actor, group_id, user_id):
    """Give an orphaned group (its owner deactivated or deleted) to a member."""
    require_admin(actor)
    group = must_get_group(group_id)
    audit(actor.id, "transfer_group", user_id, group.id, detail=f"{group.name}: from {group.owner_id}")
    return groups.transfer_orphan(actor.id, group, user_id)


def dissolve_group(actor, group_id):
    """Dissolve any group; its members hear it on every node."""
    require_admin(actor)
    group = must_get_group(group_id)
    audit(actor.id, "dissolve_group", group.owner_id, group.id, detail=group.name)
    groups.dissolve_any(actor.id, group)


def member_count(group):
    return Contact.member_counts([group.id]).get(group.id, 0)


def set_default_group(actor, group_id, default, everyone=False):
    """Mark a group default (every new account joins it) or not; with
    ``everyone``, every account joins it now as well. Returns (group, joined)."""
    require_admin(actor)
    group = must_get_group(group_id)
    audit(actor.id, "default_group", None, group.id, detail=f"{group.name}: {'on' if default else 'off'}")
    return group, default_groups.set_default(group, default, everyone)


# --- password reset links -------------------------------------------------------------------
def issue_reset(actor, user_id):
    """A one-time link for ``user_id`` (an hour); the token is returned once."""
    require_admin(actor)
    target = must_get_account(user_id)
    token, row = PasswordReset.make(target.id, actor.id)
    audit(actor.id, "reset_link", target.id)
    db.session.commit()
    return token, row, target


def use_reset(token, password):
    """Set the new password; every session of the account ends."""
    row = PasswordReset.find(token)
    if row is None or row.used or row.expires_at < utcnow():
        raise forbidden("the reset link is invalid, used or expired: ask an administrator for a new one")
    user = UserBasic.get_existing(row.user_id)
    if user is None:
        raise forbidden("the reset link is invalid, used or expired: ask an administrator for a new one")
    accounts.set_password(user, password)  # 400 before the link is used up
    if not row.take():
        db.session.rollback()
        raise forbidden("the reset link is invalid, used or expired: ask an administrator for a new one")
    audit(None, "password_reset", user.id, detail="by reset link")
    db.session.commit()
    end_other_sessions(user.id, keep=None)
    return user


__all__ = ["app"]
