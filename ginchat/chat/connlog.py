"""Connect and disconnect lines in the log, without a line each in a storm.

One line per event while they are few (PER_WINDOW in WINDOW seconds); past
that, a single summary line per window says how many came and went (the
first event after a busy window writes it). A reconnect storm of thousands
of clients then costs a few lines, not thousands of formatted, flushed
lines on the event loop's thread."""

import logging
import time

log = logging.getLogger("ginchat.chat")

WINDOW = 5.0  # seconds
PER_WINDOW = 20  # lines written one by one per window


class ConnectionLog:
    def __init__(self):
        self.window_start = time.monotonic()
        self.lines = 0
        self.connected = 0  # events not written one by one in this window
        self.disconnected = 0

    def _roll(self, now, count):
        if now - self.window_start < WINDOW:
            return
        if self.connected or self.disconnected:
            log.info(
                "%d connections opened and %d closed in %.0f s without a line each (%d connections here)",
                self.connected,
                self.disconnected,
                now - self.window_start,
                count,
            )
        self.window_start = now
        self.lines = self.connected = self.disconnected = 0

    def opened(self, conn, count):
        if not log.isEnabledFor(logging.INFO):
            return
        if self._take_line(count):
            log.info("user %s connected from %s (%d connections here)", conn.user_id, conn.addr, count)
        else:
            self.connected += 1

    def closed(self, conn, count):
        if not log.isEnabledFor(logging.INFO):
            return
        if self._take_line(count):
            log.info("user %s disconnected from %s", conn.user_id, conn.addr)
        else:
            self.disconnected += 1

    def _take_line(self, count):
        """True when this event may have a line of its own (the window's
        budget is not spent yet); False: it only counts towards the summary."""
        self._roll(time.monotonic(), count)
        if self.lines < PER_WINDOW:
            self.lines += 1
            return True
        return False
