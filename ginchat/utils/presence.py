"""Online status in Redis: ``online_<userId>`` with a TTL of HEARTBEAT_TIMEOUT."""

import logging

import redis

log = logging.getLogger("ginchat.presence")


def online_key(user_id):
    return f"online_{user_id}"


def online_map(client, user_ids):
    """{user id: bool}; everyone offline when Redis cannot be reached."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    try:
        values = client.mget([online_key(u) for u in user_ids])
    except redis.RedisError as exc:
        log.warning("presence unavailable, showing everyone offline: %s", exc)
        return {u: False for u in user_ids}
    return {u: v is not None for u, v in zip(user_ids, values, strict=True)}
