"""Ending login sessions: the rows go first (commit), then every node closes
the sockets opened with them (the sessions_ended signal)."""

from ginchat.domain.access import app
from ginchat.models.auth_token import AuthToken
from ginchat.signals import sessions_ended


def end_session(user_id: int, session_id: int | None) -> None:
    """One session (logout): its token, its cookie and its sockets."""
    AuthToken.revoke(session_id)
    sessions_ended.send(app(), user_id=user_id, sessions=[session_id])


def end_other_sessions(user_id: int, keep: int | None) -> int:
    """Every session of the user but ``keep`` (tokens, cookies and sockets on
    every node); returns how many live ones ended."""
    count, up_to = AuthToken.revoke_others(user_id, keep)
    if up_to is not None:
        sessions_ended.send(app(), user_id=user_id, keep=keep, up_to=up_to)
    return count


def end_all_sessions(user_id: int) -> None:
    """Every socket of the account (it was deactivated: its sessions no longer count)."""
    sessions_ended.send(app(), user_id=user_id)
