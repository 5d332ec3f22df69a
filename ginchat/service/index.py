"""The pages (the Go project's service/index.go): login, register and the
chat page. Forms post back to the pages and work without JavaScript."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ginchat.auth import page, public, start_session
from ginchat.domain import admission
from ginchat.domain.admin import FIRST_ADMIN_TIP, require_admin, tip_due, use_reset
from ginchat.domain.people import public_users
from ginchat.errors import AppError
from ginchat.i18n import translated
from ginchat.models.community import ALL, INVITE, JOIN, OPEN, Community
from ginchat.models.contact import Contact
from ginchat.service import contact, group, user
from ginchat.service.group import public_groups


class LoginForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class RegisterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    displayName = StringField(_l("Display name"), validators=[Length(max=256)])  # optional
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    Identity = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("the two passwords differ"))]
    )
    invite = HiddenField(validators=[Length(max=200)])  # the invitation token of ?invite=


class ResetForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=200)])  # the reset link's ?token=
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    Identity = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("the two passwords differ"))]
    )


class AddFriendForm(FlaskForm):
    targetName = StringField(_l("Friend's name"), validators=[DataRequired(), Length(max=64)])


class CreateGroupForm(FlaskForm):
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=64)])
    desc = StringField(_l("Description"), validators=[Length(max=255)])
    # Groups made in the browser are invite-only unless their owner opens them.
    policy = SelectField(
        _l("Who can join"),
        default=INVITE,
        choices=[(INVITE, _l("People the members add")), (OPEN, _l("Anyone with its ID or name"))],
    )
    history = SelectField(
        _l("Newcomers read"),
        default=ALL,
        choices=[(ALL, _l("All earlier messages")), (JOIN, _l("Only messages from their join on"))],
    )


class JoinGroupForm(FlaskForm):
    comId = StringField(_l("Group ID or name"), validators=[DataRequired(), Length(max=64)])


class EmptyForm(FlaskForm):
    """Carries only the CSRF token (logout)."""


def form_errors(form):
    for field, errors in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else field
        for error in errors:
            flash(f"{label}: {error}", "error")


def safe_next(target):
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@public
@page
def index():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("pages.to_chat"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user.log_in(form.name.data.strip(), form.password.data, request.remote_addr)
        except AppError as exc:
            flash(translated(exc.msg), "error")
            return render_template("login.html", form=form), exc.status
        return redirect(safe_next(request.args.get("next")) or url_for("pages.to_chat"))
    if request.method == "POST":
        form_errors(form)
        return render_template("login.html", form=form), 400
    return render_template("login.html", form=form)


@page
def admin_page():
    """The administrators' page (people, invitations, groups, audit log); 403 for anyone else."""
    require_admin(current_user._get_current_object())
    return render_template("admin.html")


@public
@page
def reset_password():
    """The page of an administrator's reset link: a new password, once."""
    form = ResetForm()
    if request.method == "GET":
        form.token.data = request.args.get("token", "")[:200]
    if form.validate_on_submit():
        try:
            use_reset(form.token.data, form.password.data)
        except AppError as exc:
            flash(translated(exc.msg), "error")
            return render_template("reset.html", form=form), exc.status
        flash(_("Your password is set. Log in with it."), "ok")
        return redirect(url_for("pages.index"))
    if request.method == "POST":
        form_errors(form)
        return render_template("reset.html", form=form), 400
    return render_template("reset.html", form=form)


@public
@page
def to_register():
    form = RegisterForm()
    if request.method == "GET":
        form.invite.data = request.args.get("invite", "")[:200]
    if form.validate_on_submit():
        try:
            newcomer = admission.register(
                form.name.data.strip(),
                form.password.data,
                form.Identity.data,
                request.remote_addr,
                form.invite.data or None,
                form.displayName.data or "",
            )
        except AppError as exc:
            flash(translated(exc.msg), "error")
            return render_template("register.html", form=form), exc.status
        # Logged in at once (issue 15): no second typing of the name and password.
        start_session(newcomer, request.remote_addr)
        flash(_("Welcome to GinChat, %(name)s.", name=newcomer.name), "ok")
        return redirect(url_for("pages.to_chat"))
    if request.method == "POST":
        form_errors(form)
        return render_template("register.html", form=form), 400
    return render_template("register.html", form=form)


@page
def to_chat():
    me_user = current_user._get_current_object()
    friends = public_users(Contact.friends(me_user.id), me_user.id)
    groups = public_groups(Community.of_member(me_user.id))
    return render_template(
        "chat.html",
        me=me_user.public(True, contact=True),
        friends=friends,
        groups=groups,
        add_friend_form=AddFriendForm(),
        create_group_form=CreateGroupForm(),
        join_group_form=JoinGroupForm(),
        logout_form=EmptyForm(),
        admin_tip=tip_due(me_user, FIRST_ADMIN_TIP),
    )


def _form_action(form, action, done):
    if form.validate_on_submit():
        try:
            result = action()
        except AppError as exc:
            flash(translated(exc.msg), "error")
        else:
            flash(done(result), "ok")
    else:
        form_errors(form)
    return redirect(url_for("pages.to_chat"))


@page
def add_friend_form():
    form = AddFriendForm()
    me = current_user._get_current_object()
    return _form_action(
        form,
        lambda: contact.befriend_or_ask(me, target_name=form.targetName.data.strip()),
        lambda done: (
            _("Friend request sent to %(name)s", name=done[0].name)
            if done[1]
            else _("%(name)s is now your friend", name=done[0].name)
        ),
    )


@page
def create_group_form():
    form = CreateGroupForm()
    me = current_user._get_current_object()
    return _form_action(
        form,
        lambda: group.create_group(
            me, form.name.data.strip(), "", (form.desc.data or "").strip(), form.policy.data, form.history.data
        ),
        lambda grp: _("Group %(name)s created (ID %(id)s)", name=grp.name, id=grp.id),
    )


@page
def join_group_form():
    form = JoinGroupForm()
    me = current_user._get_current_object()
    return _form_action(
        form,
        lambda: group.join_group(me, form.comId.data.strip()),
        lambda grp: _("You joined %(name)s", name=grp.name),
    )


@public
@page
def logout_page():
    form = EmptyForm()
    if current_user.is_authenticated and form.validate_on_submit():
        user.log_out()
        flash(_("Logged out."), "ok")
    return redirect(url_for("pages.index"))


@public
@page
def favicon():
    """Browsers and tools ask for /favicon.ico on their own: the same picture as
    the pages' <link rel="icon">, no 404."""
    return send_from_directory(
        current_app.static_folder + "/img", "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
