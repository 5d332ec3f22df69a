"""Hardening: abuse limits kept in Redis, security headers, the session
cookie, session fixation and the SECRET_KEY a multi-node setup must share."""

import html.parser
import re
import secrets

import pytest
import requests
from test_upload import picture

from helpers import PASSWORD, Api, unique_name


def ip():
    """A client address of its own, as the trusted proxy reports it."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def login(api, name, password, addr):
    return requests.post(
        api.url + "/user/findUserByNameAndPwd",
        data={"name": name, "password": password},
        headers={"X-Forwarded-For": addr},
        timeout=10,
    )


def register(api, name, addr):
    return requests.post(
        api.url + "/user/createUser",
        data={"name": name, "password": PASSWORD, "Identity": PASSWORD},
        headers={"X-Forwarded-For": addr},
        timeout=10,
    )


# --- failed logins -----------------------------------------------------------------
def test_failed_logins_per_name_get_429_even_with_the_right_password(make_server):
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=3, LOGIN_FAIL_WINDOW=60))
    name = api.register()
    for _ in range(3):  # from different addresses: the name's count is what stops them
        assert login(api, name, "wrong-password", ip()).status_code == 401
    r = login(api, name, PASSWORD, ip())
    assert r.status_code == 429, r.text
    assert "too many failed logins for this name" in r.json()["Msg"]
    assert r.json()["Code"] == -1
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # "Bob" and "bob" are one name, and so one count.
    assert login(api, name.upper(), PASSWORD, ip()).status_code == 429
    # Other names are not affected.
    other = api.register()
    assert login(api, other, PASSWORD, ip()).status_code == 200


def test_a_successful_login_clears_the_names_failures(make_server):
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=3))
    name = api.register()
    addr = ip()
    for _ in range(2):
        assert login(api, name, "wrong-password", addr).status_code == 401
    assert login(api, name, PASSWORD, addr).status_code == 200
    for _ in range(2):
        assert login(api, name, "wrong-password", addr).status_code == 401
    assert login(api, name, PASSWORD, addr).status_code == 200


def test_failed_logins_per_address_get_429_across_names(make_server):
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_IP=4, LOGIN_FAILS_PER_NAME=100))
    names = [api.register() for _ in range(5)]
    addr = ip()
    for name in names[:4]:  # one guess per name: a spray over many accounts
        assert login(api, name, "wrong-password", addr).status_code == 401
    r = login(api, names[4], PASSWORD, addr)
    assert r.status_code == 429 and "your address" in r.json()["Msg"]
    assert login(api, names[4], PASSWORD, ip()).status_code == 200


def test_a_lookalike_spelling_of_a_name_shares_its_failure_count(make_server):
    """ſ (U+017F LATIN SMALL LETTER LONG S) finds the account of "s": it must
    meet that name's lock too, and its failures count for it."""
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=3, LOGIN_FAIL_WINDOW=60))
    tail = secrets.token_hex(4)
    name = api.register("sam" + tail)
    for _ in range(3):
        assert login(api, name, "wrong-password", ip()).status_code == 401
    r = login(api, "\u017fam" + tail, PASSWORD, ip())
    assert r.status_code == 429, r.text
    # ...and the other way round, with the fullwidth spelling too.
    other = api.register("sue" + tail)
    for spelling in ("\u017fue" + tail, "\uff53ue" + tail, "SUE" + tail):
        assert login(api, spelling, "wrong-password", ip()).status_code == 401
    assert login(api, other, PASSWORD, ip()).status_code == 429


def concurrent_logins(api, names, addrs, password="wrong-password"):
    """Every login at once (one greenlet each, against the live server); the statuses."""
    import gevent

    jobs = [gevent.spawn(login, api, name, password, addr) for name, addr in zip(names, addrs, strict=True)]
    gevent.joinall(jobs, raise_error=True)
    return sorted(job.value.status_code for job in jobs)


def test_concurrent_wrong_passwords_for_one_name_check_at_most_the_limit(make_server):
    """The attempt is reserved in Redis before the password is checked: thirty
    guesses at once get five checks (401) and 429 for the rest."""
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=5, LOGIN_FAIL_WINDOW=60))
    name = api.register()
    statuses = concurrent_logins(api, [name] * 30, [ip() for _ in range(30)])
    assert statuses.count(401) == 5 and statuses.count(429) == 25, statuses
    assert login(api, name, PASSWORD, ip()).status_code == 429


def test_concurrent_wrong_passwords_from_one_address_check_at_most_the_limit(make_server):
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_IP=4, LOGIN_FAILS_PER_NAME=100))
    names = [api.register() for _ in range(12)]
    addr = ip()
    statuses = concurrent_logins(api, names, [addr] * 12)
    assert statuses.count(401) == 4 and statuses.count(429) == 8, statuses
    assert login(api, names[0], PASSWORD, addr).status_code == 429


def test_a_successful_login_gives_its_reservation_back(make_server):
    """Right passwords never use up the address's failure allowance."""
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_IP=3, LOGIN_FAILS_PER_NAME=100))
    name = api.register()
    addr = ip()
    for _ in range(6):
        assert login(api, name, PASSWORD, addr).status_code == 200
    for _ in range(3):
        assert login(api, name, "wrong-password", addr).status_code == 401
    assert login(api, name, PASSWORD, addr).status_code == 429


def test_the_login_page_is_limited_too(make_server):
    server = make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=2)
    api = Api(server)
    name = api.register()
    s = requests.Session()
    for expected in (401, 401, 429):
        token = csrf_of(s.get(server.url + "/").text)
        r = s.post(
            server.url + "/",
            data={"name": name, "password": "wrong-password", "csrf_token": token},
            headers={"X-Forwarded-For": ip()},
            timeout=10,
        )
        assert r.status_code == expected, r.text
    assert "too many failed logins" in r.text


def test_rate_limits_off_turns_the_login_limit_off(make_server):
    api = Api(make_server(RATE_LIMITS="off", PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=1, REGISTRATIONS_PER_IP=1))
    addr = ip()
    name = unique_name()
    assert register(api, name, addr).status_code == 201
    assert register(api, unique_name(), addr).status_code == 201
    for _ in range(3):
        assert login(api, name, "wrong-password", addr).status_code == 401
    assert login(api, name, PASSWORD, addr).status_code == 200


# --- registrations -------------------------------------------------------------------
def test_registrations_per_address_get_429(make_server):
    api = Api(make_server(PROXY_COUNT=1, REGISTRATIONS_PER_IP=2, REGISTRATION_WINDOW=600))
    addr = ip()
    assert register(api, unique_name(), addr).status_code == 201
    assert register(api, unique_name(), addr).status_code == 201
    r = register(api, unique_name(), addr)
    assert r.status_code == 429, r.text
    assert "too many accounts" in r.json()["Msg"] and int(r.headers["Retry-After"]) <= 600
    assert register(api, unique_name(), ip()).status_code == 201


def test_without_a_trusted_proxy_forwarded_for_is_ignored(make_server):
    """X-Forwarded-For is the client's word unless PROXY_COUNT says a proxy
    sets it: a client cannot dodge the address limits by inventing one."""
    server = make_server(REGISTRATIONS_PER_IP=1)
    limiter = server.app.extensions["ratelimit"]
    limiter.clear("register_ip", "127.0.0.1")
    api = Api(server)
    try:
        assert register(api, unique_name(), ip()).status_code == 201
        assert register(api, unique_name(), ip()).status_code == 429
    finally:
        limiter.clear("register_ip", "127.0.0.1")


# --- messages -------------------------------------------------------------------------
def test_messages_per_user_are_limited_over_all_connections_and_nodes(make_server):
    # Two servers on one Redis play two nodes; the per-connection bucket is
    # wide open, so only the per-user count can refuse.
    s1 = make_server(USER_MSG_RATE=5, MSG_RATE=1000)
    s2 = make_server(USER_MSG_RATE=5, MSG_RATE=1000)
    api1, api2 = Api(s1), Api(s2)
    a, b = api1.user(), api1.user()
    api1.befriend(a, b)
    conns = [api1.ws(a), api1.ws(a), api2.ws(a)]
    answers = {}

    def send_and_read(ks):
        for k in ks:
            for i in range(4):
                conns[k].send(Type=1, TargetId=b.id, Content=f"{k}-{i}", ClientMsgId=f"m-{k}-{i}")
        for k in ks:
            mine = {f"m-{k}-{i}" for i in range(4)}
            while not mine <= answers.keys():
                frame = conns[k].recv()  # the user's other connections' copies come too
                if frame.get("ClientMsgId") in mine:
                    answers[frame["ClientMsgId"]] = frame

    # 4 a connection: under 5 on each connection, 8 on the first node...
    send_and_read([0, 1])
    # ...then 4 on the second node, which alone has seen none.
    send_and_read([2])
    limited = [f for f in answers.values() if f["Type"] == -1]
    assert all(f["Code"] == 429 and "from your account" in f["Msg"] for f in limited)
    assert len([c for c in limited if not c["ClientMsgId"].startswith("m-2-")]) >= 3, answers
    # The second node refused too: one count per user, in Redis.
    assert any(f["ClientMsgId"].startswith("m-2-") for f in limited), answers
    for conn in conns:
        conn.close()


# --- uploads ---------------------------------------------------------------------------
def test_uploads_per_user_per_minute_get_429(make_server):
    api = Api(make_server(UPLOADS_PER_MINUTE=2))
    user = api.user()
    png = picture("PNG")

    def upload():
        return requests.post(
            api.url + "/attach/upload", files={"file": ("a.png", png, "image/png")}, headers=user.auth, timeout=10
        )

    assert upload().status_code == 200
    assert upload().status_code == 200
    r = upload()
    assert r.status_code == 429, r.text
    assert "too many uploads" in r.json()["Msg"] and 1 <= int(r.headers["Retry-After"]) <= 60
    other = api.user()
    assert (
        requests.post(
            api.url + "/attach/upload", files={"file": ("a.png", png, "image/png")}, headers=other.auth, timeout=10
        ).status_code
        == 200
    )


# --- headers ------------------------------------------------------------------------------
class ScriptFinder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.inline.append(tag)
        self.inline += [f"{tag} {k}" for k in attrs if k.startswith("on")]
        self.inline += [f"{tag} style" for k in attrs if k == "style"]
        if any(str(v or "").strip().lower().startswith("javascript:") for v in attrs.values()):
            self.inline.append(f"{tag} javascript: URL")


def csrf_of(page):
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def csp_of(r):
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in r.headers["Content-Security-Policy"].split(";"))


def test_every_page_has_the_security_headers_and_no_inline_script(api, server):
    user = api.user()
    s = requests.Session()
    s.post(
        server.url + "/",
        data={"name": user.name, "password": PASSWORD, "csrf_token": csrf_of(s.get(server.url + "/").text)},
        timeout=10,
    )
    answers = {
        "login": requests.get(server.url + "/", timeout=10),
        "register": requests.get(server.url + "/toRegister", timeout=10),
        "chat": s.get(server.url + "/toChat", timeout=10),
        "api": user.post("/searchFriends"),
        "api error": requests.post(server.url + "/user/find", timeout=10),
        "not found": requests.get(server.url + "/no/such/page", headers={"Accept": "text/html"}, timeout=10),
        "static": requests.get(server.url + "/static/js/chat.js", timeout=10),
    }
    assert answers["chat"].status_code == 200 and "/toChat" in answers["chat"].url
    for label, r in answers.items():
        csp = csp_of(r)
        assert csp["script-src"] == "'self'", (label, csp)
        assert (
            "unsafe-inline" not in csp.get("style-src", "")
            and "unsafe-eval" not in r.headers["Content-Security-Policy"]
        ), label
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'", label
        assert r.headers["X-Content-Type-Options"] == "nosniff", label
        assert r.headers["Referrer-Policy"] == "same-origin", label
        assert r.headers["X-Frame-Options"] == "DENY", label
        if "text/html" in r.headers["Content-Type"]:
            finder = ScriptFinder()
            finder.feed(r.text)
            assert finder.inline == [], (label, finder.inline)


def test_swagger_ui_gets_its_own_policy_and_still_loads(server):
    r = requests.get(server.url + "/swagger/", timeout=10)
    assert r.status_code == 200 and "swagger" in r.text.lower()
    csp = csp_of(r)
    assert "'unsafe-inline'" in csp["script-src"] and csp["frame-ancestors"] == "'none'"
    assert "http" not in r.headers["Content-Security-Policy"], "nothing from another host"
    # Everything the page loads comes from this server, under the same policy.
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', r.text):
        assert requests.get(server.url + src, timeout=10).status_code == 200, src
    spec = requests.get(server.url + "/swagger/apispec.json", timeout=10)
    assert spec.status_code == 200 and spec.json()["swagger"] == "2.0"


def set_cookie(r, name="session"):
    headers = r.raw.headers.getlist("Set-Cookie") if hasattr(r.raw.headers, "getlist") else [r.headers["Set-Cookie"]]
    found = [h for h in headers if h.startswith(name + "=")]
    assert found, headers
    return found[-1]


def page_login(server, user, headers=None):
    s = requests.Session()
    token = csrf_of(s.get(server.url + "/", headers=headers, timeout=10).text)
    r = s.post(
        server.url + "/",
        data={"name": user.name, "password": PASSWORD, "csrf_token": token},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text
    return s, r, token


def test_session_cookie_is_httponly_lax_and_secure_only_over_https(api, server, make_server):
    user = api.user()
    _, r, _ = page_login(server, user)
    cookie = set_cookie(r).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    def first_cookie(srv, **headers):
        return set_cookie(requests.get(srv.url + "/", headers=headers, timeout=10)).lower()

    # Configured https, or https through a trusted proxy: Secure.
    assert "; secure" in first_cookie(make_server(PREFERRED_URL_SCHEME="https"))
    assert "; secure" in first_cookie(make_server(PROXY_COUNT=1), **{"X-Forwarded-Proto": "https"})
    # Without a trusted proxy the header is the client's word, and ignored.
    assert "secure" not in first_cookie(server, **{"X-Forwarded-Proto": "https"})


def test_login_starts_a_new_session_so_a_planted_one_is_worthless(api, server):
    """Session fixation: whatever the session held before the login (here the
    CSRF token an attacker could have read from a planted session) does not
    survive it."""
    user = api.user()
    s, _, before = page_login(server, user)
    after = csrf_of(s.get(server.url + "/toChat", timeout=10).text)
    assert after != before
    r = s.post(server.url + "/user/logout", headers={"X-CSRFToken": before}, timeout=10)
    assert r.status_code == 400 and "CSRF" in r.json()["Msg"], r.text
    assert s.post(server.url + "/user/logout", headers={"X-CSRFToken": after}, timeout=10).status_code == 200


# --- SECRET_KEY ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "settings",
    [
        {"BUS": "redis", "REDIS_URL": "redis://127.0.0.1:1/0"},
        {"BUS": "udp", "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"},
        {"BUS": "udp", "UDP_BROADCAST": "192.168.1.255"},
    ],
)
def test_a_multi_node_setup_refuses_the_development_key(tmp_path, settings):
    from ginchat import create_app

    config = {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path), **settings}
    with pytest.raises(RuntimeError, match="GINCHAT_SECRET_KEY is not set.*same long random string on every node"):
        create_app(config)


def test_a_short_secret_key_is_refused_in_a_deployment(tmp_path):
    from ginchat import create_app

    with pytest.raises(RuntimeError, match="too short"):
        create_app({"SECRET_KEY": "secret", "INSTANCE_PATH": str(tmp_path), "BUS": "none"})


@pytest.mark.slow  # starts a node process
def test_a_node_process_without_a_key_exits_saying_why(shared, workdir):
    from multinode import NodeProcess, node_settings

    settings = node_settings(shared["db"], shared["redis"], "redis")
    del settings["SECRET_KEY"]
    node = NodeProcess("keyless-" + secrets.token_hex(3), workdir, settings).start()
    try:
        assert node.proc.wait(timeout=60) != 0
        assert "GINCHAT_SECRET_KEY is not set" in node.log()
    finally:
        node.stop()


from multinode import shared  # noqa: E402,F401  (fixture)


def test_guessing_the_current_password_counts_as_failed_logins(make_server):
    """Whoever holds a stolen session cannot try passwords without limit through
    oldPassword or deleteUser: each wrong guess counts against the name."""
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=3, LOGIN_FAIL_WINDOW=60))
    user = api.user("guess")
    addr = ip()
    for path, data in (
        ("/user/updateUser", {"password": "new-password-1", "oldPassword": "wrong-guess"}),
        ("/user/deleteUser", {"password": "wrong-guess"}),
    ):
        r = requests.post(api.url + path, data=data, headers={**user.auth, "X-Forwarded-For": addr}, timeout=10)
        assert r.status_code == 403, r.text
    r = requests.post(
        api.url + "/user/deleteUser",
        data={"password": "wrong-guess"},
        headers={**user.auth, "X-Forwarded-For": addr},
        timeout=10,
    )
    assert r.status_code == 403, r.text
    # The name is at its limit now: even the right password is refused, here and at login.
    r = requests.post(
        api.url + "/user/updateUser",
        data={"password": "new-password-1", "oldPassword": PASSWORD},
        headers={**user.auth, "X-Forwarded-For": addr},
        timeout=10,
    )
    assert r.status_code == 429, r.text
    assert login(api, user.name, PASSWORD, ip()).status_code == 429
    # Nothing changed: the account lives and its password is the old one.
    assert requests.post(api.url + "/searchFriends", headers=user.auth, timeout=10).status_code == 200


def test_the_right_current_password_clears_the_count(make_server):
    api = Api(make_server(PROXY_COUNT=1, LOGIN_FAILS_PER_NAME=3, LOGIN_FAIL_WINDOW=60))
    user = api.user("guess")
    headers = {**user.auth, "X-Forwarded-For": ip()}
    for _ in range(2):
        r = requests.post(
            api.url + "/user/updateUser",
            data={"password": "new-password-1", "oldPassword": "nope-1"},
            headers=headers,
            timeout=10,
        )
        assert r.status_code == 403
    r = requests.post(
        api.url + "/user/updateUser",
        data={"password": "new-password-1", "oldPassword": PASSWORD},
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    for _ in range(2):
        assert login(api, user.name, "wrong-password", ip()).status_code == 401
    assert login(api, user.name, "new-password-1", ip()).status_code == 200
