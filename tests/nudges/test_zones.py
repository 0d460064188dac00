import pytest

from nudges.zones import fold, is_valid_zone, resolve_zone, zone_for_location


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New_York", "America/New_York"),
        ("Asia/Kathmandu", "Asia/Kathmandu"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("Berlin", "Europe/Berlin"),
        ("berlin.", "Europe/Berlin"),
        ("  Buenos   Aires ", "America/Argentina/Buenos_Aires"),
        ("München", "Europe/Berlin"),
        ("Munich", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("Los Angeles", "America/Los_Angeles"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Kyiv", "Europe/Kyiv"),
        ("Auckland", "Pacific/Auckland"),
        ("Lord Howe", "Australia/Lord_Howe"),
        ("Tokyo", "Asia/Tokyo"),
        ("Zürich", "Europe/Zurich"),
    ],
)
def test_zone_names_and_cities_resolve(text: str, zone: str) -> None:
    match = resolve_zone(text)
    assert match is not None
    assert match.zone == zone


@pytest.mark.parametrize(
    "text", ["", "   ", "Narnia", "Europe/Narnia", "+02:00", "x" * 500, "'; DROP TABLE"]
)
def test_unknown_places_resolve_to_nothing(text: str) -> None:
    assert resolve_zone(text) is None


def test_a_city_match_says_where_it_found_it() -> None:
    match = resolve_zone("berlin")
    assert match is not None
    assert match.place == "Berlin, DE"


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (52.52, 13.405, "Europe/Berlin"),
        (40.7128, -74.006, "America/New_York"),
        (27.7172, 85.324, "Asia/Kathmandu"),
        (-36.8485, 174.7633, "Pacific/Auckland"),
        (-31.5553, 159.0821, "Australia/Lord_Howe"),
    ],
)
def test_locations_map_to_zones_offline(latitude: float, longitude: float, zone: str) -> None:
    assert zone_for_location(latitude, longitude) == zone


@pytest.mark.parametrize(("latitude", "longitude"), [(91, 0), (0, 181), (-95, -200)])
def test_impossible_locations_have_no_zone(latitude: float, longitude: float) -> None:
    assert zone_for_location(latitude, longitude) is None


def test_fold_removes_accents_and_case() -> None:
    assert fold("  São_Paulo ") == "sao paulo"
    assert is_valid_zone("Europe/Berlin")
    assert not is_valid_zone("Europe/berlin")
