"""Bounds shared by every layer (a leaf: it imports nothing of GinChat)."""

# Row IDs are INTEGER columns on every backend (PostgreSQL refuses a larger
# number with an error), so an ID parameter is checked against this bound.
MAX_ID = 2**31 - 1

# Message Ids are BIGINT: a message Id parameter or field is checked against
# this bound (far above any Id a node hands out, well inside 64 bits).
MAX_MSG_ID = 2**62

# JSON values (request bodies, WebSocket frames) nested deeper than this are
# refused: Python's json module, and any recursive walk, raise RecursionError
# on input thousands of levels deep. Nothing GinChat reads nests past 2.
MAX_JSON_DEPTH = 32
