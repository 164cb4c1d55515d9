"""functions/content_urls/signing: Google's published examples, then properties."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.content_urls.signing import Verdict, sign_cookie, sign_url, sign_url_prefix, verify

# The key, key name and expiry of GoogleCloudPlatform/python-docs-samples cdn/snippets_test.py.
KEY = "nZtRohdNF9m3cKM24IcK4w=="
KEY_NAME = "my-key"
EXPIRES = 1549751401
KEYS = {KEY_NAME: KEY}
BEFORE = EXPIRES - 1

PUBLISHED_URLS = [
    (
        "http://35.186.234.33/index.html",
        "http://35.186.234.33/index.html?Expires=1549751401&KeyName=my-key&Signature=CRFqQnVfFyiUyR63OQf-HRUpIwc=",
    ),
    (
        "http://www.example.com/",
        "http://www.example.com/?Expires=1549751401&KeyName=my-key&Signature=OqDUFfHpN5Vxga6r80bhsgxKves=",
    ),
    (
        "http://www.example.com/some/path?some=query&another=param",
        "http://www.example.com/some/path?some=query&another=param&Expires=1549751401&KeyName=my-key"
        "&Signature=9Q9TCxSju8-W5nUkk5CuTrun2_o=",
    ),
]

PUBLISHED_PREFIX_URLS = [
    (
        "http://35.186.234.33/index.html",
        "http://35.186.234.33/",
        "http://35.186.234.33/index.html?URLPrefix=aHR0cDovLzM1LjE4Ni4yMzQuMzMv&"
        "Expires=1549751401&KeyName=my-key&Signature=j7HYgoQ8dIOVsW3Rw4cpkjWfRMA=",
    ),
    (
        "http://www.example.com/",
        "http://www.example.com/",
        "http://www.example.com/?URLPrefix=aHR0cDovL3d3dy5leGFtcGxlLmNvbS8=&"
        "Expires=1549751401&KeyName=my-key&Signature=UdT5nVks6Hh8QFMJI9kmXuXYBk0=",
    ),
    (
        "http://www.example.com/some/path?some=query&another=param",
        "http://www.example.com/some/",
        "http://www.example.com/some/path?some=query&another=param&"
        "URLPrefix=aHR0cDovL3d3dy5leGFtcGxlLmNvbS9zb21lLw==&"
        "Expires=1549751401&KeyName=my-key&Signature=3th4ThmpS95I1TAKYyYSCSq3dnQ=",
    ),
]

PUBLISHED_COOKIES = [
    (
        "http://35.186.234.33/index.html",
        "URLPrefix=aHR0cDovLzM1LjE4Ni4yMzQuMzMvaW5kZXguaHRtbA==:Expires=1549751401:KeyName=my-key:"
        "Signature=uImwlOBCPs91mlCyG9vyyZRrNWU=",
    ),
    (
        "http://www.example.com/foo/",
        "URLPrefix=aHR0cDovL3d3dy5leGFtcGxlLmNvbS9mb28v:Expires=1549751401:KeyName=my-key:"
        "Signature=Z9uYAu73YHioRScZDxnP-TnS274=",
    ),
]


@pytest.mark.parametrize(("url", "signed"), PUBLISHED_URLS)
def test_sign_url_matches_googles_published_example(url: str, signed: str) -> None:
    assert sign_url(url, KEY_NAME, KEY, EXPIRES) == signed


@pytest.mark.parametrize(("url", "prefix", "signed"), PUBLISHED_PREFIX_URLS)
def test_sign_url_prefix_matches_googles_published_example(url: str, prefix: str, signed: str) -> None:
    assert sign_url_prefix(url, prefix, KEY_NAME, KEY, EXPIRES) == signed


@pytest.mark.parametrize(("prefix", "value"), PUBLISHED_COOKIES)
def test_sign_cookie_matches_googles_published_example(prefix: str, value: str) -> None:
    assert sign_cookie(prefix, KEY_NAME, KEY, EXPIRES) == value


@pytest.mark.parametrize(("url", "signed"), PUBLISHED_URLS)
def test_published_signed_url_verifies_before_its_expiry(url: str, signed: str) -> None:
    assert verify(signed, KEYS, BEFORE) is Verdict.VALID


@pytest.mark.parametrize(("url", "prefix", "signed"), PUBLISHED_PREFIX_URLS)
def test_published_prefix_url_verifies_before_its_expiry(url: str, prefix: str, signed: str) -> None:
    assert verify(signed, KEYS, BEFORE) is Verdict.VALID


@pytest.mark.parametrize(("prefix", "value"), PUBLISHED_COOKIES)
def test_published_cookie_verifies_for_a_url_under_its_prefix(prefix: str, value: str) -> None:
    assert verify(prefix + "segment1.ts", KEYS, BEFORE, cookie=value) is Verdict.VALID


@pytest.mark.parametrize(("url", "signed"), PUBLISHED_URLS)
def test_signed_url_is_expired_from_its_expires_second_on(url: str, signed: str) -> None:
    assert verify(signed, KEYS, EXPIRES) is Verdict.EXPIRED


def test_cookie_is_expired_from_its_expires_second_on() -> None:
    prefix, value = PUBLISHED_COOKIES[1]
    assert verify(prefix + "a.ts", KEYS, EXPIRES, cookie=value) is Verdict.EXPIRED


def test_cookie_refuses_a_url_outside_its_prefix() -> None:
    value = PUBLISHED_COOKIES[1][1]
    assert verify("http://www.example.com/food/a.ts", KEYS, BEFORE, cookie=value) is Verdict.OUTSIDE_PREFIX


def test_prefix_url_refuses_a_path_outside_its_prefix() -> None:
    signed = PUBLISHED_PREFIX_URLS[2][2].replace("/some/path", "/other/path")
    assert verify(signed, KEYS, BEFORE) is Verdict.OUTSIDE_PREFIX


def test_unknown_key_name_is_refused() -> None:
    assert verify(PUBLISHED_URLS[0][1], {"other-key": KEY}, BEFORE) is Verdict.UNKNOWN_KEY


def test_signature_made_with_another_key_is_refused() -> None:
    other = base64.urlsafe_b64encode(bytes(range(16))).decode()
    assert verify(PUBLISHED_URLS[0][1], {KEY_NAME: other}, BEFORE) is Verdict.BAD_SIGNATURE


def test_both_keys_verify_during_a_rotation() -> None:
    new_key = base64.urlsafe_b64encode(bytes(range(16))).decode()
    keys = {KEY_NAME: KEY, "new-key": new_key}
    old_url = sign_url("https://cdn.example.com/a.mp3", KEY_NAME, KEY, EXPIRES)
    new_url = sign_url("https://cdn.example.com/a.mp3", "new-key", new_key, EXPIRES)
    assert [verify(u, keys, BEFORE) for u in (old_url, new_url)] == [Verdict.VALID, Verdict.VALID]


def test_request_without_signature_or_cookie_is_unsigned() -> None:
    assert verify("http://www.example.com/a.mp3", KEYS, BEFORE) is Verdict.UNSIGNED


@pytest.mark.parametrize(
    "url",
    [
        "http://www.example.com/a.mp3?Signature=abc",
        "http://www.example.com/a.mp3?Expires=x&KeyName=my-key&Signature=abc",
        "http://www.example.com/a.mp3?Expires=1&KeyName=my-key&Signature=abc&more=1",
    ],
)
def test_malformed_signed_url_is_refused(url: str) -> None:
    assert verify(url, KEYS, 0) is Verdict.MALFORMED


def test_malformed_cookie_is_refused() -> None:
    assert verify("http://www.example.com/a", KEYS, 0, cookie="URLPrefix=aa:Expires=1") is Verdict.MALFORMED


@pytest.mark.parametrize("param", ["Expires=1", "KeyName=k", "Signature=s", "URLPrefix=p"])
def test_sign_url_refuses_a_url_that_already_carries_signing_parameters(param: str) -> None:
    with pytest.raises(ValueError, match="already carries"):
        sign_url(f"http://www.example.com/a.mp3?x=1&{param}", KEY_NAME, KEY, EXPIRES)


def test_sign_url_prefix_refuses_a_url_outside_the_prefix() -> None:
    with pytest.raises(ValueError, match="not under"):
        sign_url_prefix("http://www.example.com/a.mp3", "http://www.example.com/b/", KEY_NAME, KEY, EXPIRES)


@pytest.mark.parametrize("url", ["ftp://www.example.com/a", "/relative/a.mp3", "http://www.example.com/a#part"])
def test_signing_refuses_a_url_a_cdn_could_not_serve(url: str) -> None:
    with pytest.raises(ValueError, match="only http"):
        sign_url(url, KEY_NAME, KEY, EXPIRES)


@pytest.mark.parametrize("key_name", ["", "has space", "x" * 64, "colon:name"])
def test_signing_refuses_an_invalid_key_name(key_name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        sign_cookie("http://www.example.com/", key_name, KEY, EXPIRES)


# Properties: anything signed verifies until it expires, and no changed character passes.

_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~%", min_size=1, max_size=12)
_hosts = st.sampled_from(["cdn.example.com", "127.0.0.1:8000", "media.example.org"])
_query = st.lists(st.tuples(_segment, _segment), max_size=3).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
_keys = st.binary(min_size=16, max_size=16).map(lambda raw: base64.urlsafe_b64encode(raw).decode())
_key_names = st.from_regex(r"[A-Za-z0-9_-]{1,63}", fullmatch=True)
_expiries = st.integers(min_value=1, max_value=2**40)
_printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@st.composite
def _prefixes(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    path = "/".join(draw(st.lists(_segment, max_size=3)))
    return f"{scheme}://{draw(_hosts)}/{path}/" if path else f"{scheme}://{draw(_hosts)}/"


@st.composite
def _urls(draw: st.DrawFn) -> tuple[str, str]:
    prefix = draw(_prefixes())
    query = draw(_query)
    url = prefix + draw(_segment) + (f"?{query}" if query else "")
    return prefix, url


def _changed(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


@given(_urls(), _key_names, _keys, _expiries)
def test_signed_url_round_trips(urls: tuple[str, str], key_name: str, key: str, expires: int) -> None:
    assert verify(sign_url(urls[1], key_name, key, expires), {key_name: key}, expires - 1) is Verdict.VALID


@given(_urls(), _key_names, _keys, _expiries)
def test_prefix_url_round_trips(urls: tuple[str, str], key_name: str, key: str, expires: int) -> None:
    prefix, url = urls
    signed = sign_url_prefix(url, prefix, key_name, key, expires)
    assert verify(signed, {key_name: key}, expires - 1) is Verdict.VALID


@given(_urls(), _key_names, _keys, _expiries)
def test_cookie_round_trips_for_every_url_under_its_prefix(
    urls: tuple[str, str], key_name: str, key: str, expires: int
) -> None:
    prefix, url = urls
    cookie = sign_cookie(prefix, key_name, key, expires)
    assert verify(url, {key_name: key}, expires - 1, cookie=cookie) is Verdict.VALID


@given(_urls(), _key_names, _keys, _expiries, st.data())
def test_any_changed_character_of_a_signed_url_fails(
    urls: tuple[str, str], key_name: str, key: str, expires: int, data: st.DataObject
) -> None:
    signed = sign_url(urls[1], key_name, key, expires)
    index = data.draw(st.integers(min_value=0, max_value=len(signed) - 1))
    char = data.draw(_printable.filter(lambda c: c != signed[index]))
    assert verify(_changed(signed, index, char), {key_name: key}, expires - 1) is not Verdict.VALID


@given(_urls(), _key_names, _keys, _expiries, st.data())
def test_any_changed_character_of_a_prefix_urls_parameters_fails(
    urls: tuple[str, str], key_name: str, key: str, expires: int, data: st.DataObject
) -> None:
    prefix, url = urls
    signed = sign_url_prefix(url, prefix, key_name, key, expires)
    # The path may change freely within the prefix; the signing parameters may not.
    start = len(url)
    index = data.draw(st.integers(min_value=start, max_value=len(signed) - 1))
    char = data.draw(_printable.filter(lambda c: c != signed[index]))
    assert verify(_changed(signed, index, char), {key_name: key}, expires - 1) is not Verdict.VALID


@given(_urls(), _key_names, _keys, _expiries, st.data())
def test_any_changed_character_of_a_cookie_fails(
    urls: tuple[str, str], key_name: str, key: str, expires: int, data: st.DataObject
) -> None:
    prefix, url = urls
    cookie = sign_cookie(prefix, key_name, key, expires)
    index = data.draw(st.integers(min_value=0, max_value=len(cookie) - 1))
    char = data.draw(_printable.filter(lambda c: c != cookie[index]))
    assert verify(url, {key_name: key}, expires - 1, cookie=_changed(cookie, index, char)) is not Verdict.VALID


@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=200)))
def test_verify_refuses_garbage_without_raising(url: str, cookie: str | None) -> None:
    assert verify(url, KEYS, BEFORE, cookie=cookie) is not Verdict.VALID


def test_verify_refuses_a_url_with_a_malformed_host() -> None:
    assert verify("http://[/0?Expires=1&KeyName=k&Signature=abc=", KEYS, 0) is Verdict.UNKNOWN_KEY
