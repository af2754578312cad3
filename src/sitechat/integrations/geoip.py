"""Where a visitor is, from their IP address.

Two implementations behind one small interface (docs/tracking.md, "Location (GeoIP)"):

- ``MaxMindGeoIP`` reads a MaxMind ``.mmdb`` (GeoIP2/GeoLite2 City, Enterprise or Country)
  when ``SITECHAT_GEOIP_DB`` names one: country, region, city and time zone.
- ``BundledGeoIP``, the embedded default, uses the data that ships inside ``geoip2fast``
  (IPv4 and IPv6, country only).

Where only the country is known, the time zone is the country's when it has exactly one
(from the tz database's ``zone.tab``). Both load everything in the constructor; a lookup
never raises, is safe from any thread, and is remembered (bounded LRU), since the same
visitor's address comes back with every page view.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import threading
import zoneinfo
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import geoip2.database
import geoip2.models
import maxminddb
from geoip2fast import GeoIP2Fast

# Addresses remembered per GeoIP instance (a Location is ~200 bytes).
CACHE_SIZE = 8192

# geoip2fast's file with both IPv4 and IPv6 networks (its default file has IPv4 only).
_BUNDLED_DATA_FILE = "geoip2fast-ipv6.dat.gz"


@dataclass(frozen=True, slots=True)
class Location:
    """``region`` is the top-level subdivision (a US state, "England", a German Land), not
    the most specific one (West Berkshire): it is what people name when asked where
    someone is, and what a City database fills most reliably."""

    country_code: str | None
    country: str | None
    region: str | None
    city: str | None
    timezone: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "country_code": self.country_code,
            "country": self.country,
            "region": self.region,
            "city": self.city,
            "timezone": self.timezone,
        }


class GeoIP(Protocol):
    name: str

    def lookup(self, ip: str) -> Location | None:
        """The address's location; None for private, loopback, unknown or invalid ones."""
        ...

    def close(self) -> None: ...


def _public_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address to look up, or None when it is not a global unicast address.

    An IPv4-mapped IPv6 address (``::ffff:1.2.3.4``, what a dual-stack socket reports for
    an IPv4 client) is the IPv4 address it carries.
    """
    try:
        addr = ipaddress.ip_address(ip.strip())
    except (ValueError, AttributeError):
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if not addr.is_global or addr.is_multicast:
        return None
    return addr


def truncate_ip(ip: str) -> str:
    """The address with its host part zeroed: IPv4 to its /24, IPv6 to its /48.

    ``"81.2.69.142"`` -> ``"81.2.69.0"``; ``"2001:db8:1234:5678::1"`` -> ``"2001:db8:1234::"``.
    An IPv4-mapped IPv6 address is truncated as the IPv4 address it carries.
    Raises ValueError when ``ip`` is not an IP address.
    """
    addr = ipaddress.ip_address(ip.strip())
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False).network_address)


def _zone_tab_text() -> str | None:
    """The tz database's ``zone.tab``: the system's (where ``zoneinfo`` looks first), else
    the one in the ``tzdata`` package."""
    for base in zoneinfo.TZPATH:
        try:
            return (Path(base) / "zone.tab").read_text(encoding="utf-8")
        except OSError:
            continue
    try:
        return resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        return None


def single_zone_countries(zone_tab: str | None = None) -> dict[str, str]:
    """Country code -> its time zone, for the countries with exactly one zone in ``zone.tab``
    (``"FR"`` -> ``"Europe/Paris"``; the US, or Germany with Europe/Busingen, have none)."""
    text = _zone_tab_text() if zone_tab is None else zone_tab
    if not text:
        return {}
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) >= 3:
            zones.setdefault(cols[0].strip().upper(), []).append(cols[2].strip())
    return {code: names[0] for code, names in zones.items() if len(names) == 1}


class MaxMindGeoIP:
    """A MaxMind database. City and Enterprise databases give every field; Country ones
    give the country, and the time zone by the single-zone rule."""

    name = "maxmind"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._reader = geoip2.database.Reader(os.fspath(path), locales=["en"])
        self.database_type: str = self._reader.metadata().database_type
        if "City" in self.database_type:
            self._kind = "city"
        elif "Enterprise" in self.database_type:
            self._kind = "enterprise"
        elif "Country" in self.database_type:
            self._kind = "country"
        else:
            self._reader.close()
            raise ValueError(f"a {self.database_type} database; a City or Country one is needed")
        self._zones = single_zone_countries() if self._kind == "country" else {}
        self._cached = functools.lru_cache(maxsize=CACHE_SIZE)(self._lookup)

    def lookup(self, ip: str) -> Location | None:
        return self._cached(ip) if isinstance(ip, str) else None

    def _lookup(self, ip: str) -> Location | None:
        addr = _public_address(ip)
        if addr is None:
            return None
        try:
            if self._kind == "country":
                country = self._reader.country(addr)
                code = country.country.iso_code
                if code is None:
                    return None
                return Location(code, country.country.name, None, None, self._zones.get(code))
            city = self._reader.enterprise(addr) if self._kind == "enterprise" else self._reader.city(addr)
            return _city_location(city)
        except Exception:
            # AddressNotFoundError, or a damaged database: a page view must not fail over
            # a location, so the answer is "unknown".
            return None

    def close(self) -> None:
        self._cached.cache_clear()
        self._reader.close()


def _city_location(r: geoip2.models.City) -> Location | None:
    loc = Location(
        country_code=r.country.iso_code,
        country=r.country.name,
        region=r.subdivisions[0].name if r.subdivisions else None,
        city=r.city.name,
        timezone=r.location.time_zone,
    )
    return None if loc == _EMPTY else loc


_EMPTY = Location(None, None, None, None, None)

# geoip2fast keeps its data in module globals, so one loaded copy serves every instance.
_bundled_lock = threading.Lock()
_bundled: GeoIP2Fast | None = None


def _bundled_reader() -> GeoIP2Fast:
    global _bundled
    with _bundled_lock:
        if _bundled is None:
            # A full path: given a bare file name, geoip2fast looks in the current directory first.
            data = resources.files("geoip2fast").joinpath(_BUNDLED_DATA_FILE)
            _bundled = GeoIP2Fast(verbose=False, geoip2fast_data_file=str(data))
        return _bundled


class BundledGeoIP:
    """The embedded default: geoip2fast's country data for IPv4 and IPv6; no region or
    city; the time zone by the single-zone rule."""

    name = "bundled"

    def __init__(self) -> None:
        self._reader = _bundled_reader()
        self._zones = single_zone_countries()
        self._cached = functools.lru_cache(maxsize=CACHE_SIZE)(self._lookup)

    def lookup(self, ip: str) -> Location | None:
        return self._cached(ip) if isinstance(ip, str) else None

    def _lookup(self, ip: str) -> Location | None:
        # Validated here: geoip2fast alone would read "8.8" as 8.0.0.8, like inet_aton.
        addr = _public_address(ip)
        if addr is None:
            return None
        text = ip.strip()
        if addr.version == 4 and ":" in text:
            text = str(addr)  # an IPv4-mapped IPv6 address: look up the IPv4 one
        try:
            r = self._reader.lookup(text)
            code = r.country_code
            name = r.country_name
        except Exception:
            return None
        # geoip2fast reports failures as pseudo-codes ("--", "") rather than raising.
        if not isinstance(code, str) or len(code) != 2 or not code.isalpha():
            return None
        code = code.upper()
        return Location(
            country_code=code,
            country=name if isinstance(name, str) and name else None,
            region=None,
            city=None,
            timezone=self._zones.get(code),
        )

    def close(self) -> None:
        # The data is shared by every instance in the process and stays loaded.
        self._cached.cache_clear()


def make_geoip(db_path: str | None) -> GeoIP:
    """MaxMind when ``db_path`` (``SITECHAT_GEOIP_DB``) is set, the bundled data otherwise.

    Raises ValueError naming SITECHAT_GEOIP_DB when the file is missing or not a usable
    City/Country database, so a wrong setting stops start-up instead of silently losing
    locations. An empty setting means "not set".
    """
    if not db_path:
        return BundledGeoIP()
    path = Path(db_path)
    if not path.exists():
        raise ValueError(f"SITECHAT_GEOIP_DB={db_path!r}: no such file")
    if not path.is_file():
        raise ValueError(f"SITECHAT_GEOIP_DB={db_path!r}: not a file")
    try:
        return MaxMindGeoIP(path)
    except ValueError as exc:
        raise ValueError(f"SITECHAT_GEOIP_DB={db_path!r}: {exc}") from exc
    except (OSError, maxminddb.InvalidDatabaseError) as exc:
        raise ValueError(f"SITECHAT_GEOIP_DB={db_path!r}: not a readable MaxMind database ({exc})") from exc
