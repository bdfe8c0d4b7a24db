"""SSRF guard for notification URLs: http(s) only, and only public addresses.

The host is resolved once (every address ``getaddrinfo`` returns is checked) and the
request is then sent to one of the checked addresses, so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

from driftline.exceptions import DeliveryError, UnsafeURLError

__all__ = ["CheckedURL", "Resolver", "address_problem", "check_url", "check_url_syntax"]

#: ``socket.getaddrinfo``-compatible resolver: ``(host, port, family, type) -> [...]``.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_net = ipaddress.ip_network

# Every block of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
# later; snapshot of 2025, with 3fff::/20 of RFC 9637, 5f00::/16 of RFC 9602 and
# 100:0:0:1::/64 of RFC 9780), plus multicast and deprecated blocks of the address-space
# registries. Each is refused whatever this Python's ``ipaddress`` tables say (they differ
# between patch releases), including the anycast blocks IANA marks globally reachable: a
# notification receiver never lives there. The name is what an error says.
_SPECIAL_V4: Final = tuple(
    (_net(block), name)
    for block, name in (
        ("0.0.0.0/8", "this-network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "protocol-assignment"),  # incl. /29, .8, .9, .10, .170, .171
        ("192.0.2.0/24", "documentation"),
        ("192.31.196.0/24", "anycast (AS112)"),
        ("192.52.193.0/24", "anycast (AMT)"),
        ("192.88.99.0/24", "anycast (6to4 relay)"),
        ("192.168.0.0/16", "private"),
        ("192.175.48.0/24", "anycast (AS112)"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "broadcast"),
    )
)
_SPECIAL_V6: Final = tuple(
    (_net(block), name)
    for block, name in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "deprecated IPv4-compatible"),
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("::ffff:0:0:0/96", "translation (IPv4-translated)"),
        ("64:ff9b::/96", "translation (NAT64)"),
        ("64:ff9b:1::/48", "translation (local NAT64)"),
        ("100::/64", "discard-only"),
        ("100:0:0:1::/64", "dummy-prefix"),
        ("2001::/23", "protocol-assignment"),  # Teredo, PCP/TURN/SRP anycast, AMT...
        ("2001:db8::/32", "documentation"),
        ("2002::/16", "6to4"),
        ("2620:4f:8000::/48", "anycast (AS112)"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "segment-routing"),
        ("fc00::/7", "private"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "deprecated site-local"),
        ("ff00::/8", "multicast"),
    )
)
#: The only IPv6 space IANA allocates as global unicast; everything outside it is refused.
_GLOBAL_UNICAST_V6: Final = _net("2000::/3")


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed the guard and the addresses it may be sent to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        """The ``Host`` header for this URL (port only when it is not the default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _parse(url: object, shown: str | None = None) -> tuple[SplitResult, str, int]:
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError(f"A notification URL must be a non-empty string; got {url!r}.")
    name = url if shown is None else shown
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"The notification URL {name!r} cannot be parsed: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(
            f"Only http and https notification URLs are allowed; got scheme {scheme or '(none)'!r} "
            f"in {name!r}."
        )
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"The notification URL {name!r} has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(
            "Credentials in a notification URL are not allowed (user:password@host); "
            "use the channel 'secret' to sign requests instead."
        )
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise UnsafeURLError(f"The host {host!r} is not a valid domain name.") from exc
    return parts, host, port if port is not None else (443 if scheme == "https" else 80)


def address_problem(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address, or None if it is.

    IPv4-mapped, 6to4 and Teredo IPv6 addresses are judged by the IPv4 address they embed.

    >>> address_problem("8.8.8.8") is None
    True
    >>> address_problem("::ffff:10.0.0.1")
    'private'
    >>> address_problem("169.254.169.254")
    'link-local'
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_problem(embedded)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not globally routable", not ip.is_global),
    )
    for name, bad in checks:
        if bad:
            return name
    table = _SPECIAL_V4 if ip.version == 4 else _SPECIAL_V6
    found = [(net, name) for net, name in table if ip in net]
    if found:  # the most specific block names the problem
        return max(found, key=lambda item: item[0].prefixlen)[1]
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST_V6:
        return "non-unicast (outside 2000::/3)"
    return None


def check_url_syntax(url: str, *, allow_private: bool = False) -> str:
    """Check a URL without resolving it: scheme, host, and literal private addresses.

    Used when a rule is saved (DNS answers can change, so :func:`check_url` runs again at
    delivery). Returns the URL stripped of surrounding spaces.

    >>> check_url_syntax("https://hooks.example.com/x")
    'https://hooks.example.com/x'
    >>> check_url_syntax("ftp://example.com/")
    Traceback (most recent call last):
    ...
    driftline.exceptions.UnsafeURLError: Only http and https notification URLs are allowed; got scheme 'ftp' in 'ftp://example.com/'.
    """
    _, host, _ = _parse(url)
    if not allow_private:
        if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
            raise UnsafeURLError(
                f"The notification URL {url!r} points at localhost; set allow_private=true "
                "on the channel to allow it."
            )
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is not None and (problem := address_problem(ip)) is not None:
            raise UnsafeURLError(
                f"The notification URL {url!r} points at a {problem} address ({ip}); "
                "set allow_private=true on the channel to allow it."
            )
    return url.strip()


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    resolver: Resolver | None = None,
    shown: str | None = None,
) -> CheckedURL:
    """Check ``url`` for delivery and return the addresses it may be sent to.

    Only ``http`` and ``https`` are accepted; the host is resolved with ``resolver``
    (default :func:`socket.getaddrinfo`) and **every** address it resolves to must be a
    public unicast address (not private, loopback, link-local, multicast, reserved,
    unspecified, shared or otherwise non-global, for IPv4 and IPv6, including IPv4-mapped
    IPv6) unless ``allow_private`` is true. Raises :class:`UnsafeURLError` when refused and
    :class:`DeliveryError` when the name does not resolve; their messages name the URL as
    ``shown`` (default: the URL itself; the poster passes a redacted form).

    >>> check_url("http://8.8.8.8:8080/hook").addresses
    ('8.8.8.8',)
    >>> check_url("http://169.254.169.254/latest/meta-data")
    Traceback (most recent call last):
    ...
    driftline.exceptions.UnsafeURLError: The notification URL 'http://169.254.169.254/latest/meta-data' resolves to 169.254.169.254, a link-local address; only public addresses are allowed unless the channel sets allow_private=true.
    """
    _parts, host, port = _parse(url, shown)
    name = url if shown is None else shown
    resolve = resolver if resolver is not None else socket.getaddrinfo
    try:
        infos = resolve(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DeliveryError(f"Cannot resolve the host {host!r} of {name!r}: {exc}.") from exc
    addresses: list[str] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError:
            continue
        if not allow_private and (problem := address_problem(ip)) is not None:
            raise UnsafeURLError(
                f"The notification URL {name!r} resolves to {ip}, a {problem} address; only "
                "public addresses are allowed unless the channel sets allow_private=true."
            )
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise DeliveryError(f"The host {host!r} of {name!r} resolved to no usable address.")
    scheme = url.strip().split(":", 1)[0].lower()
    return CheckedURL(url.strip(), scheme, host, port, tuple(addresses))
