"""The trust page (issue 25): reachable without logging in, it shows the
fingerprint of the CA that /ca.crt serves, a QR code of the https address of
the host the browser asked for, and the install steps; every page names the
https port (for the plain-http banner) only while TLS is on."""

import hashlib
import re
import ssl

import requests
import segno

FINGERPRINT = re.compile(r'<code id="ca-fingerprint"[^>]*>([0-9A-F:]+)</code>')
QR = re.compile(r'<img id="trust-qr"[^>]* src="([^"]+)"')
PORT_META = re.compile(r'<meta name="ginchat-https-port" content="(\d+)">')


def sha256_colon_hex(pem):
    der = ssl.PEM_cert_to_DER_cert(pem)
    return hashlib.sha256(der).hexdigest().upper()


def test_the_trust_page_needs_no_login_and_shows_the_fingerprint_of_ca_crt(server):
    page = requests.get(server.url + "/trust", timeout=10, allow_redirects=False)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    ca = requests.get(server.url + "/ca.crt", timeout=10)
    assert ca.status_code == 200
    shown = FINGERPRINT.search(page.text)
    assert shown, page.text[:500]
    assert shown.group(1).replace(":", "") == sha256_colon_hex(ca.text)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", shown.group(1))
    assert 'href="/ca.crt"' in page.text
    for system in ("Windows", "macOS", "Linux", "Android", "iPhone"):
        assert f"<summary>{system}" in page.text


def test_the_qr_code_holds_the_https_address_of_the_host_asked_for(server):
    port = server.app.config["HTTPS_PORT"]
    page = requests.get(server.url + "/trust", headers={"Host": f"office.lan:{server.port}"}, timeout=10)
    url = f"https://office.lan:{port}/"
    assert f'<a href="{url}" id="https-link">' in page.text
    qr = QR.search(page.text)
    assert qr and qr.group(1).startswith("data:image/svg+xml")
    # segno draws the same symbol for the same text: the picture is the one of this address
    expected = segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#1d2330")
    assert qr.group(1) == expected.replace("&", "&amp;").replace("'", "&#39;")


def test_every_page_names_the_https_port_and_the_login_page_links_to_the_trust_page(server):
    login = requests.get(server.url + "/", timeout=10).text
    assert PORT_META.search(login).group(1) == str(server.app.config["HTTPS_PORT"])
    assert '<a href="/trust" id="trust-link">' in login
    assert 'src="/static/js/secure.js"' in login


def test_with_tls_off_the_trust_page_says_so_and_pages_name_no_https_port(make_server):
    plain = make_server(TLS="off")
    page = requests.get(plain.url + "/trust", timeout=10)
    assert page.status_code == 200
    assert 'id="tls-off"' in page.text and "trust-qr" not in page.text and "ca-fingerprint" not in page.text
    assert not PORT_META.search(requests.get(plain.url + "/", timeout=10).text)
