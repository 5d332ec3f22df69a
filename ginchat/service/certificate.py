"""GET /ca.crt: the certificate a device installs to trust this server's https
(issue 25; ginchat/tls.py makes it). Served over http too: it is what a
device fetches before it trusts anything here."""

from flask import Response, current_app

from ginchat import tls
from ginchat.auth import public
from ginchat.errors import not_found


@public
def ca_cert():
    """The certificate to install on devices: GinChat's own CA (or, with TLS_CERT, the last certificate of the team's chain).
    ---
    tags: [users]
    produces: [application/x-x509-ca-cert]
    description: |
      PEM. Installing it lets browsers on that device trust https://<this host>:HTTPS_PORT/
      (and wss) of every node that shares the CA. Its SHA-256 fingerprint is printed
      at start-up and shown on the trust page, to compare before trusting it.
      Served over http and https, without a login.
    responses:
      200: {description: "the certificate (PEM), Content-Type application/x-x509-ca-cert"}
      404: {description: "https is off (TLS=off)", schema: {$ref: "#/definitions/Envelope"}}
    """
    pem = tls.ca_certificate_pem(current_app)
    if pem is None:
        raise not_found("https is off on this server (GINCHAT_TLS=off): there is no certificate to install")
    return Response(
        pem,
        mimetype="application/x-x509-ca-cert",
        headers={
            # inline: Firefox and iOS offer to install it; the name is for those that save it.
            "Content-Disposition": 'inline; filename="ginchat-ca.crt"',
            "Cache-Control": "no-cache",
        },
    )
