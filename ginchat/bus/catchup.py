"""Catch-up: every node follows the message table, so the bus may lose packets
without losing messages.

Message Ids are handed out under the counter row's lock, so they become
visible in SQL in Id order. ``last`` is the Id below which everything has
been delivered here (or never existed: Ids of resent messages are skipped).
A message arriving from the bus with Id ``last + 1`` is delivered at once;
one further ahead waits in ``pending`` and wakes the follower, which reads
``Id > last`` from SQL and delivers the rows in order. Without gaps to fill
the follower still reads the table every BUS_CATCHUP_INTERVAL, which is what
finds a lost packet that no later packet revealed.

The bus knows no tables and no engine: whoever makes it gives ``deliver(frame,
text)`` (local delivery; False when the Id was delivered already), ``top_id()``
(the newest message Id), ``fetch_since(after_id, limit)`` (the messages after
an Id, oldest first, as frames) and ``polled()`` (called after every poll, for
whatever else the engine follows in SQL)."""

import logging
import time

import gevent
import gevent.event
import gevent.lock

from ginchat.utils.wire import dumps

log = logging.getLogger("ginchat.bus")

PAGE = 500  # rows read per query
GAP_GRACE = 0.05  # seconds a gap may close by itself (packets out of order) before SQL is asked
MAX_PENDING = 20000  # messages held for a gap; beyond that SQL will bring them
MAX_HOLD = 5.0  # seconds a held message waits when SQL does not answer


class Catchup:
    def __init__(self, deliver, interval, top_id, fetch_since, polled=None, stats=None):
        """``stats``: the counters to add to (the bus's), else a dict of its own."""
        self.deliver = deliver
        self.interval = max(0.05, interval)
        self.top_id = top_id
        self.fetch_since = fetch_since
        self.polled = polled
        self.last = None  # None until the table's top is known
        self.pending = {}  # Id -> (frame, text, time held)
        self.wake = gevent.event.Event()
        self.lock = gevent.lock.Semaphore()  # one deliverer at a time keeps Id order
        stats = {} if stats is None else stats
        stats.update(caught_up=0, gap_polls=0, late=0, polls=0, poll_errors=0, forced=0)
        self.stats = stats

    def start(self):
        try:
            self._init_cursors()
        except Exception as exc:  # the loop tries again
            log.warning("catch-up: cannot read the message table yet: %s", exc)
        return gevent.spawn(self.run)

    # --- the fast path: packets from the bus, and this node's own messages ----------
    def offer(self, frame, text):
        msg_id = frame["Id"]
        with self.lock:
            if self.last is None:  # SQL unreachable since start: deliver as it comes
                self.deliver(frame, text)
                return
            if msg_id <= self.last:
                self.stats["late"] += 1  # already delivered (from SQL, or a duplicate)
                return
            if msg_id == self.last + 1:
                self.deliver(frame, text)
                self.last = msg_id
                self._drain()
                return
            if len(self.pending) < MAX_PENDING:
                self.pending[msg_id] = (frame, text, time.monotonic())
        self.wake.set()

    def _drain(self):
        """Deliver the held messages that now follow ``last``."""
        pending = self.pending
        while self.last + 1 in pending:
            self.last += 1
            frame, text, _ = pending.pop(self.last)
            self.deliver(frame, text)
        if pending and min(pending) <= self.last:
            for msg_id in [i for i in pending if i <= self.last]:
                del pending[msg_id]

    # --- the follower ------------------------------------------------------------
    def run(self):
        failures = 0
        while True:
            woken = self.wake.wait(timeout=self.interval)
            if woken and self.pending:
                gevent.sleep(GAP_GRACE)  # the missing packet may be just behind
                self.stats["gap_polls"] += 1
            self.wake.clear()
            try:
                if self.last is None:
                    self._init_cursors()
                self.poll()
                failures = 0
            except Exception as exc:
                failures += 1
                self.stats["poll_errors"] += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("catch-up: reading SQL failed (%s: %s)", exc.__class__.__name__, exc)
                self._force_old()
                gevent.sleep(min(5.0, 0.2 * failures))

    def _init_cursors(self):
        top = self.top_id()
        with self.lock:
            if self.last is None:
                self.last = int(top or 0)
                self.pending = {i: v for i, v in self.pending.items() if i > self.last}

    def poll(self):
        self.stats["polls"] += 1
        caught = self.stats["caught_up"]
        while True:
            frames = self.fetch_since(self.last, PAGE)
            for frame in frames:
                with self.lock:
                    msg_id = frame["Id"]
                    if msg_id <= self.last:
                        continue
                    held = self.pending.pop(msg_id, None)
                    text = held[1] if held else dumps(frame)
                    if self.deliver(frame, text) and held is None:
                        self.stats["caught_up"] += 1
                    self.last = msg_id
                    self._drain()
            if len(frames) < PAGE:
                break
        if self.stats["caught_up"] > caught:
            log.info(
                "catch-up: %d messages the bus did not bring came from SQL (up to Id %s)",
                self.stats["caught_up"] - caught,
                self.last,
            )
        if self.polled is not None:
            self.polled()

    def _force_old(self):
        """SQL does not answer: deliver messages held too long, in Id order,
        rather than hold them forever (order may suffer, content does not)."""
        with self.lock:
            if not self.pending:
                return
            oldest = min(held for _, _, held in self.pending.values())
            if time.monotonic() - oldest < MAX_HOLD:
                return
            for msg_id in sorted(self.pending):
                frame, text, _ = self.pending.pop(msg_id)
                self.deliver(frame, text)
                self.stats["forced"] += 1
                self.last = max(self.last or 0, msg_id)
