"""PASSWORD_HASH: a server keeps werkzeug's full-cost scrypt by default. The
suite's own apps and nodes hash at a low cost (conftest.py, multinode.py,
e2e_support.py) because they register thousands of users; this file checks
that the default a server runs with is the real one, that a login checks a
hash at the cost it was stored with, and that a bad method stops the start."""

import pytest

from conftest import TEST_PASSWORD_HASH
from helpers import PASSWORD, Api

from ginchat.config import Config
from ginchat.settings import Settings

DEFAULT_PREFIX = "scrypt:32768:8:1$"  # werkzeug's default: N=2^15, r=8, p=1


def stored_hash(app, user_id):
    from ginchat.extensions import db
    from ginchat.models.user_basic import UserBasic

    with app.app_context():
        try:
            return db.session.get(UserBasic, user_id).password
        finally:
            db.session.remove()


def test_a_server_stores_passwords_with_werkzeugs_default_scrypt(make_server):
    # The suite's base config names a cheap method: put the default back.
    server = make_server(PASSWORD_HASH=Config.PASSWORD_HASH)
    assert server.app.config["PASSWORD_HASH"] == "scrypt"
    api = Api(server)
    user = api.user()
    assert stored_hash(server.app, user.id).startswith(DEFAULT_PREFIX)
    # A password change is hashed the same way.
    r = user.post("/user/updateUser", password="another-pw-2", oldPassword=PASSWORD)
    assert r.status_code == 200, r.text
    assert stored_hash(server.app, user.id).startswith(DEFAULT_PREFIX)


def test_a_login_checks_a_hash_at_the_cost_it_was_stored_with(api, make_server):
    """Hashes of the cheap method log in on a default server (a hash carries
    its method), and the suite's users are really hashed with it."""
    user = api.user()
    assert stored_hash(api.server.app, user.id).startswith(TEST_PASSWORD_HASH + "$")
    default = Api(make_server(PASSWORD_HASH=Config.PASSWORD_HASH))
    assert default.login(user.name, PASSWORD).id == user.id
    r = default.post("/user/findUserByNameAndPwd", name=user.name, password=PASSWORD + "x")
    assert r.status_code == 401, r.text


@pytest.mark.parametrize("method", ["md5", "plain", "scrypt:abc", "pbkdf2:md5", "argon2", "scrypt;rm"])
def test_a_bad_method_stops_the_start(method):
    with pytest.raises(RuntimeError, match="GINCHAT_PASSWORD_HASH"):
        Settings.from_config({"PASSWORD_HASH": method})


@pytest.mark.parametrize("method", ["scrypt", "scrypt:16384:8:1", "pbkdf2", "pbkdf2:sha256:600000"])
def test_werkzeugs_methods_are_accepted(method):
    assert Settings.from_config({"PASSWORD_HASH": method}).password_hash == method
