"""Who may join (issue 24): the registration mode, invitations, and the
admission of a new account; the whole of registering one (the limits, the
invitation's use, the first account's administrator, the default groups)."""

from collections.abc import Sequence

from sqlalchemy import func, select

from ginchat.domain import accounts, default_groups
from ginchat.domain.admin import FIRST_ADMIN_TIP, TIP_DUE, audit, require_admin, tip_key
from ginchat.errors import AppError, bad_request, forbidden, not_found
from ginchat.extensions import db
from ginchat.models.admin import Invitation, ServerSetting
from ginchat.models.user_basic import ADMIN, UserBasic, commit_or_conflict
from ginchat.settings import settings
from ginchat.utils.ratelimit import RateLimiter

REGISTRATION_MODES = ("open", "invite", "closed")
REGISTRATION_KEY = "registration"  # the run-time setting (server_setting), shared by every node
FIRST = "first account"  # admit's answer for the first account of an empty database


def registration_mode() -> str:
    """open | invite | closed: the run-time choice (SQL, so it holds while
    Redis is down), else the REGISTRATION setting."""
    stored = ServerSetting.read(REGISTRATION_KEY)
    if stored in REGISTRATION_MODES:
        return stored
    return settings().registration


def set_registration(actor: UserBasic, mode: str) -> str:
    require_admin(actor)
    if mode not in REGISTRATION_MODES:
        raise bad_request("registration must be open, invite or closed")
    ServerSetting.write(REGISTRATION_KEY, mode)
    audit(actor.id, "set_registration", detail=f"registration={mode}")
    commit_or_conflict("another administrator set registration at the same moment; try again")
    return mode


def may_invite(user: UserBasic) -> UserBasic:
    if user.is_admin or settings().invites_by_members:
        return user
    raise forbidden("only an administrator may invite people")


def create_invitation(user: UserBasic, uses: int, hours: int) -> tuple[str, Invitation]:
    may_invite(user)
    token, row = Invitation.make(user.id, uses, hours)
    db.session.flush()
    audit(user.id, "invite", detail=f"invitation {row.id}: {uses} use(s), {hours} h")
    db.session.commit()
    return token, row


def list_invitations(user: UserBasic) -> Sequence[Invitation]:
    """An administrator sees every invitation; a member their own."""
    may_invite(user)
    query = select(Invitation).order_by(Invitation.id.desc()).limit(200)
    if not user.is_admin:
        query = query.where(Invitation.created_by == user.id)
    return db.session.scalars(query).all()


def revoke_invitation(user: UserBasic, invitation_id: int) -> Invitation:
    may_invite(user)
    row = db.session.get(Invitation, invitation_id)
    if row is None or (not user.is_admin and row.created_by != user.id):
        raise not_found(f"no invitation with ID {invitation_id}")
    row.revoked = True
    audit(user.id, "revoke_invitation", detail=f"invitation {row.id}")
    db.session.commit()
    return row


def admit(invite: str | None) -> Invitation | str | None:
    """Before an account is created: may it be? FIRST for the first account
    of an empty database, whatever REGISTRATION says (README: it becomes the
    administrator); else takes one use of a valid invitation (no commit: it
    goes with the new account), or None when registration is open; 403
    otherwise."""
    if db.session.scalar(select(UserBasic.id).limit(1)) is None:
        return FIRST
    mode = registration_mode()
    if invite:
        row = Invitation.find(invite)
        if row is None or not row.is_live() or not row.take():
            raise forbidden("the invitation is invalid, used up, revoked or expired")
        return row
    if mode == "open":
        return None
    if mode == "invite":
        raise forbidden("registration needs an invitation: ask a member of this server for an invitation link")
    raise forbidden("registration is closed: an administrator creates accounts on this server")


def first_account_admin(user: UserBasic, admission: Invitation | str | None = None) -> None:
    """The first account of an empty database becomes the administrator: the
    one with the lowest id, when no administrator exists yet. ``admission``:
    what ``admit`` said; an account let in only as the first (FIRST) whose
    registration lost the race to another one made at the same moment is
    removed again, with the 403 that REGISTRATION gives it."""
    if not db.session.scalar(select(func.count()).select_from(UserBasic).where(UserBasic.role == ADMIN)):
        if db.session.scalar(select(func.min(UserBasic.id))) == user.id:
            user.role = ADMIN
            audit(None, "first_admin", user.id, detail=f"{user.name} is the first account")
            ServerSetting.write(tip_key(FIRST_ADMIN_TIP, user.id), TIP_DUE)  # told once (issue 27)
            db.session.commit()
            return
    if admission is FIRST:
        try:
            admit(None)
        except AppError:
            db.session.delete(user)  # nothing refers to an account made a moment ago
            db.session.commit()
            raise


def register(
    name: str,
    password: str | None,
    repeat: str | None,
    remote_addr: str | None,
    invite: str | None = None,
    display_name: str = "",
) -> UserBasic:
    """A new account by the rules: the address's registration limit, the two
    passwords alike, admission (an invitation's use is committed with the
    account), the first account's administrator, the default groups."""
    limiter = RateLimiter.of()
    limiter.check_registration(remote_addr)
    if repeat is not None and repeat != password:
        raise bad_request("the two passwords differ")
    admission = admit(invite)  # one use of the invitation is committed with the account
    user = accounts.register(name, password, display_name)
    first_account_admin(user, admission)
    default_groups.welcome(user)
    limiter.registered(remote_addr)
    return user
