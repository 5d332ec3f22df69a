"""Serve GinChat with gevent: ``python wsgi.py`` (what ``make run`` does).

With GINCHAT_WORKERS=N (N > 1, or ``auto``) this process becomes the master
of N worker processes on one port (ginchat/workers.py); it decides that
before gevent patches anything, since it serves nothing itself."""

import os
import sys


def _master_wanted():
    if __name__ != "__main__" or os.environ.get("GINCHAT_WORKER_INDEX") is not None:
        return False
    value = os.environ.get("GINCHAT_WORKERS", "1").strip().lower()
    return value == "auto" or not value.isdigit() or int(value) != 1


if _master_wanted():
    from ginchat.workers import main

    sys.exit(main(os.path.abspath(__file__)))

from gevent import monkey  # noqa: E402

monkey.patch_all()  # first, before anything else imports socket or threading (the master aside)

import gc  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402

import gevent  # noqa: E402

from ginchat import create_app, tls  # noqa: E402
from ginchat.extensions import RedisHandle  # noqa: E402
from ginchat.server import make_server  # noqa: E402
from ginchat.settings import change as change_settings  # noqa: E402
from ginchat.settings import settings  # noqa: E402
from ginchat.utils.redact import redact_url  # noqa: E402

log = logging.getLogger("ginchat")
GC_FULL_AFTER = 100  # collections of the middle generation between full ones (Python's default: 10)


def make_https_server(app, host):
    """The https (and wss) listener beside the http one, on HTTPS_PORT; its
    certificate is checked every tls.CHECK_SECONDS and renewed when due."""
    context = tls.server_context(app)
    if context is None:
        return None
    secure = make_server(app, host, settings(app).https_port, reuse_port=settings(app).reuse_port, ssl_context=context)

    def renew():
        while True:
            gevent.sleep(tls.CHECK_SECONDS)
            try:
                if tls.refresh(app, context):
                    log.info("serving a renewed certificate: %s", ", ".join(tls.certificates(app).names))
            except Exception:  # the old certificate keeps serving; try again next time
                log.exception("could not renew the https certificate")

    gevent.spawn(renew)
    return secure


def https_banner(app, shown, secure):
    """What the start-up line adds for https: the address, and the fingerprint to compare."""
    if secure is None:
        return " (https off: GINCHAT_TLS=off)"
    found = tls.certificates(app)
    whose = "GinChat's CA" if found.source == "ca" else "GINCHAT_TLS_CERT"
    return f" and {tls.https_url(app, shown)} ({whose}, /ca.crt SHA-256 {tls.ca_fingerprint(app)})"


def serve(app, host=None, port=None):
    host = host or settings(app).host
    port = settings(app).port if port is None else int(port)
    server = make_server(app, host, port, reuse_port=settings(app).reuse_port)
    secure = make_https_server(app, host)  # None with TLS=off
    engine = app.extensions["chat"]
    engine.start()

    def shutdown():
        log.info("shutting down: closing %d connections", engine.connection_count())
        server.close()  # no new connections
        if secure is not None:
            secure.close()
        engine.stop()  # store every queued message, then close each socket with 1001
        RedisHandle.close(app)
        log.info("shut down")

    stopping = []

    def on_signal():
        if not stopping:
            stopping.append(gevent.spawn(shutdown))

    gevent.signal_handler(signal.SIGTERM, on_signal)
    gevent.signal_handler(signal.SIGINT, on_signal)
    # Everything made at start-up (modules, app, metadata) lives for ever:
    # move it out of the collector's sight, so full collections under load
    # walk only what the connections made.
    gc.collect()
    gc.freeze()
    # A full collection walks every object of every connection (about 100
    # each: 360 ms at 9,000 connections) and, with them freed by reference
    # counting when they close, finds next to nothing. By default one runs
    # after every 10 collections of the middle generation once the heap grew
    # by a quarter: about 12 while 9,000 clients connect, 1.9 s in all. After
    # 100 instead, about 6 run, and the heap's growth rule still holds.
    gc.set_threshold(gc.get_threshold()[0], gc.get_threshold()[1], GC_FULL_AFTER)
    server.start()
    if secure is not None:
        try:
            secure.start()
        except OSError as exc:
            raise SystemExit(
                f"GinChat cannot listen for https on {host}:{settings(app).https_port} ({exc.strerror or exc}): "
                "set GINCHAT_HTTPS_PORT to a free port, or GINCHAT_TLS=off for http only"
            ) from None
        change_settings(app, HTTPS_PORT=secure.server_port)  # port 0 picked one
    worker = settings(app).worker_index
    shown = host if host != "0.0.0.0" else "localhost"
    log.info(
        "GinChat %sserving on http://%s:%d/%s (node %s; database: %s; redis: %s)",
        f"worker {worker} (pid {os.getpid()}) " if worker is not None else "",
        shown,
        server.server_port,
        https_banner(app, shown, secure),
        engine.bus.node_id,
        redact_url(app.config["SQLALCHEMY_DATABASE_URI"]),
        app.extensions["redis_where"],
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    # serve_forever returns as soon as the listener closes: let the shutdown
    # finish (queued messages stored, sockets closed) before the process ends.
    gevent.joinall(stopping, timeout=30)
    return server


app = create_app()

if __name__ == "__main__":
    serve(app)
