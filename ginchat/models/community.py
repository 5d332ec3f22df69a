"""Groups (the Go project's models/community.go)."""

import re
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.errors import bad_request, conflict, not_found
from ginchat.extensions import db
from ginchat.models.contact import MEMBER, Contact
from ginchat.models.user_basic import NAME_KEY_TYPE, commit_name, commit_or_conflict, utcnow
from ginchat.utils.names import check_lookalikes, name_key, normal_form, skeleton
from ginchat.utils.params import MAX_ID

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


class Community(db.Model):
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

    def public(self, members=0):
        return {
            "ID": self.id,
            "Name": self.name,
            "OwnerId": self.owner_id,
            "Img": self.img or "",
            "Desc": self.desc or "",
            "Members": int(members),
        }

    def set_name(self, name):
        self.name = check_group_name(name)
        self.name_key = name_key(self.name)
        self.name_skeleton = skeleton(self.name)

    def commit_name(self, then=None):
        commit_name(Community, self.name, f"a group named {self.name!r} exists already",
                    f"the group name {self.name!r} looks like the name of another group", then)

    @classmethod
    def create(cls, owner, name, img="", desc=""):
        """A new group with its owner as the first member, in one transaction."""
        group = cls(owner_id=owner.id, img=img or "", desc=desc or "")
        group.set_name(name)
        db.session.add(group)
        group.commit_name(then=lambda: db.session.add(Contact(owner_id=owner.id, target_id=group.id, type=MEMBER)))
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

    def join(self, user):
        if Contact.is_member(user.id, self.id):
            raise conflict(f"you are already a member of {self.name}")
        db.session.add(Contact(owner_id=user.id, target_id=self.id, type=MEMBER))
        commit_or_conflict(f"you are already a member of {self.name}")
