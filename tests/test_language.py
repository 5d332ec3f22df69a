"""The interface language (issue 26): the pages speak the account's setting,
else the browser's Accept-Language (English or Simplified Chinese), else
English; POST /user/setLanguage keeps the setting; API messages stay English."""

import re

import requests
from test_http_pages import form_post, register_and_log_in

from helpers import PASSWORD, unique_name

HTML_LANG = re.compile(r'<html lang="([^"]*)" data-language="([^"]*)"')
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def html_lang(response):
    match = HTML_LANG.search(response.text)
    assert match, response.text[:300]
    return match.groups()


def test_the_login_page_follows_accept_language(api):
    cases = [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-TW", "zh-CN"),  # the Chinese there is
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,zh;q=0.5", "zh-CN"),  # the best language GinChat speaks
        ("fr-FR,de;q=0.5", "en"),
        ("", "en"),
        ("*", "en"),
        ("en;q=0.3,zh-CN;q=0.8", "zh-CN"),  # by quality, not order
    ]
    for accept, lang in cases:
        r = requests.get(api.url + "/", headers={"Accept-Language": accept}, timeout=10)
        assert r.status_code == 200
        assert html_lang(r) == (lang, ""), accept
    zh = requests.get(api.url + "/", headers=ZH, timeout=10).text
    assert ">登录</button>" in zh and ">密码</label>" in zh
    en = requests.get(api.url + "/", headers={"Accept-Language": "en"}, timeout=10).text
    assert ">Log in</button>" in en and not re.search(r"[\u4e00-\u9fff]", en)


def test_forms_and_flashes_speak_chinese(api):
    session = requests.Session()
    session.headers.update(ZH)
    r = form_post(session, api.url, "/toRegister", name=unique_name("zh"), password=PASSWORD, Identity="other-one")
    assert r.status_code == 400
    assert "两次输入的密码不一致" in r.text  # the form's own error
    nobody = unique_name("nobody")
    r = form_post(session, api.url, "/", name=nobody, password="wrong-one")
    assert r.status_code == 401 and "账号或密码错误" in r.text  # an error of the rules, flashed
    # The same error stays English in the API.
    r = requests.post(
        api.url + "/user/findUserByNameAndPwd", data={"name": nobody, "password": "x"}, headers=ZH, timeout=10
    )
    assert r.json()["Msg"] == "wrong name or password"


def test_the_setting_wins_over_the_browser_and_persists(api):
    name, session = register_and_log_in(api)
    session.headers.update(ZH)
    assert html_lang(session.get(api.url + "/toChat", timeout=10)) == ("zh-CN", "")
    user = api.login(name)
    r = user.post("/user/setLanguage", language="en")
    assert r.status_code == 200, r.text
    assert r.json()["Data"] == {"Language": "en", "Effective": "en"}
    # The cookie session of the same account, a Chinese browser: English now.
    page = session.get(api.url + "/toChat", timeout=10)
    assert html_lang(page) == ("en", "en") and ">Log out</button>" in page.text
    assert user.post("/user/setLanguage", language="zh_cn").json()["Data"]["Language"] == "zh-CN"
    en_browser = requests.Session()
    en_browser.cookies.update(session.cookies)
    assert html_lang(en_browser.get(api.url + "/toChat", headers={"Accept-Language": "en-US"}, timeout=10)) == (
        "zh-CN",
        "zh-CN",
    )
    # "": follow the browser again.
    assert user.post("/user/setLanguage", language="").json()["Data"]["Language"] == ""
    assert html_lang(session.get(api.url + "/toChat", timeout=10)) == ("zh-CN", "")


def test_a_bad_language_is_a_400_and_changes_nothing(api):
    user = api.user("lang")
    assert user.post("/user/setLanguage", language="zh-CN").status_code == 200
    for bad in ({"language": "fr"}, {"language": "x" * 40}, {}, {"language": "zh-CN\x00"}):
        r = user.post("/user/setLanguage", **bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["Code"] != 0
    r = requests.post(api.url + "/user/setLanguage", data={"language": "en"}, timeout=10)
    assert r.status_code == 401
    page = requests.Session()
    login = form_post(page, api.url, "/", name=user.name, password=PASSWORD)
    assert login.status_code in (302, 303)
    assert html_lang(page.get(api.url + "/toChat", timeout=10)) == ("zh-CN", "zh-CN")


def test_error_pages_speak_the_language_and_the_api_stays_english(api):
    page = requests.get(api.url + "/no-such-page", headers={**ZH, "Accept": "text/html"}, timeout=10)
    assert page.status_code == 404 and html_lang(page) == ("zh-CN", "")
    assert "服务器上没有这个网址" in page.text and "返回 GinChat" in page.text
    answer = requests.get(api.url + "/no-such-page", headers={**ZH, "Accept": "application/json"}, timeout=10)
    assert answer.status_code == 404 and "not found" in answer.json()["Msg"]
