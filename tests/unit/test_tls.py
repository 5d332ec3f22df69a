"""ginchat/tls.py on its own: the local CA, the server certificate's names,
its renewal, and the team's certificate (issue 25). No server."""

import datetime
import os
import socket
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ginchat import tls


def make(path, **config):
    return tls.prepare(dict({"TLS": "auto"}, **config), str(path))


def read_cert(path):
    with open(path, "rb") as fh:
        return x509.load_pem_x509_certificates(fh.read())


def sans(cert):
    return set(tls.certificate_names(cert))


def test_the_server_certificate_names_this_host_and_tls_names(tmp_path):
    made = make(tmp_path, TLS_NAMES="chat.example.lan, 10.9.8.7")
    leaf, ca = read_cert(made.chain)
    names = sans(leaf)
    host = socket.gethostname().lower()
    assert {"localhost", "127.0.0.1", host, "chat.example.lan", "10.9.8.7"} <= names
    assert tls.interface_addresses() <= names  # every address of the host's interfaces
    addresses = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "10.9.8.7" in {str(a) for a in addresses.get_values_for_type(x509.IPAddress)}  # an IP entry, not a DNS name
    # Signed by the CA, for servers only, and within what browsers accept.
    leaf.verify_directly_issued_by(ca)
    assert leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    )
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days <= 398
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert made.ca_pem == ca.public_bytes(serialization.Encoding.PEM)
    assert made.source == "ca"


def test_the_keys_are_private_and_the_ca_key_is_never_in_what_is_served(tmp_path):
    made = make(tmp_path)
    folder = tmp_path / tls.TLS_DIR
    for key in (tls.CA_KEY, tls.SERVER_KEY):
        assert stat.S_IMODE(os.stat(folder / key).st_mode) == 0o600
    assert b"PRIVATE" not in made.ca_pem
    with open(made.chain, "rb") as fh:
        assert b"PRIVATE" not in fh.read()
    # A CA key left readable by others (a careless copy) is made private again.
    os.chmod(folder / tls.CA_KEY, 0o644)
    make(tmp_path)
    assert stat.S_IMODE(os.stat(folder / tls.CA_KEY).st_mode) == 0o600


def test_nothing_is_made_anew_while_the_certificate_is_good(tmp_path):
    first = read_cert(make(tmp_path).chain)
    again = read_cert(make(tmp_path).chain)
    assert [c.serial_number for c in again] == [c.serial_number for c in first]


def test_new_names_renew_the_server_certificate_under_the_same_ca(tmp_path):
    leaf, ca = read_cert(make(tmp_path, TLS_NAMES="one.lan").chain)
    new_leaf, new_ca = read_cert(make(tmp_path, TLS_NAMES="two.lan").chain)
    assert new_leaf.serial_number != leaf.serial_number
    assert "two.lan" in sans(new_leaf) and "one.lan" not in sans(new_leaf)
    assert new_ca.serial_number == ca.serial_number  # devices keep trusting it
    new_leaf.verify_directly_issued_by(ca)


def test_a_certificate_near_its_end_is_renewed_under_the_same_ca(tmp_path):
    made = make(tmp_path)
    folder = tmp_path / tls.TLS_DIR
    leaf, ca = read_cert(made.chain)
    with open(folder / tls.CA_KEY, "rb") as fh:
        ca_key = serialization.load_pem_private_key(fh.read(), password=None)
    # The same names, but only RENEW_DAYS - 1 days left.
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    old = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=300))
        .not_valid_after(now + datetime.timedelta(days=tls.RENEW_DAYS - 1))
        .add_extension(leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tls.write_public(made.chain, tls.pem(old) + tls.pem(ca))
    tls.write_private(made.key, tls.private_pem(key))
    assert tls.renewal_reason(made.chain, ca, tls.wanted_names()).startswith("it ends on")

    new_leaf, new_ca = read_cert(make(tmp_path).chain)
    assert new_leaf.serial_number not in (old.serial_number, leaf.serial_number)
    assert tls.days_left(new_leaf) > tls.SERVER_DAYS - 2
    assert new_ca.serial_number == ca.serial_number
    new_leaf.verify_directly_issued_by(ca)


def test_a_ca_copied_from_another_node_signs_this_nodes_certificate(tmp_path):
    """Several nodes, one CA: copy ca.key and ca.crt into each node's instance/tls/."""
    first = make(tmp_path / "node1")
    second_tls = tmp_path / "node2" / tls.TLS_DIR
    second_tls.mkdir(parents=True)
    # node2 ran once with its own CA before the copy: its certificate is renewed.
    own = make(tmp_path / "node2")
    assert own.ca_pem != first.ca_pem
    for name in (tls.CA_KEY, tls.CA_CERT):
        (second_tls / name).write_bytes((tmp_path / "node1" / tls.TLS_DIR / name).read_bytes())
    second = make(tmp_path / "node2")
    assert second.ca_pem == first.ca_pem
    leaf, _ = read_cert(second.chain)
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(first.ca_pem))


def test_tls_off_makes_nothing(tmp_path):
    assert tls.prepare({"TLS": "off"}, str(tmp_path)) is None
    assert not (tmp_path / tls.TLS_DIR).exists()


def test_the_teams_certificate_is_used_as_given(tmp_path):
    # A team CA and a server certificate it signed, as a team would have them.
    made = make(tmp_path / "team")
    chosen = tls.prepare({"TLS_CERT": made.chain, "TLS_KEY": made.key}, str(tmp_path / "node"))
    assert chosen.source == "cert" and chosen.chain == made.chain and chosen.key == made.key
    assert chosen.ca_pem == made.ca_pem  # the last certificate of the chain: the team's CA
    assert not (tmp_path / "node" / tls.TLS_DIR).exists()  # no CA of its own


@pytest.mark.parametrize("problem", ["not pem", "missing", "wrong key", "key only", "encrypted key"])
def test_a_bad_team_certificate_stops_with_one_line(tmp_path, problem):
    made = make(tmp_path / "team")
    other = make(tmp_path / "other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with open(made.key, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    encrypted = tmp_path / "encrypted.key"  # would make OpenSSL ask on the terminal
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    config = {
        "not pem": {"TLS_CERT": str(garbage), "TLS_KEY": made.key},
        "missing": {"TLS_CERT": str(tmp_path / "nowhere.crt"), "TLS_KEY": made.key},
        "wrong key": {"TLS_CERT": made.chain, "TLS_KEY": other.key},
        "key only": {"TLS_KEY": made.key},
        "encrypted key": {"TLS_CERT": made.chain, "TLS_KEY": str(encrypted)},
    }[problem]
    with pytest.raises(SystemExit) as caught:
        tls.prepare(config, str(tmp_path / "node"))
    message = str(caught.value.code)
    assert "\n" not in message and "GINCHAT_TLS_" in message


def test_an_unusable_ca_stops_with_one_line(tmp_path):
    make(tmp_path)
    (tmp_path / tls.TLS_DIR / tls.CA_KEY).write_text("damaged")
    with pytest.raises(SystemExit) as caught:
        make(tmp_path)
    assert "\n" not in str(caught.value.code) and "ca.key" in str(caught.value.code)


def test_an_unwritable_folder_stops_with_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as caught:
        make(tmp_path / "file")
    message = str(caught.value.code)
    assert "\n" not in message and "writable" in message and "GINCHAT_TLS=off" in message


def test_fingerprint_is_colon_separated_upper_case_sha256(tmp_path):
    made = make(tmp_path)
    text = tls.fingerprint(x509.load_pem_x509_certificate(made.ca_pem))
    parts = text.split(":")
    assert len(parts) == 32 and all(len(p) == 2 and p == p.upper() for p in parts)


def test_nodes_share_one_ca_through_tls_ca_dir(tmp_path):
    shared_ca = tmp_path / "shared-ca"
    one = make(tmp_path / "node1", TLS_CA_DIR=str(shared_ca))
    two = make(tmp_path / "node2", TLS_CA_DIR=str(shared_ca))
    assert one.ca_pem == two.ca_pem == (shared_ca / tls.CA_CERT).read_bytes()
    assert not (tmp_path / "node1" / tls.TLS_DIR / tls.CA_KEY).exists()  # no CA of their own
    assert stat.S_IMODE(os.stat(shared_ca / tls.CA_KEY).st_mode) == 0o600
    # A gateway's certificate from the same CA (flask --app wsgi ginchat tls-cert).
    chain, key = tls.issue({"TLS_CA_DIR": str(shared_ca)}, str(tmp_path / "node1"), ["gw.lan", "10.0.0.9"], tmp_path)
    leaf, ca = read_cert(chain)
    assert sans(leaf) == {"gw.lan", "10.0.0.9"} and tls.pem(ca) == one.ca_pem
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_a_bad_tls_name_stops_with_one_line(tmp_path):
    with pytest.raises(SystemExit) as caught:
        make(tmp_path, TLS_NAMES="chat.lan, not a name")
    message = str(caught.value.code)
    assert "\n" not in message and "'not a name'" in message and "GINCHAT_TLS_NAMES" in message
