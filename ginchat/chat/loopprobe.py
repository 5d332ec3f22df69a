"""A loop-lag probe: logs every pause of the event loop longer than
LOOP_PROBE_MS milliseconds, with the stack of what was running meanwhile.

Everything of a node runs in greenlets of one OS thread, so code that does
not yield (a commit, a long computation, a collection of the garbage) stops
every connection for as long as it runs. A greenlet here ticks every few
milliseconds; a native watcher thread (not a greenlet: it must run while the
loop is stuck) notices a tick that is overdue and takes the loop thread's
stack then, once per pause. When the loop runs again the greenlet logs the
pause's length and that stack (logging from the watcher thread would take
gevent's locks from outside the loop). Cheap enough to keep on in
production: one wake-up per tick in each thread.

Each line says how much of the pause the loop's thread spent on a CPU and
how often the kernel switched it out against its will: a pause with little
CPU time and many involuntary switches is the machine's load (other
processes had the core), not this process's code; one with little CPU
time and no switches waited for a system call (an fsync, a lock).

LOOP_PROBE_MS = 0 (the default) turns it off."""

import gc
import logging
import resource
import sys
import time
import traceback

import gevent
from gevent import monkey

from ginchat.settings import settings

log = logging.getLogger("ginchat.loop")

_start_thread = monkey.get_original("_thread", "start_new_thread")
_get_ident = monkey.get_original("_thread", "get_ident")
_sleep = monkey.get_original("time", "sleep")


class LoopProbe:
    def __init__(self, threshold_ms):
        self.threshold = threshold_ms / 1000.0
        self.tick = max(0.001, self.threshold / 4)
        self.beat = time.monotonic()  # the loop's last tick
        self.loop_thread = None
        self.stack = None  # taken by the watcher during the current pause
        self.gc_time = 0.0  # seconds spent collecting during the current pause
        self.gc_started = None
        self.running = False
        self.pauses = 0
        self.longest = 0.0
        self.greenlet = None

    def start(self):
        if self.running:
            return
        self.running = True
        self.loop_thread = _get_ident()
        self.beat = time.monotonic()
        gc.callbacks.append(self._gc)
        self.greenlet = gevent.spawn(self._ticker)
        _start_thread(self._watch, ())
        log.info("loop probe on: pauses over %.0f ms are logged", self.threshold * 1000)

    def stop(self):
        self.running = False
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        if self.greenlet is not None:
            self.greenlet.kill(block=False)

    def _gc(self, phase, info):
        # Collections are not in any stack: time them here (the loop thread only).
        if _get_ident() != self.loop_thread:
            return
        if phase == "start":
            self.gc_started = time.perf_counter()
        elif self.gc_started is not None:
            self.gc_time += time.perf_counter() - self.gc_started
            self.gc_started = None

    def _ticker(self):
        tick = self.tick
        while self.running:
            before = time.monotonic()
            cpu = time.thread_time()
            switches = _involuntary_switches()
            self.beat = before
            gevent.sleep(tick)
            now = time.monotonic()
            self.beat = now
            pause = now - before - tick
            if pause > self.threshold:
                self._report(pause, time.thread_time() - cpu, _involuntary_switches() - switches)
            self.stack = None
            self.gc_time = 0.0

    def _report(self, pause, cpu, switches):
        self.pauses += 1
        self.longest = max(self.longest, pause)
        stack = self.stack or "(the watcher took no stack)"
        gc_note = f", {self.gc_time * 1000:.1f} ms collecting garbage" if self.gc_time else ""
        log.warning(
            "event loop paused %.1f ms (%.1f ms on a CPU%s, %d involuntary switches); running then:\n%s",
            pause * 1000,
            cpu * 1000,
            gc_note,
            switches,
            stack,
        )

    def _watch(self):
        # A native thread: it must not touch gevent objects or logging.
        while self.running:
            _sleep(self.tick)
            if self.stack is None and time.monotonic() - self.beat > self.threshold:
                frame = sys._current_frames().get(self.loop_thread)
                if frame is not None:
                    self.stack = "".join(traceback.format_stack(frame, limit=25))


def _involuntary_switches():
    """The loop thread's involuntary context switches so far (the kernel gave
    its core to another process)."""
    try:
        return resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw
    except (AttributeError, OSError):  # not Linux
        return 0


def start_probe(app):
    """Start the probe when LOOP_PROBE_MS > 0; returns it (or None)."""
    try:
        threshold = settings(app).loop_probe_ms
    except (TypeError, ValueError):
        log.warning("LOOP_PROBE_MS must be a number of milliseconds; the probe stays off")
        return None
    if threshold <= 0:
        return None
    probe = LoopProbe(threshold)
    probe.start()
    return probe
