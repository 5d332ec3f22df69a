"""Bounds shared by every layer (a leaf: it imports nothing of GinChat)."""

# Row IDs are INTEGER columns on every backend (PostgreSQL refuses a larger
# number with an error), so an ID parameter is checked against this bound.
MAX_ID = 2**31 - 1

# JSON values (request bodies, WebSocket frames) nested deeper than this are
# refused: Python's json module, and any recursive walk, raise RecursionError
# on input thousands of levels deep. Nothing GinChat reads nests past 2.
MAX_JSON_DEPTH = 32
