"""HTTPS on the LAN (issue 25): GinChat's own certificate authority, or the team's certificate.

With ``TLS=auto`` (the default) the first start makes a local CA in
``instance/tls/`` (``ca.key``, mode 0600, never served; ``ca.crt``, what
devices install, served at ``GET /ca.crt``) and a server certificate signed
by it (``server.crt``: the certificate then the CA's; ``server.key``, 0600)
for ``localhost``, ``127.0.0.1``, ``::1``, the host's name (and
``<name>.local``), every address of the host's interfaces and ``TLS_NAMES``.
Every start, and every ``CHECK_SECONDS`` while serving, renews the server
certificate when it nears its end, when the CA changed, or when those names
and addresses differ from the ones it holds; the CA stays (devices trust it
once). Several processes on one instance folder take turns (a file lock):
the first makes the CA, the others use it.

``TLS_CERT``/``TLS_KEY`` serve a certificate the team already has instead,
and ``TLS=off`` serves http only. Whatever cannot be read or written stops
the start with one line saying what to do (``SystemExit``), not a traceback.

What the pages use (the trust page, the http banner):
``ca_certificate_pem(app)``, ``ca_fingerprint(app)``, ``https_url(app, host)``.
"""

import datetime
import fcntl
import ipaddress
import logging
import os
import re
import socket
import ssl
import struct
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ginchat.settings import settings, tls_mode

log = logging.getLogger("ginchat.tls")

CA_DAYS = 3650  # the CA lasts ten years: devices trust it once
# Apple's platforms refuse server certificates that last longer than 825 days
# even from a CA a user installed; 397 is what public CAs may issue.
SERVER_DAYS = 397
RENEW_DAYS = 30  # a server certificate with fewer days left is made anew
CHECK_SECONDS = 3600  # while serving: how often the certificate is checked (expiry, the host's addresses)
SKEW = datetime.timedelta(hours=1)  # valid from an hour back: clocks of phones differ
TLS_DIR = "tls"
HOST_NAME = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
CA_KEY, CA_CERT, SERVER_KEY, SERVER_CERT = "ca.key", "ca.crt", "server.key", "server.crt"


@dataclass
class Certificates:
    """What one node serves over https.

    ``source``: "ca" (GinChat's own CA) or "cert" (the team's TLS_CERT).
    ``chain``/``key``: the files the listener loads. ``ca_pem``: what
    ``/ca.crt`` serves (the CA; with TLS_CERT, the last certificate of its
    chain: its issuer if the team put it there, else the certificate itself).
    ``names``: the server certificate's names and addresses."""

    source: str
    chain: str
    key: str
    ca_pem: bytes
    names: tuple = ()


def enabled(config):
    """False for TLS=off (http only); anything else serves https too."""
    return tls_mode("TLS", config.get("TLS", "auto"))


def prepare(config, instance_path):
    """The certificates of this node, made or renewed as needed; None with TLS=off."""
    if not enabled(config):
        return None
    if config.get("TLS_CERT") or config.get("TLS_KEY"):
        return team_certificate(config.get("TLS_CERT"), config.get("TLS_KEY"))
    folder = os.path.join(instance_path, TLS_DIR)
    authority = ca_folder(config, instance_path)
    names = wanted_names(config.get("TLS_NAMES"))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.makedirs(authority, mode=0o700, exist_ok=True)
        with open(os.path.join(folder, ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # other workers or nodes on this folder wait
            return local_certificates(folder, authority, names)
    except (ValueError, TypeError) as exc:  # a CA file that is not a PEM certificate or key
        raise SystemExit(
            f"GinChat cannot read its CA in {authority} ({str(exc).splitlines()[0]}): put back the ca.key and "
            "ca.crt copied from another node, or delete both to make a new CA (devices must trust it again)"
        ) from None
    except OSError as exc:
        raise SystemExit(
            f"GinChat cannot write its certificates in {folder} ({exc.strerror or exc}): make "
            f"{instance_path} writable by this user, set GINCHAT_INSTANCE_PATH to a writable folder, "
            "or GINCHAT_TLS=off for http only"
        ) from None


# --- the team's certificate -----------------------------------------------------
def team_certificate(cert_path, key_path):
    if not cert_path or not key_path:
        raise SystemExit("GinChat: set both GINCHAT_TLS_CERT and GINCHAT_TLS_KEY (or neither, for its own CA)")
    try:
        with open(cert_path, "rb") as fh:
            certs = x509.load_pem_x509_certificates(fh.read())
        # An empty password: an encrypted key fails here instead of asking for one on the terminal.
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert_path, key_path, password="")
    except (OSError, ValueError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise SystemExit(
            f"GinChat cannot use GINCHAT_TLS_CERT={cert_path} with GINCHAT_TLS_KEY={key_path} ({reason}): "
            "give a PEM certificate chain and its PEM private key, unencrypted, readable by this user; "
            "or unset both to use GinChat's own CA, or GINCHAT_TLS=off"
        ) from None
    if days_left(certs[0]) <= RENEW_DAYS:
        log.warning("GINCHAT_TLS_CERT %s ends on %s: give GinChat its renewal", cert_path, not_after(certs[0]))
    return Certificates(
        source="cert",
        chain=os.path.abspath(cert_path),
        key=os.path.abspath(key_path),
        ca_pem=certs[-1].public_bytes(serialization.Encoding.PEM),
        names=certificate_names(certs[0]),
    )


# --- GinChat's own CA -----------------------------------------------------------
def ca_folder(config, instance_path):
    """Where the CA lives: TLS_CA_DIR (one folder of ca.crt and ca.key that
    every node reads, copied or mounted), else instance/tls/."""
    return config.get("TLS_CA_DIR") or os.path.join(instance_path, TLS_DIR)


def local_certificates(folder, authority, names):
    paths = {name: os.path.join(folder, name) for name in (SERVER_KEY, SERVER_CERT)}
    paths.update({name: os.path.join(authority, name) for name in (CA_KEY, CA_CERT)})
    ca_key, ca_cert = load_or_make_ca(paths[CA_KEY], paths[CA_CERT])
    reason = renewal_reason(paths[SERVER_CERT], ca_cert, names)
    if reason:
        log.info("making the server certificate (%s): %s", reason, ", ".join(names))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = server_certificate(key, ca_key, ca_cert, names)
        write_private(paths[SERVER_KEY], private_pem(key))
        write_public(paths[SERVER_CERT], pem(cert) + pem(ca_cert))
    return Certificates(
        source="ca", chain=paths[SERVER_CERT], key=paths[SERVER_KEY], ca_pem=pem(ca_cert), names=tuple(names)
    )


def load_or_make_ca(key_path, cert_path):
    """The CA (of ca_folder); a new one only when there is none (or it
    has nearly run out: then devices must trust the new one)."""
    if os.path.exists(key_path) and os.path.exists(cert_path):
        with open(key_path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
        with open(cert_path, "rb") as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        if os.stat(key_path).st_mode & 0o077:
            log.warning("%s was readable by others: made private (mode 0600)", key_path)
            os.chmod(key_path, 0o600)
        if days_left(cert) > RENEW_DAYS:
            return key, cert
        log.warning("the local CA ends on %s: making a new one (devices must install the new /ca.crt)", not_after(cert))
    key = ec.generate_private_key(ec.SECP384R1())
    now = utcnow()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "GinChat"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"GinChat local CA ({socket.gethostname()[:40]})"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SKEW)
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(key_path, private_pem(key))
    write_public(cert_path, pem(cert))
    log.info("made a local certificate authority: %s (SHA-256 %s)", cert_path, fingerprint(cert))
    return key, cert


def server_certificate(key, ca_key, ca_cert, names):
    now = utcnow()
    end = min(now + datetime.timedelta(days=SERVER_DAYS), not_after(ca_cert))
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SKEW)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def key_usage(signs_certificates):
    """A CA signs certificates (and CRLs); a server certificate signs its TLS handshakes."""
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def issue(config, instance_path, names, out_dir):
    """A certificate for other names (a gateway's) signed by this node's CA
    (made if there is none yet): ``flask --app wsgi ginchat tls-cert``.
    Returns the paths of the chain and the key, ginchat.crt and ginchat.key."""
    folder = os.path.join(instance_path, TLS_DIR)
    authority = ca_folder(config, instance_path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.makedirs(authority, mode=0o700, exist_ok=True)
    with open(os.path.join(folder, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ca_key, ca_cert = load_or_make_ca(os.path.join(authority, CA_KEY), os.path.join(authority, CA_CERT))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = server_certificate(key, ca_key, ca_cert, list(names))
    os.makedirs(out_dir, exist_ok=True)
    chain, key_path = os.path.join(out_dir, "ginchat.crt"), os.path.join(out_dir, "ginchat.key")
    write_private(key_path, private_pem(key))
    write_public(chain, pem(cert) + pem(ca_cert))
    return chain, key_path


def renewal_reason(cert_path, ca_cert, names):
    """Why the server certificate must be made anew, or None while it is good."""
    if not os.path.exists(cert_path) or not os.path.exists(os.path.join(os.path.dirname(cert_path), SERVER_KEY)):
        return "none yet"
    try:
        with open(cert_path, "rb") as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return "not signed by this CA"
    if days_left(cert) <= RENEW_DAYS:
        return f"it ends on {not_after(cert):%Y-%m-%d}"
    if set(certificate_names(cert)) != set(names):
        return "the host's names or addresses changed"
    return None


# --- the names and addresses a server certificate holds --------------------------
def wanted_names(extra=""):
    """localhost, 127.0.0.1, ::1, the host's name (and .local), every address of
    its interfaces, and TLS_NAMES: DNS names first, then addresses, each sorted."""
    names = {"localhost", "127.0.0.1", "::1"}
    host = socket.gethostname().strip().lower()
    if is_host_name(host):  # a name no certificate may hold (an underscore) is left out
        names.add(host)
        if "." not in host:
            names.add(host + ".local")  # mDNS: how phones and Macs find a LAN host by name
    names.update(interface_addresses())
    for name in (n.strip().lower() for n in str(extra or "").split(",")):
        if name and not (is_address(name) or is_host_name(name)):
            raise SystemExit(
                f"GINCHAT_TLS_NAMES: {name!r} is neither a host name nor an IP address: "
                "list names (chat.example.lan) and addresses (192.168.1.10), comma-separated"
            )
        if name:
            names.add(str(ipaddress.ip_address(name)) if is_address(name) else name)
    return sorted(names, key=lambda n: (is_address(n), n))


def is_host_name(name):
    """A DNS name a certificate may hold: letters, digits and hyphens per label (a leading *. too)."""
    return bool(HOST_NAME.fullmatch(name or "")) and len(name) <= 253


def interface_addresses():
    """Every IPv4 and global IPv6 address of this host's interfaces, read from
    the kernel (no lookup: resolving the host's name could ask a DNS server)."""
    found = set()
    try:
        with open("/proc/net/fib_trie") as fh:
            last = None
            for line in fh:
                text = line.strip()
                if text.startswith("|-- "):
                    last = text[4:]
                elif text == "/32 host LOCAL" and last:
                    found.add(last)
    except OSError:
        found.update(ioctl_addresses())
    try:
        with open("/proc/net/if_inet6") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) >= 4 and fields[3] == "00":  # scope: global
                    found.add(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
    except (OSError, ValueError):
        pass
    return {a for a in found if is_address(a)}


def ioctl_addresses():
    """Each interface's IPv4 address (SIOCGIFADDR) where /proc is not there."""
    found = set()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _index, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
                    found.add(socket.inet_ntoa(packed[20:24]))
                except OSError:
                    continue
    except (OSError, AttributeError):
        pass
    return found


def is_address(name):
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def general_name(name):
    return x509.IPAddress(ipaddress.ip_address(name)) if is_address(name) else x509.DNSName(name)


def certificate_names(cert):
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(san.get_values_for_type(x509.DNSName)) + tuple(str(a) for a in san.get_values_for_type(x509.IPAddress))


# --- files and small helpers -------------------------------------------------------
def write_private(path, data):
    """A key: written whole (rename) and readable by this user only, from its first byte."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)  # an old .tmp may have had another mode
    os.replace(tmp, path)


def write_public(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def private_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def not_after(cert):
    return cert.not_valid_after_utc


def days_left(cert):
    return (not_after(cert) - utcnow()).total_seconds() / 86400


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


# --- what the app and the server use ---------------------------------------------------
def init_app(app):
    """Make or load this node's certificates (create_app: before the database,
    so a bad TLS setting stops the start at once). TLS=off: http only."""
    app.extensions["tls"] = prepare(app.config, app.instance_path)


def certificates(app):
    """The node's Certificates, or None with TLS=off."""
    return app.extensions.get("tls")


def ca_certificate_pem(app):
    """The PEM a device installs to trust this server: GinChat's CA, or with
    TLS_CERT the last certificate of the team's chain; None with TLS=off."""
    found = certificates(app)
    return found.ca_pem if found else None


def ca_fingerprint(app):
    """SHA-256 of ca_certificate_pem, colon-separated upper-case hex; None with TLS=off."""
    found = certificates(app)
    return fingerprint(x509.load_pem_x509_certificate(found.ca_pem)) if found else None


def https_url(app, host):
    """https://<host>:<HTTPS_PORT>/ for a host name or address (a port after it,
    as in a Host header, is dropped); None with TLS=off."""
    if certificates(app) is None or not host:
        return None
    host = str(host).strip()
    if host.startswith("["):
        host = host[: host.index("]") + 1] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":")[0]
    elif host.count(":") > 1:
        host = f"[{host}]"  # a bare IPv6 address
    port = settings(app).https_port
    return f"https://{host}/" if port == 443 else f"https://{host}:{port}/"


def server_context(app):
    """The SSLContext of the https listener (TLS 1.2 and later), or None with TLS=off."""
    found = certificates(app)
    if found is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(found.chain, found.key)
    return context


def refresh(app, context):
    """While serving: renew the certificate if it nears its end or the host's
    addresses changed, and load it into the listener's context (new
    connections get it; open ones keep theirs). True when it changed."""
    found = certificates(app)
    if found is None or found.source != "ca":
        return False
    with open(found.chain, "rb") as fh:
        before = fh.read()
    try:
        fresh = prepare(app.config, app.instance_path)
    except SystemExit as exc:  # the folder became unwritable: keep serving the old one
        log.warning("could not renew the certificate: %s", exc)
        return False
    with open(fresh.chain, "rb") as fh:
        after = fh.read()
    app.extensions["tls"] = fresh
    if after == before:
        return False
    context.load_cert_chain(fresh.chain, fresh.key)
    return True
