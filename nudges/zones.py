"""Time zones from what people type or share: IANA names, city names, locations."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tzfpy

_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC"}


@dataclass(frozen=True)
class ZoneMatch:
    """A resolved time zone and the place it was found by (for a friendly confirmation)."""

    zone: str
    place: str


def fold(text: str) -> str:
    """Lowercase ASCII form of a name: `München` -> `munchen`, `New_York` -> `new york`."""
    decomposed = unicodedata.normalize("NFKD", text.replace("_", " "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def is_valid_zone(name: str) -> bool:
    """True when `name` is an IANA zone this machine knows."""
    return name in _zone_names()


def resolve_zone(text: str) -> ZoneMatch | None:
    """The zone meant by an IANA name (`Europe/Berlin`, any case) or a city (`Berlin`)."""
    key = fold(text.strip().strip(".,!?"))
    if not key or len(key) > 80:
        return None
    if key in _ALIASES:
        return ZoneMatch("UTC", "UTC")
    canonical = _zones_by_folded_name().get(key)
    if canonical is not None:
        return ZoneMatch(canonical, canonical.rsplit("/", 1)[-1].replace("_", " "))
    city = _cities().get(key)
    if city is not None:
        zone, name, country = city
        if is_valid_zone(zone):
            return ZoneMatch(zone, f"{name}, {country}")
    by_last_part = _zones_by_city_part().get(key)
    if by_last_part is not None:
        return ZoneMatch(by_last_part, by_last_part.rsplit("/", 1)[-1].replace("_", " "))
    return None


def zone_for_location(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point on Earth (offline), or None in the open sea or for nonsense."""
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None
    zone = tzfpy.get_tz(longitude, latitude)
    if not zone or zone.startswith("Etc/") or not is_valid_zone(zone):
        return None
    return zone


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a stored zone name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {fold(name): name for name in _zone_names()}


@cache
def _zones_by_city_part() -> dict[str, str]:
    """`new york` -> `America/New_York`: the last part of each canonical zone name."""
    parts: dict[str, str] = {}
    for name in sorted(_zone_names()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            parts.setdefault(fold(name.rsplit("/", 1)[-1]), name)
    return parts


@cache
def _cities() -> dict[str, tuple[str, str, str]]:
    """City names (GeoNames, CC BY 4.0) to (zone, display name, country code)."""
    table: dict[str, tuple[str, str, str]] = {}
    text = resources.files("nudges").joinpath("data/cities.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        key, zone_name, name, country, _population = line.split("\t")
        table[key] = (zone_name, name, country)
    return table
