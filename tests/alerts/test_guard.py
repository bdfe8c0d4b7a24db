"""The SSRF guard: schemes, every resolved address, IPv4/IPv6 (mapped, 6to4), literal forms."""

from __future__ import annotations

import ipaddress
import random
import re
import shutil
import socket
import ssl
import subprocess
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftline.alerts import HttpPoster
from driftline.alerts._guard import address_problem, check_url
from driftline.exceptions import DeliveryError, ParameterError, UnsafeURLError

from .conftest import start_receiver, stop_receiver

REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://172.16.0.1/hook", "private"),
    ("http://192.168.1.1/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/hook", "loopback"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
    ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 wrapping 127.0.0.1
    ("http://[fc00::1]/hook", "private"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://[::]/hook", "unspecified"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://[ff02::1]/hook", "multicast"),
    ("http://100.64.0.1/hook", "not globally routable"),  # shared address space (CGNAT)
    ("http://240.0.0.1/hook", "reserved"),
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 as one integer
    ("http://127.1/hook", "loopback"),  # short form the resolver expands
    ("http://localhost:9/hook", "loopback"),
]


@pytest.mark.parametrize(("url", "kind"), REFUSED)
def test_non_public_addresses_are_refused_with_a_clear_error(url: str, kind: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        check_url(url)
    message = str(info.value)
    assert f"a {kind} address" in message
    assert "allow_private=true" in message
    assert isinstance(info.value, ParameterError)
    assert info.value.permanent


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "//x/y", "x"]
)
def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="Only http and https"):
        check_url(url)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(UnsafeURLError, match="Credentials"):
        check_url("https://user:pw@8.8.8.8/hook")


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://8.8.8.8/hook", "8.8.8.8"),
        ("https://1.1.1.1:8443/x", "1.1.1.1"),
        ("https://[2606:4700:4700::1111]/x", "2606:4700:4700::1111"),
    ],
)
def test_a_public_literal_address_passes_the_guard(url: str, address: str) -> None:
    # Literal addresses resolve without any network access; nothing is sent.
    checked = check_url(url)
    assert checked.addresses == (address,)
    assert checked.port == (8443 if ":8443" in url else 443 if url.startswith("https") else 80)


def test_allow_private_lets_loopback_through() -> None:
    checked = check_url("http://127.0.0.1:9/hook", allow_private=True)
    assert checked.addresses == ("127.0.0.1",)


def _resolver(mapping: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for addr in mapping[host]:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sockaddr = (addr, port, 0, 0) if family == socket.AF_INET6 else (addr, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    return resolve


def test_every_resolved_address_is_checked() -> None:
    # A name with one public and one private address is refused (the private one could be
    # the one a later connection uses).
    resolver = _resolver({"hooks.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(UnsafeURLError, match=r"10\.0\.0\.7, a private address"):
        check_url("https://hooks.example/x", resolver=resolver)
    resolver = _resolver({"hooks.example": ["93.184.216.34", "2606:2800:220:1::1"]})
    assert check_url("https://hooks.example/x", resolver=resolver).addresses == (
        "93.184.216.34",
        "2606:2800:220:1::1",
    )


def test_an_unresolvable_name_is_a_transient_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="Cannot resolve") as info:
        check_url("https://nowhere.invalid/x", resolver=_resolver({}))
    assert not info.value.permanent
    assert not isinstance(info.value, UnsafeURLError)


def test_the_request_goes_to_the_checked_address_with_the_original_host(receiver: Any) -> None:
    # "hooks.test" does not exist in DNS: the request can only arrive because it is sent to
    # the address the guard checked, and the receiver still sees the original Host header.
    resolver = _resolver({"hooks.test": ["127.0.0.1"]})
    poster = HttpPoster(resolver=resolver, sleep=lambda s: None)
    poster.post(f"http://hooks.test:{receiver.port}/in", b"{}", allow_private=True)
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["Host"] == f"hooks.test:{receiver.port}"
    assert receiver.requests[0].path == "/in"


def test_a_refused_url_is_never_contacted(receiver: Any) -> None:
    poster = HttpPoster(sleep=lambda s: None)
    with pytest.raises(UnsafeURLError):
        poster.post(f"{receiver.url}/in", b"{}")  # 127.0.0.1 without allow_private
    assert receiver.requests == []


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv4_mapped_ipv6_is_judged_like_its_ipv4_address(value: int) -> None:
    v4 = ipaddress.IPv4Address(value)
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    assert address_problem(mapped) == address_problem(v4)


# The IANA IPv4 and IPv6 Special-Purpose Address Registries, every row, transcribed here
# independently of the guard's own table (iana-ipv4-special-registry and
# iana-ipv6-special-registry, 2025 snapshot), plus multicast, the deprecated site-local block
# and the IPv4 limited broadcast. Rows judged by the IPv4 address they embed are marked.
IANA_V4 = [
    "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32",
    "192.0.0.10/32", "192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24",
    "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
    "224.0.0.0/4",  # multicast (its own registry)
]  # fmt: skip
IANA_V6 = [
    "::1/128", "::/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
    "2001::/23", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48",
    "2001:3::/32", "2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28",
    "2001:db8::/32", "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
    "fec0::/10",  # deprecated site-local (RFC 3879), reserved in the address-space registry
    "ff00::/8",  # multicast
    "::/96", "::ffff:0:0:0/96",  # deprecated IPv4-compatible, IPv4-translated
]  # fmt: skip
EMBEDDED_V6 = ["::ffff:0:0/96", "2001::/32", "2002::/16"]  # IPv4-mapped, Teredo, 6to4


def _samples(block: str, seed: int = 0) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    network = ipaddress.ip_network(block)
    rng = random.Random(f"{block}/{seed}")
    picks = [0, network.num_addresses - 1, network.num_addresses // 2]
    picks += [rng.randrange(network.num_addresses) for _ in range(20)]
    return [network[i] for i in picks]


@pytest.mark.parametrize("block", IANA_V4 + IANA_V6)
def test_every_address_of_every_iana_special_purpose_block_is_refused(block: str) -> None:
    for address in _samples(block):
        assert address_problem(address) is not None, address


@pytest.mark.parametrize("block", EMBEDDED_V6)
def test_embedding_blocks_are_judged_by_the_ipv4_address_they_carry(block: str) -> None:
    for address in _samples(block):
        assert isinstance(address, ipaddress.IPv6Address)
        embedded = (
            address.ipv4_mapped
            or address.sixtofour
            or (address.teredo[1] if address.teredo else None)
        )
        assert embedded is not None, address
        assert address_problem(address) == address_problem(embedded), address


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://[fec0::1]/hook", "deprecated site-local"),  # was allowed
        ("http://[3fff::1]/hook", "documentation"),  # was allowed (RFC 9637)
        ("http://[3fff:fff:ffff::1]/hook", "documentation"),
        ("http://[5f00::1]/hook", "reserved"),
        ("http://[100:0:0:1::1]/hook", "reserved"),
        ("http://192.31.196.1/hook", "anycast (AS112)"),
        ("http://[2620:4f:8000::1]/hook", "anycast (AS112)"),
        ("http://[::7f00:1]/hook", "reserved"),  # IPv4-compatible 127.0.0.1
    ],
)
def test_the_blocks_pythons_tables_miss_are_refused(url: str, kind: str) -> None:
    with pytest.raises(UnsafeURLError, match=re.escape(f"a {kind} address")):
        check_url(url)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::1", "3fff:1000::1"]
)
def test_public_addresses_next_to_special_blocks_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for the name ``hooks.test`` (made with the openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
         cert, "-days", "2", "-subj", "/CN=hooks.test", "-addext",
         "subjectAltName=DNS:hooks.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_to_the_checked_address_keeps_sni_and_certificate_checks(
    tls_files: tuple[str, str],
) -> None:
    cert, key = tls_files
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)  # type: ignore[assignment,func-returns-value]
    client_context = ssl.create_default_context(cafile=cert)
    rec = start_receiver(server_context)
    try:
        resolver = _resolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        poster = HttpPoster(resolver=resolver, sleep=lambda s: None, verify=client_context)
        poster.post(f"https://hooks.test:{rec.port}/in", b"{}", allow_private=True)
        assert seen_sni == ["hooks.test"]
        assert rec.requests[0].headers["Host"] == f"hooks.test:{rec.port}"
        # The certificate is checked against the name, not the pinned IP: a name the
        # certificate does not cover fails although it resolves to the same address.
        with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|hostname"):
            HttpPoster(resolver=resolver, sleep=lambda s: None, verify=client_context,
                       max_attempts=1).post(f"https://other.test:{rec.port}/in", b"{}",
                                            allow_private=True)  # fmt: skip
        assert len(rec.requests) == 1
    finally:
        stop_receiver(rec)
