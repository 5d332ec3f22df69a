"""Who may join, for administrators (and members, for invitations when
INVITES_BY_MEMBERS is true): thin handlers over ginchat/domain/admission.py
(split from service/admin.py)."""

from flask_login import current_user

from ginchat.domain import admin, admission
from ginchat.settings import settings
from ginchat.utils import params, resp


def me():
    return current_user._get_current_object()


def registration():
    """Read (no parameter) or switch who may create an account; every node follows.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: registration, in: formData, type: string, enum: ["open", "invite", "closed"], description: "the new mode; none: only read it"}
    responses:
      200: {description: "Data is {Registration}", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
    """
    admin.require_admin(me())
    mode = params.get_str("registration", max_len=16)
    if mode is not None:
        admission.set_registration(me(), mode)
    return resp.ok({"Registration": admission.registration_mode()})


def create_invitation():
    """Make an invitation link; the token is shown only in this answer.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: uses, in: formData, type: integer, minimum: 1, maximum: 1000, default: 1, description: "how many people it lets in"}
      - {name: hours, in: formData, type: integer, minimum: 1, maximum: 8760, description: "how long it lasts (default INVITE_TTL_HOURS, 7 days)"}
    responses:
      201: {description: "Data is the invitation with its Token and Link", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not an administrator (and INVITES_BY_MEMBERS is off)", schema: {$ref: "#/definitions/Envelope"}}
    """
    uses = params.get_int("uses", default=1, minimum=1, maximum=1000)
    default_hours = settings().invite_ttl_hours
    hours = params.get_int("hours", default=default_hours, minimum=1, maximum=8760)
    token, row = admission.create_invitation(me(), uses, hours)
    data = row.public() | {"Token": token, "Link": f"/toRegister?invite={token}"}
    return resp.ok(data, msg="invitation made", status=201)


def invitations():
    """The invitations (an administrator's: all; a member's: their own), newest first.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are invitations (no tokens)", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not an administrator (and INVITES_BY_MEMBERS is off)", schema: {$ref: "#/definitions/Envelope"}}
    """
    rows = admission.list_invitations(me())
    return resp.ok_list([row.public() for row in rows], len(rows))


def revoke_invitation():
    """Revoke an invitation: it lets nobody else in.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: id, in: formData, type: integer, required: true}
    responses:
      200: {description: "Data is the invitation", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not an administrator (and INVITES_BY_MEMBERS is off)", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such invitation (of mine)", schema: {$ref: "#/definitions/Envelope"}}
    """
    row = admission.revoke_invitation(me(), params.get_id("id", required=True))
    return resp.ok(row.public(), msg="invitation revoked")
