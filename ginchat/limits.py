"""Bounds shared by every layer (a leaf: it imports nothing of GinChat)."""

# Row IDs are INTEGER columns on every backend (PostgreSQL refuses a larger
# number with an error), so an ID parameter is checked against this bound.
MAX_ID = 2**31 - 1
