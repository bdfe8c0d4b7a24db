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

from driftline.alerts._errors import DeliveryError, UnsafeURLError

__all__ = ["CheckedURL", "Resolver", "address_problem", "check_url", "check_url_syntax"]

#: ``socket.getaddrinfo``-compatible resolver: ``(host, port, family, type) -> [...]``.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Special-purpose blocks (IANA registries, RFC 6890) refused whatever this Python's
# ``ipaddress`` tables say (they differ between patch releases).
_SPECIAL: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
        "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
    )
)  # fmt: skip


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


def _parse(url: object) -> tuple[SplitResult, str, int]:
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError(f"A notification URL must be a non-empty string; got {url!r}.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"The notification URL {url!r} cannot be parsed: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(
            f"Only http and https notification URLs are allowed; got scheme {scheme or '(none)'!r} "
            f"in {url!r}."
        )
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"The notification URL {url!r} has no host.")
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
        ("special-purpose", any(ip in net for net in _SPECIAL if net.version == ip.version)),
    )
    for name, bad in checks:
        if bad:
            return name
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
    driftline.alerts._errors.UnsafeURLError: Only http and https notification URLs are allowed; got scheme 'ftp' in 'ftp://example.com/'.
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
    url: str, *, allow_private: bool = False, resolver: Resolver | None = None
) -> CheckedURL:
    """Check ``url`` for delivery and return the addresses it may be sent to.

    Only ``http`` and ``https`` are accepted; the host is resolved with ``resolver``
    (default :func:`socket.getaddrinfo`) and **every** address it resolves to must be a
    public unicast address (not private, loopback, link-local, multicast, reserved,
    unspecified, shared or otherwise non-global, for IPv4 and IPv6, including IPv4-mapped
    IPv6) unless ``allow_private`` is true. Raises :class:`UnsafeURLError` when refused and
    :class:`DeliveryError` when the name does not resolve.

    >>> check_url("http://8.8.8.8:8080/hook").addresses
    ('8.8.8.8',)
    >>> check_url("http://169.254.169.254/latest/meta-data")
    Traceback (most recent call last):
    ...
    driftline.alerts._errors.UnsafeURLError: The notification URL 'http://169.254.169.254/latest/meta-data' resolves to 169.254.169.254, a link-local address; only public addresses are allowed unless the channel sets allow_private=true.
    """
    _parts, host, port = _parse(url)
    resolve = resolver if resolver is not None else socket.getaddrinfo
    try:
        infos = resolve(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DeliveryError(f"Cannot resolve the host {host!r} of {url!r}: {exc}.") from exc
    addresses: list[str] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError:
            continue
        if not allow_private and (problem := address_problem(ip)) is not None:
            raise UnsafeURLError(
                f"The notification URL {url!r} resolves to {ip}, a {problem} address; only "
                "public addresses are allowed unless the channel sets allow_private=true."
            )
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise DeliveryError(f"The host {host!r} of {url!r} resolved to no usable address.")
    scheme = url.strip().split(":", 1)[0].lower()
    return CheckedURL(url.strip(), scheme, host, port, tuple(addresses))
