"""Hostile probes: scripts that measure what one abusive client costs everyone else (loopback only)."""
