"""JSON text as GinChat sends it: WebSocket frames, bus packets and events."""

import json


def dumps(value):
    """``value`` as compact JSON text, non-ASCII characters kept as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
