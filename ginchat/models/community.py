"""Groups (the Go project's models/community.go) and their settings: the
join policy (open or invite), what newcomers read (all or from their join
on) and who may add people (members or admins). Who may do what with them
is decided in ginchat/domain/groups.py."""

import re
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, SmallInteger, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.errors import bad_request, not_found
from ginchat.extensions import Model, db
from ginchat.limits import MAX_ID
from ginchat.models import message as messages
from ginchat.models import read_cursor
from ginchat.models.contact import ADMIN_ROLE, MEMBER, MEMBER_ROLE, REMOVED, Contact
from ginchat.models.user_basic import NAME_KEY_TYPE, commit_name, commit_or_conflict, starts_with, utcnow
from ginchat.utils.names import check_lookalikes, name_key, normal_form, skeleton

OPEN, INVITE = "open", "invite"
ALL, JOIN = "all", "join"
MEMBERS, ADMINS = "members", "admins"
NOBODY = "nobody"
# The parameter each setting is given by, and its values.
SETTINGS: dict[str, tuple[str, ...]] = {
    "policy": (OPEN, INVITE),
    "history": (ALL, JOIN),
    "whoMayAdd": (MEMBERS, ADMINS),
}
# Who may write @all and @here (issue 28): every member, the owner and the admins, or nobody.
SETTINGS["whoMayMentionAll"] = (MEMBERS, ADMINS, NOBODY)
# Issue 28: who may pin messages, and who may write (admins: an announcement
# group, read-only for members).
SETTINGS.update(whoMayPin=(MEMBERS, ADMINS), whoMayWrite=(MEMBERS, ADMINS))
NOTICE_MAX = 2000  # characters of a group notice (群公告)

# Group names may have inner spaces ("Team Berlin"), not the characters user
# names refuse, nor leading or trailing blanks.
_BAD = "\\x00-\\x1f<>\"'&/\\\\"
GROUP_NAME_RE = re.compile(rf"^[^\s{_BAD}](?:[^{_BAD}]{{0,30}}[^\s{_BAD}])?$")


def check_group_name(name):
    """The group name as stored (NFKC), or a 400 saying what is wrong with it."""
    name = check_lookalikes(normal_form(name), "group name")
    if not GROUP_NAME_RE.match(name):
        raise bad_request("group name must be 1 to 32 characters without quotes, slashes or < > &")
    return name


def check_setting(param, value):
    """A group setting given as ``param`` (policy, history, whoMayAdd)."""
    allowed = SETTINGS[param]
    if value not in allowed:
        raise bad_request(f"{param} must be {' or '.join(allowed)}")
    return value


class Community(Model):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    name_key: Mapped[str] = mapped_column(NAME_KEY_TYPE, unique=True, nullable=False)
    # The TR39 skeleton: no two groups have names that pass for each other.
    name_skeleton: Mapped[str] = mapped_column(NAME_KEY_TYPE, unique=True, nullable=False)
    owner_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    img: Mapped[str] = mapped_column(String(255), default="")
    desc: Mapped[str] = mapped_column(String(255), default="")
    policy: Mapped[str] = mapped_column(String(8), nullable=False, default=OPEN, server_default=OPEN)
    history: Mapped[str] = mapped_column(String(8), nullable=False, default=ALL, server_default=ALL)
    who_may_add: Mapped[str] = mapped_column(String(8), nullable=False, default=MEMBERS, server_default=MEMBERS)
    who_may_mention_all: Mapped[str] = mapped_column(String(8), nullable=False, default=ADMINS, server_default=ADMINS)
    # 1: every new account joins it (DEFAULT_GROUPS, or an administrator's choice).
    is_default: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0, server_default="0")
    who_may_pin: Mapped[str] = mapped_column(String(8), nullable=False, default=MEMBERS, server_default=MEMBERS)
    who_may_write: Mapped[str] = mapped_column(String(8), nullable=False, default=MEMBERS, server_default=MEMBERS)
    # The group notice (群公告): its text ("" none), who set it and when (ms).
    notice: Mapped[str] = mapped_column(Text, nullable=True)
    notice_by: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    notice_time: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    # Its place in the message Id sequence (0: never set): every change takes
    # the next Id, as an edit or a pin does, so ``since`` replays it (Type 24).
    notice_rev: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0, server_default="0", index=True
    )

    def public(self, members=0):
        return {
            "ID": self.id,
            "Name": self.name,
            "OwnerId": self.owner_id,
            "Img": self.img or "",
            "Desc": self.desc or "",
            "Members": int(members),
            "Policy": self.policy or OPEN,
            "History": self.history or ALL,
            "WhoMayAdd": self.who_may_add or MEMBERS,
            "WhoMayMentionAll": self.who_may_mention_all or ADMINS,
            "Default": bool(self.is_default),
            "WhoMayPin": self.who_may_pin or MEMBERS,
            "WhoMayWrite": self.who_may_write or MEMBERS,
        }

    def notice_of(self):
        """The group notice as members see it: {"Text", "UserId", "Time", "Id"}
        (Time 0: never set; Id: its place in the message Id sequence)."""
        return {
            "Text": self.notice or "",
            "UserId": int(self.notice_by or 0),
            "Time": int(self.notice_time or 0),
            "Id": int(self.notice_rev or 0),
        }

    def set_name(self, name):
        self.name = check_group_name(name)
        self.name_key = name_key(self.name)
        self.name_skeleton = skeleton(self.name)

    def commit_name(self, then=None):
        commit_name(
            Community,
            self.name,
            f"a group named {self.name!r} exists already",
            f"the group name {self.name!r} looks like the name of another group",
            then,
        )

    @classmethod
    def create(cls, owner, name, img="", desc="", policy=OPEN, history=ALL, who_may_add=MEMBERS, members=()):
        """A new group with its owner as the first member, and ``members``
        (ids) with them, in one transaction."""
        group = cls(
            owner_id=owner.id,
            img=img or "",
            desc=desc or "",
            policy=check_setting("policy", policy),
            history=check_setting("history", history),
            who_may_add=check_setting("whoMayAdd", who_may_add),
        )
        group.set_name(name)
        db.session.add(group)
        group.commit_name(
            then=lambda: db.session.add_all(
                [Contact(owner_id=uid, target_id=group.id, type=MEMBER) for uid in (owner.id, *members)]
            )
        )
        return group

    @classmethod
    def find(cls, com_id):
        """A group by ID, or else by exact name (joinGroup's comId)."""
        group = None
        text = str(com_id).strip()
        if re.fullmatch(r"[0-9]{1,10}", text) and int(text) <= MAX_ID:
            group = db.session.get(cls, int(text))
        if group is None:
            group = db.session.scalar(select(cls).where(cls.name_key == name_key(text)))
        if group is None:
            raise not_found(f"no group with ID or name {text!r}")
        return group

    @classmethod
    def of_member(cls, user_id):
        return db.session.scalars(
            select(cls)
            .join(Contact, Contact.target_id == cls.id)
            .where(Contact.owner_id == user_id, Contact.type == MEMBER)
            .order_by(cls.name)
        ).all()

    @classmethod
    def search_joinable(cls, key, user_id, page, size):
        """Open groups whose name starts with ``key`` (a search_key) that
        ``user_id`` neither belongs to nor was removed from, by name:
        (page, total)."""
        theirs = select(Contact.target_id).where(Contact.owner_id == user_id, Contact.type.in_((MEMBER, REMOVED)))
        where = (cls.policy == OPEN, starts_with(cls.name_key, key), cls.id.not_in(theirs))
        total = db.session.scalar(select(func.count()).select_from(cls).where(*where))
        rows = db.session.scalars(
            select(cls).where(*where).order_by(cls.name_key, cls.id).offset((page - 1) * size).limit(size)
        ).all()
        return rows, total

    @classmethod
    def defaults(cls):
        """The groups every new account joins, oldest first."""
        return db.session.scalars(select(cls).where(cls.is_default == 1).order_by(cls.id)).all()

    # --- members ----------------------------------------------------------------
    @classmethod
    def writers(cls, group_id):
        """Who may write in a group: {0} for every member, else the owner and
        the admins (WhoMayWrite admins: an announcement group)."""
        row = db.session.execute(select(cls.owner_id, cls.who_may_write).where(cls.id == group_id)).first()
        if row is None or (row[1] or MEMBERS) == MEMBERS:
            return {0}
        admins = db.session.scalars(
            select(Contact.owner_id).where(
                Contact.target_id == group_id, Contact.type == MEMBER, Contact.role == ADMIN_ROLE
            )
        )
        return {int(row[0]), *(int(u) for u in admins)}

    @classmethod
    def may_post(cls, group_id, user_id):
        """May ``user_id`` (a member) write in the group, as SQL has it now?"""
        found = cls.writers(group_id)
        return 0 in found or user_id in found

    def role_of(self, user_id, role):
        if user_id == self.owner_id:
            return "owner"
        return "admin" if role == ADMIN_ROLE else "member"

    def latest_message_id(self):
        return messages.latest_id(messages.conv_key(messages.GROUP, 0, self.id))

    def add_member_row(self, user_id, taken_msg):
        """``user_id`` becomes a member, committed (409 ``taken_msg`` when they
        are one already); an earlier removal goes. Returns the member row."""
        # The join point: newcomers' unread counts start here, and with
        # history "join" so does what they may read (a rejoin moves it up,
        # so the time away stays hidden).
        top = self.latest_message_id()
        row = Contact(
            owner_id=user_id,
            target_id=self.id,
            type=MEMBER,
            role=MEMBER_ROLE,
            join_id=top,
            history_id=top if self.history == JOIN else 0,
        )
        db.session.execute(
            delete(Contact).where(Contact.owner_id == user_id, Contact.target_id == self.id, Contact.type == REMOVED)
        )
        db.session.add(row)
        commit_or_conflict(taken_msg)
        return row

    def leave(self, user_id):
        """The member row and read cursor of ``user_id`` go (no commit); how many member rows went."""
        read_cursor.forget(user_id, messages.conv_key(messages.GROUP, user_id, self.id))
        return Contact.delete_membership(user_id, self.id)

    def remove_member(self, user_id):
        """``user_id`` leaves and is recorded as removed (no commit)."""
        self.leave(user_id)
        if not Contact.was_removed(user_id, self.id):
            db.session.add(Contact(owner_id=user_id, target_id=self.id, type=REMOVED))

    def dissolve(self):
        """The group goes with its messages, read cursors, members and
        removal records, in one transaction: nothing is left that a later
        row could reach."""
        conv = messages.conv_key(messages.GROUP, 0, self.id)
        messages.delete_conversation(conv)
        read_cursor.forget_conversation(conv)
        db.session.execute(delete(Contact).where(Contact.target_id == self.id, Contact.type.in_((MEMBER, REMOVED))))
        db.session.execute(delete(Community).where(Community.id == self.id))
        db.session.commit()
