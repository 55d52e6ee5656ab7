"""Which address is the client (pure): the socket peer, or the right-most hop of
`X-Forwarded-For` that is not one of our trusted proxies.

Rate limits key on it, and access logs, audit rows and the server's early refusals record it,
so it sits in the kernel rather than in any one of them. Stdlib only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Trusted proxies as networks; a bare address is a /32 (or /128) network."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """The client's address (§5): the socket peer, or — when the peer is a trusted proxy — the
    right-most `X-Forwarded-For` hop that is not itself a trusted proxy.

    Hops are walked right to left, since only the right-most entries were written by our own
    proxies; everything left of the first untrusted hop is the client's to invent. An
    unreadable hop ends the walk at the nearest proxy we trust; when every hop is a trusted
    proxy the left-most is the client. A peer that is not an IP address is returned as it is.
    """
    if peer is None:
        return None
    peer_address = parse_address(peer)
    if peer_address is None:
        return peer
    if not forwarded_for or not is_trusted(peer_address, trusted):
        return str(peer_address)
    nearest = peer_address
    for hop in reversed(forwarded_for.split(",")):
        if not hop.strip():
            continue
        address = parse_address(hop)
        if address is None:
            break
        if not is_trusted(address, trusted):
            return str(address)
        nearest = address
    return str(nearest)


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def parse_address(text: str) -> Address | None:
    """An address from a peer or hop: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]:80`; IPv4-mapped
    IPv6 addresses become IPv4 (a dual-stack socket reports IPv4 peers that way)."""
    value = text.strip()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
