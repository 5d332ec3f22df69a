"""What operators see (issue 13, item 8): a refused upload is one log line,
not a traceback; /health's heap walk is for logged-in users and this host."""

import io
import logging
import os

import requests
from PIL import Image

from helpers import Api
from http_checks import answer, error


def _png():
    im = Image.frombytes("RGB", (32, 32), os.urandom(32 * 32 * 3))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_a_refused_upload_is_one_log_line_and_no_traceback(api, caplog, capfd):
    caplog.set_level(logging.INFO)
    capfd.readouterr()
    me = api.user("up")
    whole = _png()
    for content, status in ((whole[: len(whole) // 2], 415), (b"\x89PNG\r\n\x1a\n" + bytes(64), 415)):
        caplog.clear()
        r = requests.post(
            api.url + "/attach/upload", headers=me.auth, timeout=10, files={"file": ("a.png", content, "image/png")}
        )
        error(r, status)
        err = capfd.readouterr().err
        assert "Traceback" not in err and "AppError" not in err, err
        refused = [
            rec for rec in caplog.records if rec.name.startswith("ginchat") and "upload refused" in rec.getMessage()
        ]
        assert len(refused) == 1 and refused[0].levelno == logging.INFO, [r.getMessage() for r in caplog.records]
        assert [rec for rec in caplog.records if rec.levelno >= logging.ERROR] == []


def test_health_detail_is_for_logged_in_users_and_this_host(api, make_server):
    # Plain /health is public: load balancers use it.
    assert "Greenlets" not in answer(requests.get(api.url + "/health", timeout=10), 200)["Data"]
    # From this host (the tests, bench): the detail as before.
    assert answer(requests.get(api.url + "/health?detail=1", timeout=10), 200)["Data"]["Greenlets"] > 0
    # Behind a trusted proxy the client is the forwarded address.
    proxied = Api(make_server(PROXY_COUNT=1))
    far = {"X-Forwarded-For": "192.0.2.7"}
    error(requests.get(proxied.url + "/health?detail=1", headers=far, timeout=10), 401, "log in")
    assert "Greenlets" not in answer(requests.get(proxied.url + "/health", headers=far, timeout=10), 200)["Data"]
    user = proxied.user("health")
    data = answer(requests.get(proxied.url + "/health?detail=1", headers=dict(far, **user.auth), timeout=10), 200)
    assert data["Data"]["Greenlets"] > 0
    # A client on this host, through the proxy, gets it too.
    near = {"X-Forwarded-For": "127.0.0.1"}
    assert answer(requests.get(proxied.url + "/health?detail=1", headers=near, timeout=10), 200)["Data"]["Greenlets"]
