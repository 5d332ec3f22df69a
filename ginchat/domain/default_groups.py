"""Default groups (DEFAULT_GROUPS, issue 27): the groups every new account
joins, like a team chat's #general.

The setting names groups; each name is applied once (a server_setting row
per name remembers it): the group is made, owned by the first administrator,
marked default, and every account there is joins it. From then on the mark
on the group is what counts: administrators set and clear it at run time
(POST /admin/defaultGroups), and a restart does not undo their choice. With
no administrator yet (an empty database), the names wait for the first
account, who becomes the administrator when registering."""

import hashlib
import logging

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ginchat.domain import groups
from ginchat.errors import AppError
from ginchat.extensions import db
from ginchat.models.admin import ServerSetting
from ginchat.models.community import JOIN, Community, check_group_name
from ginchat.models.contact import MEMBER, MEMBER_ROLE, REMOVED, Contact
from ginchat.models.user_basic import ADMIN, UserBasic, utcnow
from ginchat.settings import settings
from ginchat.utils.names import name_key

log = logging.getLogger("ginchat")

APPLIED = "default_group:"  # server_setting key prefix: a DEFAULT_GROUPS name applied already
DESCRIPTION = "Everyone on this server"


def setting_names(setting: str) -> list[str]:
    """The group names the DEFAULT_GROUPS setting lists (comma-separated), checked."""
    names = []
    for part in setting.split(","):
        if part.strip():
            try:
                names.append(check_group_name(part.strip()))
            except AppError as exc:
                raise ValueError(f"DEFAULT_GROUPS: {exc.msg}") from None
    return list(dict.fromkeys(names))


def _applied_key(name: str) -> str:
    # server_setting keys hold 64 characters: a digest of any name fits.
    return APPLIED + hashlib.sha256(name_key(name).encode()).hexdigest()[:40]


def first_admin() -> UserBasic | None:
    return db.session.scalar(
        select(UserBasic).where(UserBasic.role == ADMIN, *UserBasic.live()).order_by(UserBasic.id).limit(1)
    )


def apply_setting() -> list[Community]:
    """Make default every group DEFAULT_GROUPS names for the first time:
    made if missing (owned by the first administrator), every account joined.
    Nothing without an administrator. Safe to run again and on several nodes
    (start-up runs it under the schema lock; a name another node applied
    meanwhile is skipped). Returns the groups it made default."""
    names = [n for n in setting_names(settings().default_groups) if ServerSetting.read(_applied_key(n)) is None]
    db.session.rollback()  # end the read: nothing held while groups are made
    owner = first_admin() if names else None
    if owner is None:
        return []
    done = []
    for name in names:
        group = _find_or_make(owner, name)
        if group is None:
            continue
        group.is_default = 1
        ServerSetting.write(_applied_key(name), name)
        try:
            db.session.commit()
        except IntegrityError:  # another node applied it first
            db.session.rollback()
            continue
        join_everyone(group)
        log.info("default group %r (ID %s): every account joined", group.name, group.id)
        done.append(group)
    return done


def _find_or_make(owner: UserBasic, name: str) -> Community | None:
    found = db.session.scalar(select(Community).where(Community.name_key == name_key(name)))
    if found is not None:
        return found
    try:
        return Community.create(owner, name, desc=DESCRIPTION)
    except AppError as exc:  # made meanwhile, or the name looks like another group's
        found = db.session.scalar(select(Community).where(Community.name_key == name_key(name)))
        if found is None:
            log.warning("DEFAULT_GROUPS: group %r not made: %s", name, exc.msg)
        return found


def join_everyone(group: Community, announce: bool = False) -> int:
    """Every live account that is neither a member nor removed from
    ``group`` joins it, in one insert (the unique key keeps a concurrent
    join from doubling a row: the insert is tried again). Each node's map
    learns them; ``announce``: each newcomer hears it too. Returns how many joined."""
    for _attempt in range(3):
        top = group.latest_message_id()
        taken = select(Contact.owner_id).where(Contact.target_id == group.id, Contact.type.in_((MEMBER, REMOVED)))
        ids = list(db.session.scalars(select(UserBasic.id).where(*UserBasic.live(), UserBasic.id.not_in(taken))))
        if not ids:
            db.session.commit()
            return 0
        now = utcnow()
        rows = [
            {
                "owner_id": uid,
                "target_id": group.id,
                "type": MEMBER,
                "desc": "",
                "role": MEMBER_ROLE,
                "join_id": top,
                "history_id": top if group.history == JOIN else 0,
                "muted": 0,
                "created_at": now,
            }
            for uid in ids
        ]
        try:
            db.session.execute(insert(Contact), rows)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        history = top if group.history == JOIN else 0
        for uid in ids:
            groups.added_with_others(group, uid, group.owner_id, history, tell=announce)
        return len(ids)
    raise RuntimeError(f"could not add everyone to group {group.id}")


def welcome(user: UserBasic) -> None:
    """A new account joins the default groups (the first one, the
    administrator, first makes those DEFAULT_GROUPS names)."""
    if user.is_admin:
        apply_setting()
    for group in Community.defaults():
        if Contact.is_member(user.id, group.id):
            continue
        try:
            row = group.add_member_row(user.id, "already a member")
        except AppError:  # joined meanwhile
            continue
        groups.joined(group, user.id, row.history_id)


def set_default(group: Community, default: bool, everyone: bool = False) -> int:
    """Mark ``group`` default or not (the caller checked the administrator
    and writes the audit line with it); ``everyone``: every account joins
    now too. Returns how many joined."""
    group.is_default = 1 if default else 0
    db.session.commit()
    return join_everyone(group, announce=True) if default and everyone else 0
