"""Which address is the client (§5): the peer, or the right-most untrusted forwarded hop."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.kernel import client_ip

PROXIES = client_ip.parse_networks(["10.0.0.0/8", "192.168.1.1"])

untrusted_v4 = st.ip_addresses(v=4).filter(lambda a: not client_ip.is_trusted(a, PROXIES))
trusted_v4 = st.integers(0, 2**24 - 1).map(lambda n: ipaddress.IPv4Address((10 << 24) + n))


@given(peer=untrusted_v4, forwarded=st.lists(st.ip_addresses(), max_size=4))
def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    peer: ipaddress.IPv4Address, forwarded: list[ipaddress.IPv4Address]
) -> None:
    header = ", ".join(str(a) for a in forwarded)
    assert client_ip.client_ip(str(peer), header, PROXIES) == str(peer)


@given(
    peer=trusted_v4,
    spoofed=st.lists(st.ip_addresses(), max_size=3),
    client=untrusted_v4,
    proxies=st.lists(trusted_v4, max_size=3),
)
def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client(
    peer: ipaddress.IPv4Address,
    spoofed: list[ipaddress.IPv4Address],
    client: ipaddress.IPv4Address,
    proxies: list[ipaddress.IPv4Address],
) -> None:
    """Whatever a client prepends, the hop our proxies appended decides."""
    header = ", ".join(str(a) for a in [*spoofed, client, *proxies])
    assert client_ip.client_ip(str(peer), header, PROXIES) == str(client)


@given(peer=trusted_v4, hops=st.lists(trusted_v4, min_size=1, max_size=4))
def test_when_every_hop_is_a_trusted_proxy_the_left_most_is_the_client(
    peer: ipaddress.IPv4Address, hops: list[ipaddress.IPv4Address]
) -> None:
    header = ",".join(str(a) for a in hops)
    assert client_ip.client_ip(str(peer), header, PROXIES) == str(hops[0])


def test_an_unreadable_hop_stops_at_the_nearest_trusted_proxy() -> None:
    assert client_ip.client_ip("10.0.0.1", "203.0.113.9, bogus, 10.0.0.2", PROXIES) == "10.0.0.2"


def test_without_trusted_proxies_or_header_the_peer_is_the_client() -> None:
    assert client_ip.client_ip("10.0.0.1", "203.0.113.9", ()) == "10.0.0.1"
    assert client_ip.client_ip("10.0.0.1", None, PROXIES) == "10.0.0.1"
    assert client_ip.client_ip(None, "203.0.113.9", PROXIES) is None


@pytest.mark.parametrize(
    ("hop", "expected"),
    [
        ("203.0.113.9:4711", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_hops_with_ports_brackets_and_mapped_addresses_are_normalised(
    hop: str, expected: str
) -> None:
    assert client_ip.client_ip("192.168.1.1", f" {hop} ", PROXIES) == expected


def test_a_peer_that_is_not_an_address_is_kept_as_it_is() -> None:
    assert client_ip.client_ip("testclient", "203.0.113.9", PROXIES) == "testclient"


def test_an_ipv4_mapped_peer_is_matched_against_ipv4_proxies() -> None:
    assert client_ip.client_ip("::ffff:10.1.2.3", "203.0.113.9", PROXIES) == "203.0.113.9"
