"""GeoIP: MaxMind databases (MaxMind's own test databases) and the bundled country data.

The expectations for the MaxMind databases come from the JSON they were built from
(``.cache/geoip/GeoIP2-City-Test.json``, fetched with them by scripts/geoip-testdb.sh).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sitechat.integrations.geoip import (
    BundledGeoIP,
    GeoIP,
    Location,
    MaxMindGeoIP,
    make_geoip,
    single_zone_countries,
    truncate_ip,
)

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "geoip"
SCRIPT = ROOT / "scripts" / "geoip-testdb.sh"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_DATABASES = ("GeoIP2-City-Test.mmdb", "GeoIP2-Country-Test.mmdb", "GeoLite2-ASN-Test.mmdb")

PRIVATE_OR_INVALID = [
    "127.0.0.1",
    "10.1.2.3",
    "192.168.0.10",
    "172.16.5.4",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.1.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.251",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "2001:db8::1",  # documentation range
    "::ffff:10.0.0.1",
    "",
    "   ",
    "not an ip",
    "999.1.1.1",
    "1.2.3",
    "81.2.69.142/24",
    "81.2.69.142:443",
]


@pytest.fixture(scope="session")
def testdb_dir() -> Path:
    needed = [CACHE / name for name in TEST_DATABASES]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        if CI:
            pytest.fail(f"CI=true: {missing[0]} is missing; `make geoip-testdb` fetches it", pytrace=False)
        proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.fail(f"scripts/geoip-testdb.sh failed:\n{proc.stdout}{proc.stderr}", pytrace=False)
    for path in needed:
        assert path.is_file(), f"{path} is still missing after scripts/geoip-testdb.sh"
    return CACHE


@pytest.fixture(scope="module")
def city_db(testdb_dir: Path) -> Iterator[MaxMindGeoIP]:
    db = MaxMindGeoIP(testdb_dir / "GeoIP2-City-Test.mmdb")
    yield db
    db.close()


@pytest.fixture(scope="module")
def country_db(testdb_dir: Path) -> Iterator[MaxMindGeoIP]:
    db = MaxMindGeoIP(testdb_dir / "GeoIP2-Country-Test.mmdb")
    yield db
    db.close()


@pytest.fixture(scope="module")
def bundled() -> BundledGeoIP:
    return BundledGeoIP()


# --- MaxMind City ---------------------------------------------------------------------


def test_city_database_gives_every_field_for_london(city_db: MaxMindGeoIP) -> None:
    assert city_db.name == "maxmind"
    loc = city_db.lookup("81.2.69.142")
    assert loc == Location(
        country_code="GB",
        country="United Kingdom",
        region="England",
        city="London",
        timezone="Europe/London",
    )
    assert loc.as_dict() == {
        "country_code": "GB",
        "country": "United Kingdom",
        "region": "England",
        "city": "London",
        "timezone": "Europe/London",
    }


def test_region_is_the_top_level_subdivision(city_db: MaxMindGeoIP) -> None:
    # 2.2.3.0/24 is Boxford, in West Berkshire, in England: the region is England.
    loc = city_db.lookup("2.2.3.1")
    assert loc is not None
    assert (loc.city, loc.region, loc.country_code) == ("Boxford", "England", "GB")


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("2001:480:10::1", Location("US", "United States", "California", "San Diego", "America/Los_Angeles")),
        ("2a02:d3c0::1", Location("GB", "United Kingdom", None, None, "Europe/London")),
        ("2001:218::abcd", Location("JP", "Japan", None, None, "Asia/Tokyo")),
    ],
)
def test_city_database_answers_ipv6(city_db: MaxMindGeoIP, ip: str, expected: Location) -> None:
    assert city_db.lookup(ip) == expected


def test_an_ipv4_mapped_ipv6_address_is_looked_up_as_ipv4(city_db: MaxMindGeoIP) -> None:
    loc = city_db.lookup("::ffff:81.2.69.142")
    assert loc is not None and loc.city == "London"


def test_addresses_the_database_does_not_know_have_no_location(city_db: MaxMindGeoIP) -> None:
    assert city_db.lookup("1.1.1.1") is None  # not in the test database
    assert city_db.lookup("2.3.3.1") is None  # in it, with an empty record


@pytest.mark.parametrize("ip", PRIVATE_OR_INVALID)
def test_private_loopback_and_invalid_addresses_have_no_location_in_maxmind(
    city_db: MaxMindGeoIP, ip: str
) -> None:
    assert city_db.lookup(ip) is None


# --- MaxMind Country ------------------------------------------------------------------


def test_country_database_gives_the_country_only(country_db: MaxMindGeoIP) -> None:
    loc = country_db.lookup("81.2.69.142")
    # No region or city in a Country database; the time zone is the country's only one.
    assert loc == Location("GB", "United Kingdom", None, None, "Europe/London")
    us = country_db.lookup("216.160.83.56")
    assert us == Location("US", "United States", None, None, None)  # many zones: none
    assert country_db.lookup("127.0.0.1") is None
    assert country_db.lookup("1.1.1.1") is None


# --- make_geoip -----------------------------------------------------------------------


def test_make_geoip_picks_maxmind_when_a_database_is_configured(testdb_dir: Path) -> None:
    geo: GeoIP = make_geoip(str(testdb_dir / "GeoIP2-City-Test.mmdb"))
    try:
        assert geo.name == "maxmind"
        loc = geo.lookup("81.2.69.142")
        assert loc is not None and loc.city == "London"
    finally:
        geo.close()


@pytest.mark.parametrize("setting", [None, ""])
def test_make_geoip_uses_the_bundled_data_by_default(setting: str | None) -> None:
    geo = make_geoip(setting)
    assert geo.name == "bundled"
    loc = geo.lookup("8.8.8.8")
    assert loc is not None and loc.country_code == "US"


def test_make_geoip_names_the_setting_when_the_file_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "GeoLite2-City.mmdb"
    with pytest.raises(ValueError, match="SITECHAT_GEOIP_DB") as err:
        make_geoip(str(missing))
    assert str(missing) in str(err.value) and "no such file" in str(err.value)


def test_make_geoip_rejects_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"SITECHAT_GEOIP_DB.*not a file"):
        make_geoip(str(tmp_path))


def test_make_geoip_rejects_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "GeoLite2-City.mmdb"
    bogus.write_bytes(b"this is not a MaxMind database\n" * 100)
    with pytest.raises(ValueError, match=r"SITECHAT_GEOIP_DB.*not a readable MaxMind database"):
        make_geoip(str(bogus))


def test_make_geoip_rejects_a_database_without_locations(testdb_dir: Path) -> None:
    asn = testdb_dir / "GeoLite2-ASN-Test.mmdb"
    with pytest.raises(ValueError, match=r"SITECHAT_GEOIP_DB.*GeoLite2-ASN database; a City or Country one"):
        make_geoip(str(asn))


# --- Bundled --------------------------------------------------------------------------


def test_bundled_knows_well_known_addresses(bundled: BundledGeoIP) -> None:
    assert bundled.name == "bundled"
    google = bundled.lookup("8.8.8.8")
    assert google == Location("US", "United States", None, None, None)
    ripe = bundled.lookup("193.0.6.139")  # RIPE NCC, Amsterdam
    assert ripe is not None and ripe.country_code == "NL"
    assert ripe.timezone == "Europe/Amsterdam"
    fdn = bundled.lookup("80.67.169.12")  # French Data Network's public resolver
    assert fdn == Location("FR", "France", None, None, "Europe/Paris")


def test_bundled_answers_ipv6(bundled: BundledGeoIP) -> None:
    google = bundled.lookup("2001:4860:4860::8888")
    assert google is not None and google.country_code == "US"
    ripe = bundled.lookup("2001:67c:2e8:22::c100:68b")
    assert ripe is not None and ripe.country_code == "NL"
    mapped = bundled.lookup("::ffff:8.8.8.8")
    assert mapped is not None and mapped.country_code == "US"


@pytest.mark.parametrize("ip", PRIVATE_OR_INVALID)
def test_private_loopback_and_invalid_addresses_have_no_location_bundled(
    bundled: BundledGeoIP, ip: str
) -> None:
    assert bundled.lookup(ip) is None


def test_bundled_data_is_loaded_once_and_lookups_are_fast(bundled: BundledGeoIP) -> None:
    started = time.perf_counter()
    again = BundledGeoIP()  # shares the loaded data: no second 0.3 s load
    assert time.perf_counter() - started < 0.2
    ips = [f"81.{i // 250}.{i % 250}.7" for i in range(2000)]  # all different: no cache hits
    started = time.perf_counter()
    for ip in ips:
        again.lookup(ip)
    # ~12 µs each on the 2-core machine; the bound only catches a reload per lookup.
    assert time.perf_counter() - started < 1.0
    again.close()
    assert bundled.lookup("8.8.8.8") is not None  # close() does not unload shared data


def test_lookups_are_thread_safe(bundled: BundledGeoIP, city_db: MaxMindGeoIP, testdb_dir: Path) -> None:
    ips = ["81.2.69.142", "8.8.8.8", "2001:480:10::1", "193.0.6.139", "127.0.0.1", "2a02:d3c0::1", "x"]
    ips += [f"2.125.160.{i}" for i in range(256)] + [f"89.160.20.{i}" for i in range(256)]
    expected = [(bundled.lookup(ip), city_db.lookup(ip)) for ip in ips]
    # Fresh instances, so the threads do the lookups rather than hit the cache.
    fresh_bundled = BundledGeoIP()
    fresh_city = MaxMindGeoIP(testdb_dir / "GeoIP2-City-Test.mmdb")
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda ip: (fresh_bundled.lookup(ip), fresh_city.lookup(ip)), ips * 4))
    finally:
        fresh_city.close()
    assert got == expected * 4


def test_a_repeated_address_is_answered_from_the_cache(testdb_dir: Path) -> None:
    db = MaxMindGeoIP(testdb_dir / "GeoIP2-City-Test.mmdb")
    try:
        first = db.lookup("81.2.69.142")
        assert first is not None and db.lookup("81.2.69.142") is first
    finally:
        db.close()


def test_single_zone_countries_from_zone_tab() -> None:
    zone_tab = (
        "# comment\n"
        "FR\t+4852+00220\tEurope/Paris\n"
        "DE\t+5230+01322\tEurope/Berlin\tmost of Germany\n"
        "DE\t+4742+00841\tEurope/Busingen\tBusingen\n"
    )
    assert single_zone_countries(zone_tab) == {"FR": "Europe/Paris"}
    real = single_zone_countries()
    assert real["FR"] == "Europe/Paris" and real["GB"] == "Europe/London" and real["JP"] == "Asia/Tokyo"
    assert "US" not in real and "DE" not in real


# --- truncate_ip ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "truncated"),
    [
        ("81.2.69.142", "81.2.69.0"),
        ("81.2.69.0", "81.2.69.0"),
        (" 10.20.30.40 ", "10.20.30.0"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::"),
        ("2001:0db8:1234:ffff:ffff:ffff:ffff:ffff", "2001:db8:1234::"),
        ("::1", "::"),
        ("::ffff:81.2.69.142", "81.2.69.0"),
    ],
)
def test_truncate_ip(ip: str, truncated: str) -> None:
    assert truncate_ip(ip) == truncated


@pytest.mark.parametrize("ip", ["", "garbage", "81.2.69", "81.2.69.142/24", "2001:db8::1::2", "300.1.1.1"])
def test_truncate_ip_rejects_what_is_not_an_address(ip: str) -> None:
    with pytest.raises(ValueError):
        truncate_ip(ip)
