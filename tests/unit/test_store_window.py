"""Group commit in the message store (chat/store.py, STORE_WINDOW_MS): while
messages flow, the store gathers more of them into one batch; a gathering
batch counts as being stored (shutdown's drain waits for it)."""

import gevent

from ginchat.chat import store as store_module
from ginchat.chat.store import Store
from ginchat.settings import SETTINGS_KEY, Settings


class App:
    def __init__(self, window_ms):
        self.extensions = {SETTINGS_KEY: Settings.from_config({"STORE_WINDOW_MS": window_ms})}


def store_of(window_ms):
    return Store(App(window_ms), on_stored=None)


def test_the_window_is_read_from_the_setting():
    assert store_of(2).window == 0.002
    assert store_of(0).window == 0.0
    assert store_of("0.5").window == 0.0005


def test_a_gathering_batch_takes_what_comes_until_it_is_full(monkeypatch):
    monkeypatch.setattr(store_module, "STORE_BATCH", 5)
    store = store_of(60_000)  # a window far longer than the test: only a full batch ends it

    def producer():
        for n in range(2, 10):
            store.queue.put(n)
            gevent.sleep(0)

    batch = [1]
    producing = gevent.spawn(producer)
    store._gather(batch, deadline=float("inf"))
    assert batch == [1, 2, 3, 4, 5]  # in the order they came, no more than a batch
    producing.join()
    assert store.queue.qsize() == 4  # the rest waits for the next batch


def test_a_gathering_batch_counts_as_pending():
    store = store_of(2)
    store.queue.put("a")
    store.storing = ["b", "c"]  # what run() sets before it gathers
    assert store.pending() == 3
