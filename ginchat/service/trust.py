"""The trust page (issue 25): how each device comes to trust this server's own
certificate authority, so that the LAN address opens over https, where
browsers allow the microphone and notifications. Public: a device needs the
CA before it can log in over https."""

from urllib.parse import urlsplit

import segno
from flask import current_app, render_template, request

from ginchat import tls
from ginchat.auth import page, public


def secure_url():
    """This page's https address (same host, the https listener's port), or
    None when TLS is off."""
    return tls.https_url(current_app, request.host)  # the Host header's port is dropped


def page_context():
    """Every page learns the https port (only when TLS is on): static/js/secure.js
    points a plain-http LAN page to https://<its own host>:<port>/."""
    url = secure_url()
    return {"https_port": (urlsplit(url).port or 443) if url else None}


def qr_image(url):
    """A QR code of ``url`` as an SVG data: URI, made here (no outside service)."""
    return segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#1d2330")


@public
@page
def trust_page():
    """The CA's fingerprint, a QR code of the https address, and how to install
    the CA on Windows, macOS, Linux, Android and iOS."""
    url = secure_url()
    if url is None:
        return render_template("trust.html", url=None)
    return render_template("trust.html", url=url, qr=qr_image(url), fingerprint=tls.ca_fingerprint(current_app))
