"""Accounts: the rules of names, passwords, phone numbers and e-mail
addresses, registration, login and profile changes (the tables and their
queries are ginchat/models/user_basic.py)."""

import re

from ginchat.errors import bad_request, forbidden, unauthorized
from ginchat.extensions import db
from ginchat.models.auth_token import AuthToken
from ginchat.models.columns import utcnow
from ginchat.models.user_basic import UserBasic
from ginchat.utils.names import check_display_name, check_lookalikes, normal_form
from ginchat.utils.ratelimit import RateLimiter

NAME_RE = re.compile(r"^[^\s\x00-\x1f<>\"'&/\\]{1,32}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
EMAIL_RE = re.compile(
    r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?)+$"
)
MIN_PASSWORD = 6
MAX_PASSWORD = 128


def check_name(name: str, what: str = "name") -> str:
    """The name as stored (NFKC), or a 400 saying what is wrong with it."""
    name = check_lookalikes(normal_form(name), what)
    if not NAME_RE.match(name):
        raise bad_request(f"{what} must be 1 to 32 characters without spaces, quotes, slashes or < > &")
    return name


def check_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD:
        raise bad_request(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise bad_request(f"password must have at most {MAX_PASSWORD} characters")
    return password


def check_phone(phone: str) -> str:
    if phone and not PHONE_RE.match(phone):
        raise bad_request("phone must be 6 to 20 digits, optionally with + - or spaces")
    return phone


def check_email(email: str) -> str:
    if email and not EMAIL_RE.match(email):
        raise bad_request("email is not a valid address")
    return email


def set_password(user: UserBasic, password: str | None) -> None:
    """A new password for ``user`` (not committed), or a 400 saying what is wrong."""
    user.set_password(check_password(password))


def register(name: str, password: str | None, display_name: str = "") -> UserBasic:
    """A new account, committed; 400 for a bad name or password, 409 for a
    name (or a look-alike of one) another account has."""
    user = UserBasic()
    user.set_name(check_name(name))
    user.set_display_name(check_display_name(display_name or ""))
    set_password(user, password)
    db.session.add(user)
    user.commit_name()
    return user


def authenticate(name: str | None, password: str | None) -> UserBasic:
    """The account ``name`` and ``password`` open: 401 for a wrong pair,
    403 (said only to whoever knows the password) for a deactivated one."""
    user = UserBasic.find_existing_by_name(name) if name else None
    if user is None or not user.verify_password(password):
        raise unauthorized("wrong name or password")
    if user.deactivated_at is not None:
        raise forbidden("this account is deactivated; ask an administrator")
    return user


def update_profile(
    user: UserBasic,
    name: str | None = None,
    password: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    avatar: str | None = None,
    display_name: str | None = None,
) -> UserBasic:
    """Change what is given of ``user``'s profile, each by its rule; committed."""
    if name is not None and name != user.name:
        user.set_name(check_name(name))
    if display_name is not None:
        user.set_display_name(check_display_name(display_name))
    if password is not None:
        set_password(user, password)
    if phone is not None:
        user.phone = check_phone(phone)
    if email is not None:
        user.email = check_email(email)
    if avatar is not None:
        user.avatar = avatar
    user.commit_name()
    return user


def soft_delete(user: UserBasic) -> None:
    """The account is deleted (kept as a row others' history names) and
    every session of it ends; committed."""
    user.deleted_at = utcnow()
    db.session.execute(db.update(AuthToken).where(AuthToken.user_id == user.id).values(revoked=True))
    db.session.commit()


def log_in(name: str | None, password: str | None, remote_addr: str | None) -> UserBasic:
    """The account a login opens, within the failed-login limits of the name
    and the address (429 past them; a wrong password counts against both)."""
    limiter = RateLimiter.of()
    limiter.reserve_login(name, remote_addr)  # counted as a failure unless it succeeds
    user = authenticate(name, password)
    limiter.login_succeeded(name, remote_addr)
    return user


def check_current_password(user: UserBasic, password: str | None, field: str, remote_addr: str | None) -> None:
    """A password asked for again (a new password, deleting the account): a
    wrong one counts as a failed login of the name, so a stolen session cannot
    guess without limit; 403 when wrong, 429 past the name's limit."""
    limiter = RateLimiter.of()
    limiter.reserve_login(user.name, remote_addr)
    if not user.verify_password(password):
        raise forbidden(f"{field} is not your current password")
    limiter.login_succeeded(user.name, remote_addr)
