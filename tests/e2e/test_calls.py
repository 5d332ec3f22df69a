"""Calls in the browser (issue 29): two people in headless Chromium with fake
devices reach a connected call whose getStats() shows audio packets flowing
both ways, hang up, and both see the record with its duration; every device of
the callee rings and the first to accept wins, a third caller finds them busy; a declined
call and a missed one show their records (and the missed one in the chat
list); three people in a group call at desktop size are connected pairwise;
a refused microphone says so clearly (a page that is not a secure context:
test_lan_https.py).

The peer connections are reached through the page's debug handle
(window.__ginchatCalls). The machine's only network here is loopback, so the
browser is allowed loopback ICE candidates (--allow-loopback-in-peer-connection)
and the pages keep only 127.0.0.1 candidates (``loopbackOnly``).
"""

import re
import shutil
import tempfile
import time

import pytest

from e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    ServerProcess,
    befriend,
    login,
    register,
    screenshot,
    unique_name,
)
from playwright_compat import expect

PHONE = {"width": 390, "height": 844}
RING_SECONDS = 6  # a missed call ends this soon here (CALL_RING_SECONDS)
LOOPBACK_ONLY = "window.__ginchatCalls = Object.assign(window.__ginchatCalls || {}, { loopbackOnly: true });"

STATS = """async () => {
  const out = [];
  for (const pc of window.__ginchatCalls.peers()) {
    const row = { state: pc.connectionState, sent: 0, received: 0 };
    (await pc.getStats()).forEach((r) => {
      if (r.kind !== 'audio') return;
      if (r.type === 'outbound-rtp') row.sent += r.packetsSent || 0;
      if (r.type === 'inbound-rtp') row.received += r.packetsReceived || 0;
    });
    out.push(row);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server():
    """A server of its own, where an unanswered call ends after a few seconds."""
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-calls-")
    proc = ServerProcess(workdir)
    proc.env["GINCHAT_CALL_RING_SECONDS"] = str(RING_SECONDS)
    proc.start()
    yield proc
    proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def call_browser(browser):
    """Chromium as the suite launches it, with loopback ICE candidates allowed."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--allow-loopback-in-peer-connection",
            "--auto-select-desktop-capture-source=Entire screen",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def callers(server, call_browser):
    """``callers.open(user, **context_options)``: a logged-in page whose calls keep to loopback."""

    class Callers:
        def __init__(self):
            self.contexts = []

        def open(self, user, browser=None, **options):
            options.setdefault("viewport", {"width": 1200, "height": 800})
            options.setdefault("base_url", server.url)
            ctx = (browser or call_browser).new_context(**options)
            ctx.set_default_timeout(WAIT_MS)
            ctx.add_init_script(LOOPBACK_ONLY)
            self.contexts.append(ctx)
            page = ctx.new_page()
            page.problems = []
            page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
            login(page, user.name)
            return page

        def close(self):
            for ctx in self.contexts:
                try:
                    ctx.close()
                except Exception:  # noqa: BLE001 - its browser was closed already
                    pass

    crowd = Callers()
    yield crowd
    crowd.close()


def open_chat(page, name):
    page.locator("#chat-list a, #friend-list a, #group-list a", has_text=name).first.click()
    expect(page.locator("#conv-title")).to_have_text(name)


def wait_for(what, check, seconds=WAIT_MS / 1000):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what}: still {last!r} after {seconds} s")


def audio_flows(page, peers):
    """Every one of the page's ``peers`` connections is connected and its
    audio packets go out and come in (and keep coming)."""

    def first():
        rows = page.evaluate(STATS)
        ok = len(rows) == peers and all(r["state"] == "connected" and r["sent"] > 0 and r["received"] > 0 for r in rows)
        return rows if ok else False

    before = wait_for("connected with audio both ways", first, 45)

    def grows():
        rows = page.evaluate(STATS)
        return len(rows) == peers and all(
            r["sent"] > b["sent"] and r["received"] > b["received"] for r, b in zip(rows, before, strict=True)
        )

    wait_for("audio still flowing", grows)


def private_pair(server, callers, **bob_options):
    a, b = register(server, "ca"), register(server, "cb")
    befriend(a, b)
    return a, b, callers.open(a), callers.open(b, **bob_options)


def test_two_people_talk_then_hang_up_and_see_the_record(server, callers):
    a, b, alice, bob = private_pair(server, callers, viewport=PHONE)  # Bob on a phone
    open_chat(alice, b.name)
    alice.get_by_role("button", name="Voice call").click()
    expect(alice.locator("#call")).to_be_visible()

    # Bob's device rings: the card, with Accept and Decline.
    card = bob.get_by_role("alertdialog")
    expect(card).to_contain_text(a.name)
    expect(card).to_contain_text("Incoming voice call")
    card.get_by_role("button", name="Accept", exact=True).click()
    expect(card).to_have_count(0)
    expect(bob.locator("#call")).to_be_visible()

    audio_flows(alice, 1)
    audio_flows(bob, 1)
    # Names on the tiles, the timer running.
    expect(alice.locator("#call .call-tile:not(.local) .call-name")).to_have_text(b.name)
    expect(bob.locator("#call .call-tile:not(.local) .call-name")).to_have_text(a.name)
    expect(alice.locator("#call .call-timer")).to_have_text(re.compile(r"^0:0[1-9]|^0:[1-5]\d"))

    # Mute: the tool says so, the track is off.
    alice.locator("#call").get_by_role("button", name="Mute the microphone", exact=True).click()
    expect(alice.locator("#call").get_by_role("button", name="Unmute the microphone", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert alice.evaluate("window.__ginchatCalls.current().mic.enabled") is False
    expect(bob.locator("#call .call-tile:not(.local) .call-mic-off")).to_be_visible()
    alice.locator("#call").get_by_role("button", name="Unmute the microphone", exact=True).click()
    # Alice's socket drops and comes back: she rejoins, the peer connection was kept,
    # and the call is still on after the server's CALL_REJOIN_SECONDS (8) have passed.
    alice.evaluate("window.__pcBefore = window.__ginchatCalls.peers()[0]")
    alice.evaluate("window.__wsBefore = window.__ginchatCalls.socket().ws; window.__wsBefore.close()")
    reopened = "(() => { const s = window.__ginchatCalls.socket(); return s.isOpen && s.ws !== window.__wsBefore; })()"
    wait_for("a new socket", lambda: alice.evaluate(reopened))
    time.sleep(9)
    expect(alice.locator("#call")).to_be_visible()
    expect(bob.locator("#call")).to_be_visible()
    assert alice.evaluate("window.__ginchatCalls.peers()[0] === window.__pcBefore")
    audio_flows(alice, 1)
    audio_flows(bob, 1)

    # Alice turns her camera on in this voice call: Bob sees her video (the track is
    # replaced, nothing renegotiated), then the screenshot.
    alice.locator("#call").get_by_role("button", name="Turn the camera on").click()
    expect(alice.locator("#call").get_by_role("button", name="Turn the camera off")).to_be_visible()
    expect(bob.locator("#call .call-tile:not(.local)")).to_have_class(re.compile(r"\bhas-video\b"))
    expect(alice.locator("#call .call-tile.local")).to_have_class(re.compile(r"\bhas-video\b"))
    time.sleep(1.5)  # a call of a measurable length, a few frames of video
    screenshot(alice, "call")

    # Alice shares her screen (it replaces the camera for Bob), then stops: the camera is back.
    call = alice.locator("#call")
    call.get_by_role("button", name="Share the screen").click()
    expect(call.get_by_role("button", name="Stop sharing the screen")).to_have_attribute("aria-pressed", "true")
    assert alice.evaluate("window.__ginchatCalls.current().screen.label").startswith("screen")
    call.get_by_role("button", name="Stop sharing the screen").click()
    expect(call.get_by_role("button", name="Share the screen")).to_have_attribute("aria-pressed", "false")
    sent = "window.__ginchatCalls.peers()[0].getSenders().find((s) => s.track && s.track.kind === 'video').track.id"
    assert alice.evaluate(sent) == alice.evaluate("window.__ginchatCalls.current().cam.id")

    # Another microphone and speaker from the device menu: the new microphone's track is
    # the one sent, and the audio keeps flowing.
    call.get_by_role("button", name="Devices").click()
    call.get_by_label("Microphone", exact=True).select_option(label="Fake Audio Input 1")
    expect(call.get_by_label("Speaker", exact=True)).to_be_visible()
    call.get_by_label("Speaker", exact=True).select_option(label="Fake Audio Output 1")
    mic_sent = "window.__ginchatCalls.peers()[0].getSenders().find((s) => s.track && s.track.kind === 'audio').track"
    wait_for("the new microphone is sent", lambda: alice.evaluate(mic_sent + ".label") == "Fake Audio Input 1")
    audio_flows(bob, 1)
    call.get_by_role("button", name="Close").click()
    # At phone width the call fits: every control on screen, nothing sideways; someone speaks
    # (the fake microphone beeps) and their tile shows it.
    assert bob.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    for name in ("Mute the microphone", "Turn the camera on", "Devices", "Hang up"):
        expect(bob.locator("#call").get_by_role("button", name=name, exact=True)).to_be_in_viewport()
    expect(bob.locator("#call .call-tile.speaking").first).to_be_visible()
    screenshot(bob, "phone-call")

    alice.get_by_role("button", name="Hang up").click()
    expect(alice.locator("#call")).to_have_count(0)
    expect(bob.locator("#call")).to_have_count(0)
    assert alice.evaluate("window.__ginchatCalls.peers().length") == 0

    # The record, with the call's duration, in the chat list and the conversation on both sides.
    bob_row = bob.locator("#chat-list a", has_text=a.name)
    expect(bob_row.locator(".preview")).to_have_text(re.compile(r"^📞 Call · 0:\d\d$"))
    bob_row.click()
    for page in (alice, bob):
        record = page.locator("#messages .call-record")
        expect(record).to_have_count(1)
        expect(record.locator(".call-record-text")).to_have_text(re.compile(r"^Call · 0:\d\d$"))
        expect(record.get_by_role("button", name="Call back")).to_be_visible()
    assert alice.problems == [] and bob.problems == []


def test_a_declined_and_a_missed_call_show_their_records(server, callers):
    a, b, alice, bob = private_pair(server, callers)
    open_chat(alice, b.name)

    # Declined: the caller is told, both records say so.
    alice.get_by_role("button", name="Video call").click()
    card = bob.get_by_role("alertdialog")
    expect(card).to_contain_text("Incoming video call")
    card.get_by_role("button", name="Decline").click()
    expect(card).to_have_count(0)
    expect(alice.locator("#call")).to_have_count(0)
    expect(alice.locator("#toast")).to_have_text("The call was declined.")
    expect(alice.locator("#messages .call-record .call-record-text")).to_have_text("Declined")
    open_chat(bob, a.name)
    expect(bob.locator("#messages .call-record .call-record-text")).to_have_text("Declined")

    # Missed: nobody answers; the ringing stops by itself, the callee sees
    # "Missed call" (red) in the conversation and the chat list.
    bob.evaluate("location.hash = ''")  # no conversation open: what arrives stays unread
    expect(bob.locator("#conv")).to_be_hidden()
    alice.get_by_role("button", name="Voice call").click()
    expect(alice.locator("#call .call-status")).to_have_text("Calling…")
    expect(bob.get_by_role("alertdialog")).to_be_visible()
    expect(alice.locator("#messages .call-record .call-record-text").last).to_have_text("Calling…")
    expect(bob.get_by_role("alertdialog")).to_have_count(0, timeout=(RING_SECONDS + 10) * 1000)
    expect(alice.locator("#call")).to_have_count(0)
    expect(alice.locator("#messages .call-record .call-record-text").last).to_have_text("No answer")
    row = bob.locator("#chat-list a", has_text=a.name)
    expect(row.locator(".preview")).to_have_text("📞 Missed call")
    expect(row.locator(".badge")).to_be_visible()
    row.click()
    missed = bob.locator("#messages .call-record.missed")
    expect(missed.locator(".call-record-text")).to_have_text("Missed call")
    expect(missed.get_by_role("button", name="Call back")).to_be_visible()
    assert alice.problems == [] and bob.problems == []


def test_every_device_rings_the_first_to_accept_wins_and_a_third_finds_them_busy(server, callers):
    a, b, alice, bob_desk = private_pair(server, callers)
    bob_phone = callers.open(b, viewport=PHONE)
    open_chat(alice, b.name)
    alice.get_by_role("button", name="Voice call").click()
    for device in (bob_desk, bob_phone):
        expect(device.get_by_role("alertdialog")).to_contain_text("Incoming voice call")
    bob_phone.get_by_role("alertdialog").get_by_role("button", name="Accept", exact=True).click()
    # The desk stops ringing; the phone is in the call with Alice.
    expect(bob_desk.get_by_role("alertdialog")).to_have_count(0)
    expect(bob_desk.locator("#call")).to_have_count(0)
    audio_flows(bob_phone, 1)
    audio_flows(alice, 1)
    # Carol calls Bob meanwhile: he is busy; her call ends at once, and says so.
    c = register(server, "cc")
    befriend(c, b)
    carol = callers.open(c)
    open_chat(carol, b.name)
    carol.get_by_role("button", name="Voice call").click()
    expect(carol.locator("#toast")).to_have_text("Busy: they are in another call.")
    expect(carol.locator("#call")).to_have_count(0)
    expect(carol.locator("#messages .call-record .call-record-text")).to_have_text("Busy")
    expect(bob_desk.get_by_role("alertdialog")).to_have_count(0)
    # The desk sees the call as running in the conversation, and offers no second answer.
    open_chat(bob_desk, a.name)
    expect(bob_desk.locator("#messages .call-record .call-record-text")).to_have_text("In progress")
    expect(bob_desk.locator("#messages .call-record button")).to_have_count(0)
    alice.get_by_role("button", name="Hang up").click()
    expect(bob_phone.locator("#call")).to_have_count(0)
    expect(bob_desk.locator("#messages .call-record .call-record-text")).to_have_text(re.compile(r"^Call · 0:\d\d$"))
    assert alice.problems == [] and bob_desk.problems == [] and bob_phone.problems == []


def test_three_people_in_a_group_call_are_all_connected(server, callers):
    owner, m1, m2 = register(server, "go"), register(server, "gm"), register(server, "gn")
    group = unique_name("huddle")
    gid = owner.post("/contact/createCommunity", name=group).json()["Data"]["ID"]
    for member in (m1, m2):
        assert member.post("/contact/joinGroup", comId=gid).status_code == 200
    pages = [callers.open(user) for user in (owner, m1, m2)]
    for page in pages:
        page.get_by_role("tab", name="Groups").click()
        page.locator("#group-list a", has_text=group).click()
        expect(page.locator("#conv-title")).to_have_text(group)

    pages[0].get_by_role("button", name="Voice call").click()
    for page in pages[1:]:
        card = page.get_by_role("alertdialog")
        expect(card).to_contain_text(f"Call in {group}")
        card.get_by_role("button", name="Accept", exact=True).click()
    for page in pages:
        audio_flows(page, 2)
        expect(page.locator("#call .call-tile")).to_have_count(3)
    screenshot(pages[0], "group-call")

    # One leaves: the other two stay connected; the header offers Join to the one who left.
    pages[2].get_by_role("button", name="Hang up").click()
    expect(pages[2].locator("#call")).to_have_count(0)
    for page in pages[:2]:
        expect(page.locator("#call .call-tile")).to_have_count(2)
    expect(pages[2].get_by_role("button", name="Join call")).to_be_visible()
    expect(pages[2].locator("#messages .call-record .call-record-text")).to_have_text("In progress")
    pages[2].get_by_role("button", name="Join call").click()
    for page in pages:
        expect(page.locator("#call .call-tile")).to_have_count(3)
    audio_flows(pages[2], 2)

    # The third loses the network (the socket, not the media, in this emulation): after
    # CALL_REJOIN_SECONDS the others see that part of the call end; back online, the
    # third is told it left and its call screen closes.
    pages[2].context.set_offline(True)
    for page in pages[:2]:
        expect(page.locator("#call .call-tile")).to_have_count(2, timeout=30_000)
        audio_flows(page, 1)
    pages[2].context.set_offline(False)
    expect(pages[2].locator("#call")).to_have_count(0, timeout=30_000)
    for page in pages[:2]:
        page.get_by_role("button", name="Hang up").click()
    for page in pages:
        expect(page.locator("#messages .call-record .call-record-text")).to_have_text(re.compile(r"^Call · \d+:\d\d$"))
        assert page.problems == []


def test_a_refused_microphone_is_explained(server, callers, call_browser):
    """A browser that answers the permission prompt with "no" (no fake UI): the
    call does not start, and the page says why and what to do."""
    a, b = register(server, "ra"), register(server, "rb")
    befriend(a, b)
    args = [arg for arg in CHROMIUM_ARGS if arg != "--use-fake-ui-for-media-stream"]
    refusing = call_browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    try:
        page = callers.open(a, browser=refusing)
        callee = callers.open(b)
        open_chat(page, b.name)
        page.get_by_role("button", name="Voice call").click()
        alert = page.locator("#call-error")
        expect(alert).to_have_attribute("role", "alert")
        expect(alert).to_contain_text("The browser refused the microphone.")
        expect(alert).to_contain_text("Allow it for this site")
        expect(page.locator("#call")).to_have_count(0)
        # No call was started: nothing rings for the friend.
        assert page.evaluate("window.__ginchatCalls.current()") is None
        time.sleep(1)
        expect(callee.get_by_role("alertdialog")).to_have_count(0)
        assert page.problems == []
        page.context.close()
    finally:
        refusing.close()


def _redis_answers():
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def two_nodes():
    """Two nodes of one cluster: one SQLite file, one Redis (the machine's,
    database 9; the call keys carry the cluster's own scope), the UDP bus on
    a port of their own, one secret key."""
    if not _redis_answers():
        pytest.skip("two nodes share their calls through one Redis: none answers on 127.0.0.1:6379")
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-calls2-")
    udp_port = free_udp_port()
    nodes = []
    for n in (1, 2):
        proc = ServerProcess(workdir)
        proc.log_path = f"{workdir}/server{n}.log"
        proc.env.update(
            {
                "GINCHAT_BUS": "udp",
                "GINCHAT_UDP_PORT": str(udp_port),
                "GINCHAT_UDP_BROADCAST": "127.255.255.255",
                "GINCHAT_REDIS_URL": "redis://127.0.0.1:6379/9",
                "GINCHAT_UPLOAD_STORAGE": "db",
                "GINCHAT_CALL_RING_SECONDS": str(RING_SECONDS),
            }
        )
        if nodes:  # the second node: the first one's database and key
            for key in ("GINCHAT_SQLALCHEMY_DATABASE_URI", "GINCHAT_SECRET_KEY"):
                proc.env[key] = nodes[0].env[key]
            proc.env["GINCHAT_INSTANCE_PATH"] = f"{workdir}/instance2"
        nodes.append(proc.start())
    yield nodes
    for proc in nodes:
        proc.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def free_udp_port():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_call_between_people_on_two_nodes_connects(two_nodes, callers):
    """Alice's page is served by node 1, Bob's by node 2: the ringing, the
    accept, the offer, answer and candidates cross the bus, and the audio
    flows both ways; the hang-up and the record reach both."""
    n1, n2 = two_nodes
    a, b = register(n1, "ca2"), register(n1, "cb2")
    befriend(a, b)
    alice, bob = callers.open(a, base_url=n1.url), callers.open(b, base_url=n2.url)
    open_chat(alice, b.name)
    alice.get_by_role("button", name="Voice call").click()
    card = bob.get_by_role("alertdialog")
    expect(card).to_contain_text(a.name)
    card.get_by_role("button", name="Accept", exact=True).click()
    audio_flows(alice, 1)
    audio_flows(bob, 1)
    bob.get_by_role("button", name="Hang up").click()
    expect(alice.locator("#call")).to_have_count(0)
    expect(bob.locator("#call")).to_have_count(0)
    open_chat(bob, a.name)
    for page in (alice, bob):
        expect(page.locator("#messages .call-record .call-record-text")).to_have_text(re.compile(r"^Call · 0:\d\d$"))
    assert alice.problems == [] and bob.problems == []
