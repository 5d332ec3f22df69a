"""HTTPS on the LAN (issue 25) as a browser sees it, with no network at all:
Chromium resolves the LAN name office.lan to 127.0.0.1
(--host-resolver-rules) and accepts the server's certificate by its key
(--ignore-certificate-errors-spki-list), so that the pages are on a network
name, as on a real LAN, where localhost's exemption does not apply.

- https://office.lan is a secure context: the microphone records a voice clip
  and notifications can be granted;
- http://office.lan is not: it shows a banner pointing to the https address,
  and the voice and notification controls say that they need it, with the link,
  as does the call button (issue 29); on https two people reach a connected call;
- the login page and the Me tab link to the trust page, which shows the
  fingerprint of /ca.crt and a QR code; at phone width the banner covers nothing.
"""

import base64
import hashlib
import re
import shutil
import ssl
import tempfile

import pytest
import requests

from e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    WAIT_MS,
    ServerProcess,
    befriend,
    expect_stored,
    login,
    open_settings,
    register,
    screenshot,
    unique_name,
)
from playwright_compat import expect

LAN = "office.lan"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def spki_sha256(pem):
    """base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what
    --ignore-certificate-errors-spki-list takes."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_pem_x509_certificate(pem.encode())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def lan():
    """A server with TLS on (its own CA, office.lan among its names), http and https."""
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-lan-")
    proc = ServerProcess(workdir)  # https on proc.https_port, a free one
    proc.env.update({"GINCHAT_TLS": "auto", "GINCHAT_TLS_NAMES": LAN})
    proc.start()
    proc.http_origin = f"http://{LAN}:{proc.port}"
    proc.https_origin = f"https://{LAN}:{proc.https_port}"
    yield proc
    proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def lan_browser(lan, browser):
    """Chromium that finds office.lan on 127.0.0.1 and accepts the server's certificate."""
    leaf = ssl.get_server_certificate(("127.0.0.1", lan.https_port))
    args = [
        *CHROMIUM_ARGS,
        f"--host-resolver-rules=MAP {LAN} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki_sha256(leaf)}",
        "--allow-loopback-in-peer-connection",  # calls (issue 29): this LAN's only network is loopback
    ]
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    yield chromium
    chromium.close()


@pytest.fixture
def open_page(lan_browser):
    contexts = []

    def opener(origin, **options):
        options.setdefault("viewport", {"width": 1200, "height": 800})
        ctx = lan_browser.new_context(base_url=origin, **options)
        ctx.set_default_timeout(WAIT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        return page

    yield opener
    for ctx in contexts:
        ctx.close()


def in_a_conversation(lan, page):
    me, other = register(lan, "lan"), register(lan, "lanb")
    befriend(me, other)
    login(page, me.name)
    page.locator("#chat-list a", has_text=other.name).click()
    return me, other


def test_https_on_a_lan_name_is_a_secure_context_where_voice_and_notifications_work(lan, open_page):
    page = open_page(lan.https_origin)
    page.context.grant_permissions(["notifications"], origin=lan.https_origin)
    in_a_conversation(lan, page)
    assert page.evaluate("location.origin") == lan.https_origin
    assert page.evaluate("window.isSecureContext") is True
    expect(page.locator("#secure-banner")).to_have_count(0)

    # the microphone (Chromium's fake device) records a clip, and it is sent
    button = page.get_by_role("button", name="Record a voice clip")
    expect(button).to_be_enabled()
    button.hover()
    page.mouse.down()
    expect(page.locator("#rec-status")).to_contain_text("Recording 0:02")
    page.mouse.up()
    expect_stored(page.locator("#messages .msg.mine[data-media='3']"))

    # notifications: granted for this origin, and the settings turn them on
    open_settings(page, "notifications")
    page.locator("#enable-notifications").click()
    expect(page.locator("#notify-state")).to_have_text("Desktop notifications are on while this tab is hidden.")
    assert page.evaluate("Notification.permission") == "granted"
    assert page.problems == []


def test_plain_http_on_a_lan_name_points_to_the_https_address(lan, open_page):
    page = open_page(lan.http_origin)
    secure = f"https://{LAN}:{lan.https_port}/"
    page.goto("/")
    assert page.evaluate("window.isSecureContext") is False
    banner = page.locator("#secure-banner")
    expect(banner).to_be_visible()
    expect(banner.locator("a.secure-link")).to_have_attribute("href", secure)
    in_a_conversation(lan, page)
    expect(banner).to_be_visible()
    expect(banner.locator("a.secure-link")).to_have_attribute("href", secure)

    # the voice button says why it cannot record, and where it can
    page.get_by_role("button", name="Record a voice clip").click()
    status = page.locator("#rec-status")
    expect(status).to_contain_text("Voice clips need the secure address")
    expect(status.locator("a")).to_have_attribute("href", secure)

    # so does the call button (issue 29), and no call starts
    page.get_by_role("button", name="Voice call").click()
    alert = page.locator("#call-error")
    expect(alert).to_contain_text("Calls need the microphone, which the browser gives only to a secure page.")
    expect(alert.locator("a")).to_have_attribute("href", secure)
    expect(page.locator("#call")).to_have_count(0)
    alert.get_by_role("button", name="Close").click()

    # the notification settings say the same instead of "blocked for this site"
    open_settings(page, "notifications")
    state = page.locator("#notify-state")
    expect(state).to_contain_text("Desktop notifications need the secure address")
    expect(state).not_to_contain_text("blocked")
    expect(state.locator("a")).to_have_attribute("href", secure)
    expect(page.locator("#enable-notifications")).to_be_disabled()
    screenshot(page, "lan-http-notifications")

    # the banner's link opens the secure page
    banner.locator("a.secure-link").click()
    page.wait_for_url(secure + "**")
    assert page.evaluate("window.isSecureContext") is True
    assert page.problems == []


def test_the_login_page_and_the_me_tab_lead_to_the_trust_page(lan, open_page):
    page = open_page(lan.http_origin)
    page.goto("/")
    page.locator("#trust-link").click()
    page.wait_for_url("**/trust")
    ca = requests.get(lan.url + "/ca.crt", timeout=10)
    assert ca.status_code == 200
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(ca.text)).hexdigest().upper()
    expect(page.locator("#ca-fingerprint")).to_be_visible()
    assert page.locator("#ca-fingerprint").inner_text().replace(":", "") == fingerprint
    qr = page.locator("#trust-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    expect(qr).to_have_attribute("alt", f"QR code of https://{LAN}:{lan.https_port}/")
    expect(page.locator("#ca-download")).to_have_attribute("href", "/ca.crt")
    screenshot(page, "lan-trust-page")

    # the Me tab of the app links there too
    in_a_conversation(lan, page)
    page.get_by_role("tab", name="Me").click()
    link = page.locator("#settings-link-trust")
    expect(link).to_have_attribute("href", "/trust")
    link.click()
    page.wait_for_url("**/trust")
    assert page.problems == []


def boxes_overlap(a, b):
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def controls_clear_of_the_banner(page):
    banner = page.locator("#secure-banner").bounding_box()
    assert banner and banner["height"] > 0
    controls = page.locator(
        "button:visible, a:visible, input:visible, textarea:visible, select:visible, [role=tab]:visible"
    )
    for i in range(controls.count()):
        control = controls.nth(i)
        if control.evaluate("node => !!node.closest('#secure-banner')"):
            continue
        box = control.bounding_box()
        if box and box["width"] and box["height"]:
            assert not boxes_overlap(banner, box), control.evaluate("n => n.outerHTML.slice(0, 120)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_at_phone_width_the_banner_covers_no_control(lan, open_page):
    page = open_page(lan.http_origin, **PHONE)
    for path in ("/trust", "/"):
        page.goto(path)
        expect(page.locator("#secure-banner")).to_be_visible()
        controls_clear_of_the_banner(page)
    screenshot(page, "lan-http-phone-390-login")
    in_a_conversation(lan, page)
    expect(page.locator("#secure-banner")).to_be_visible()
    controls_clear_of_the_banner(page)
    # the composer is still on the screen, below the banner
    composer = page.locator("#composer").bounding_box()
    assert composer["y"] + composer["height"] <= 844
    screenshot(page, "lan-http-phone-390")
    page.get_by_role("link", name="Back to the lists").click()
    controls_clear_of_the_banner(page)
    assert page.problems == []


def test_the_banner_is_not_shown_on_localhost(lan, open_page):
    """127.0.0.1 is a secure context even over http (the other browser tests run there): no banner."""
    page = open_page(lan.url)
    page.goto("/")
    assert page.evaluate("window.isSecureContext") is True
    expect(page.locator('meta[name="ginchat-https-port"]')).to_have_attribute("content", str(lan.https_port))
    expect(page.locator("#secure-banner")).to_have_count(0)


@pytest.mark.parametrize("size", [{"width": 1200, "height": 800}, PHONE["viewport"]], ids=["desktop", "phone"])
def test_pins_notice_and_read_only_on_the_lan_name_in_chinese(lan, open_page, size):
    """Issue 28's views on https at the LAN name, in a zh-CN browser: a member of
    a read-only group sees the notice (New, then read: the mark is kept by the
    server over https), the pin mark and the Pinned list, and the read-only line."""
    owner, member = register(lan, "lanown"), register(lan, "lanmem")
    r = owner.post("/contact/createCommunity", name=unique_name("lancrew"))
    assert r.status_code == 201, r.text
    gid = r.json()["Data"]["ID"]
    assert member.post("/contact/joinGroup", comId=gid).status_code == 200
    sent = owner.send([{"Type": 2, "TargetId": gid, "Content": "发版计划", "ClientMsgId": "lan-pin"}])[0]
    assert owner.post("/message/pin", id=sent["Id"]).status_code == 200
    assert owner.post("/contact/setNotice", comId=gid, notice="周五发版").status_code == 200
    assert owner.post("/contact/updateGroup", comId=gid, whoMayWrite="admins").status_code == 200
    phone = size["width"] < 600
    options = dict(PHONE) if phone else {"viewport": size}
    page = open_page(lan.https_origin, locale="zh-CN", **options)
    page.goto("/")  # the login form in Chinese: by its fields
    page.locator("#name").fill(member.name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_url("**/toChat**")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    assert page.evaluate("window.isSecureContext") is True
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.locator(f'#chat-list a[href="#g{gid}"]').click()
    expect(page.locator("#composer-readonly")).to_have_text("本群已开启全员禁言，仅群主和管理员可以发言。")
    banner = page.locator("#group-notice")
    expect(banner.locator("#group-notice-text")).to_have_text("周五发版")
    expect(banner.locator("#group-notice-new")).to_have_text("新")
    expect(page.locator("#messages .msg", has_text="发版计划").locator(".pin-mark")).to_have_count(1)
    banner.get_by_role("button", name="知道了").click()
    expect(banner.locator("#group-notice-new")).to_be_hidden()
    if phone:
        page.locator("#conv-menu-btn").click()
    page.locator("#pins-btn").click()
    expect(page.locator("#pins-panel")).to_have_attribute("aria-label", "置顶消息")
    expect(page.locator("#pins-panel .pin-item")).to_contain_text("发版计划")
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page, f"lan-https-zh-pins-notice-{'phone' if phone else 'desktop'}")
    # The mark was kept by the server: a new page on the same address agrees.
    rows = member.post("/contact/loadcommunity").json()["Rows"]
    assert next(g for g in rows if g["ID"] == gid)["Notice"]["Seen"] is True
    assert page.problems == []


def test_a_call_on_the_https_lan_name_connects(lan, open_page):
    """Issue 29: two people on https://office.lan reach a connected call."""
    caller, callee = register(lan, "lanc"), register(lan, "land")
    befriend(caller, callee)
    pages = []
    for user in (caller, callee):
        page = open_page(lan.https_origin)
        page.context.add_init_script("window.__ginchatCalls = { loopbackOnly: true };")
        login(page, user.name)
        pages.append(page)
    a, b = pages
    a.locator("#chat-list a", has_text=callee.name).click()
    a.get_by_role("button", name="Voice call").click()
    b.get_by_role("alertdialog").get_by_role("button", name="Accept", exact=True).click()
    for page in pages:
        page.wait_for_function(
            "() => window.__ginchatCalls.peers().length === 1"
            " && window.__ginchatCalls.peers()[0].connectionState === 'connected'"
        )
    b.get_by_role("button", name="Hang up").click()
    for page in pages:
        expect(page.locator("#call")).to_have_count(0)
    expect(a.locator("#messages .call-record .call-record-text")).to_have_text(re.compile(r"^Call · 0:\d\d$"))
    assert a.problems == [] and b.problems == []
