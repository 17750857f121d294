from __future__ import annotations

from django.test import RequestFactory, override_settings

from therapia.core.client_ip import client_ip


def request_with(remote: str, forwarded: str = ""):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_proxies_the_socket_address_counts_and_headers_are_ignored() -> None:
    assert client_ip(request_with("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_rightmost_forwarded_address_counts() -> None:
    # The client wrote 6.6.6.6 itself; our proxy appended the real peer, 198.51.100.9.
    assert client_ip(request_with("10.0.0.2", "6.6.6.6, 198.51.100.9")) == "198.51.100.9"


@override_settings(TRUSTED_PROXIES=1)
def test_garbage_is_not_an_address() -> None:
    assert client_ip(request_with("10.0.0.2", "not-an-ip")) is None
