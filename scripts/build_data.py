"""Build CallMP's shipped data files in ``data/`` from the offline source bundle.

Reads the source bundle (default ``../shared/data`` next to the repository; see its
README, sections 1, 2, 3 and 6) and writes ``ridings.csv``, ``mps.csv``, ``offices.csv``,
``fsa_ridings.csv`` and ``postal_codes.csv.gz``. Everything is joined on ``fed_num``.
The output depends only on the input: rows are sorted and no build timestamp is written.

Run from the repository root: ``.venv/bin/python scripts/build_data.py``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

# The app's own parser of the House's profile pages: the shipped languages are read the
# way a refresh reads them.
from callmp.directory.house_sources import SourceError, parse_profile_html  # noqa: E402
from callmp.directory.languages import language_code, profile_source  # noqa: E402

DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "data"

ROSTER_AS_OF = "2026-09-27"
ROSTER_SOURCE = "hoc_roster_2026-09-27"
OFFICES_AS_OF = "2026-09-02"
OFFICES_SOURCE = "hoc_addresses_page_2026-09-02"
HILL_TIME_ZONE = "America/Toronto"

N_RIDINGS = 343
N_OCCUPIED = 337
N_VACANT = 6
N_DERIVED_EMAILS = 5
N_POSTAL_CODES = 891_909

# Near-boundary flag: candidate distances (ground metres), the preferred one, the
# fallback, and the share of all codes above which the preferred one is too coarse.
NEAR_DISTANCES = (100, 150, 250)
NEAR_PREFERRED = 150
NEAR_FALLBACK = 100
NEAR_MAX_SHARE = 0.20
NEAR_METHODS = frozenset({"exact", "approx", "nearest"})

# French names of the ridings renamed in 2026. No official French list was found (see
# data/README.md), so a renamed riding gets a French name only by this rule: Elections
# Canada's 2023 order translates riding names only through generic words (North -> Nord,
# Centre, The Peninsulas -> Les Péninsules, Mount Royal -> Mont-Royal ...), and every 2023
# name without any of these words is the same in both languages (checked on each build).
# A 2026 name without any of them is therefore written the same in French.
TRANSLATED_WORDS = frozenset(
    {
        *("north", "south", "east", "west", "centre", "central"),
        *("northwest", "northeast", "southwest", "southeast"),
        *("northern", "southern", "eastern", "western", "the", "and", "of"),
        *("mount", "mountain", "peninsula", "peninsulas", "island", "islands"),
        *("trail", "river", "superior", "territories", "lake", "bay", "bays"),
        *("coast", "valley", "cape", "new", "st."),
    }
)
SAME_NAME_SOURCE = "rule_same_in_both_languages_2023_order"
PROFILE_FILE = re.compile(
    r"^member_profile_[a-z0-9-]+_([0-9]{1,9})_([0-9]{4}-[0-9]{2}-[0-9]{2})\.html$"
)
N_PROFILES = 5

FLAG_SUSPECT = 1
FLAG_NEAR_BOUNDARY = 2

RIDINGS_COLUMNS = [
    "fed_num",
    "name_en",
    "name_fr",
    "name_current",
    "name_current_fr",
    "name_current_fr_source",
    "province_code",
    "province_abbr",
    "province_en",
    "province_fr",
    "time_zone",
    "time_zone_note",
]
MPS_COLUMNS = [
    "fed_num",
    "riding_name_en",
    "riding_name_fr",
    "riding_name_current",
    "province_abbr",
    "seat_status",
    "ourcommons_person_id",
    "honorific",
    "full_name",
    "first_name",
    "last_name",
    "party",
    "email",
    "email_source",
    "email_derived",
    "photo_url",
    "profile_url",
    "preferred_language",
    "preferred_language_source",
    "previous_member",
    "roster_as_of",
    "source",
]
MEMBER_FIELDS = [
    "ourcommons_person_id",
    "honorific",
    "full_name",
    "first_name",
    "last_name",
    "party",
    "email",
    "email_source",
    "photo_url",
    "profile_url",
]
OFFICES_COLUMNS = [
    "ourcommons_person_id",
    "fed_num",
    "office_type",
    "position",
    "is_main",
    "label_en",
    "label_fr",
    "street",
    "city",
    "province_abbr",
    "postal_code",
    "phone",
    "phone_raw",
    "toll_free",
    "fax",
    "time_zone",
    "source",
    "as_of",
    "issues",
]
FSA_COLUMNS = ["fsa", "fed_num", "share", "rank", "n_postal_codes"]
POSTAL_HEADER = "postal_code,fed_num,alt_fed_num,flags\n"
POSTAL_LINE = 21

OFFICE_LABELS = {
    ("hill", ""): ("Parliament Hill office", "Bureau de la Colline du Parlement"),
    ("constituency", "1"): (
        "Constituency office (main)",
        "Bureau de circonscription (principal)",
    ),
    ("constituency", "0"): ("Constituency office", "Bureau de circonscription"),
}

# Constituency offices in mixed-zone ridings whose town is not on the riding's primary
# zone, following the riding's time_zone_note in ridings_2023.csv. Keyed by (fed_num, city).
OFFICE_TIME_ZONES = {
    ("10004", "L'Anse au Loup"): "America/St_Johns",  # SE Labrador coast: Newfoundland time
    ("24024", "Cap-aux-Meules"): "America/Halifax",  # Îles-de-la-Madeleine: Atlantic time
    ("35107", "Fort Frances"): "America/Winnipeg",  # Rainy River District: Central time
    ("47001", "Lloydminster"): "America/Edmonton",  # Lloydminster: Mountain time with DST
    ("59026", "Fort St. John"): "America/Dawson_Creek",  # Peace River: MST all year
    ("59026", "Dawson Creek"): "America/Dawson_Creek",
}

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
E164_RE = re.compile(r"\+1[2-9][0-9]{9}")
FSA_RE = re.compile(r"[A-Z][0-9][A-Z]")
POSTAL_RE = re.compile(r"[A-Z][0-9][A-Z][0-9][A-Z][0-9]")
FED_RE = re.compile(r"[0-9]{5}")

# EPSG:3347, Statistics Canada Lambert: Lambert conformal conic (2SP) on GRS80.
GRS80_A = 6_378_137.0
GRS80_F = 1 / 298.257222101
LCC_LAT_1 = 49.0
LCC_LAT_2 = 77.0
LCC_LAT_0 = 63.390675
LCC_LON_0 = -91.866666666667
LCC_X_0 = 6_200_000.0
LCC_Y_0 = 3_000_000.0

Row = dict[str, str]
FloatArray = npt.NDArray[np.float64]


class DataError(Exception):
    """A source file or an output did not pass a check."""


def check(condition: bool, message: str) -> None:
    """Raise DataError with ``message`` unless ``condition`` holds."""
    if not condition:
        raise DataError(message)


def read_csv(path: Path) -> list[Row]:
    """Read a CSV file (any line ending) into a list of dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Write rows as UTF-8 CSV with LF line endings and minimal quoting; return the count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            check(set(row) == set(columns), f"{path.name}: unexpected columns {sorted(row)}")
            writer.writerow([row[column] for column in columns])
            count += 1
    return count


def name_words(name: str) -> set[str]:
    """The words of a riding name, folded, split at spaces and dashes."""
    return {w for w in re.split(r"[\s\u2014\u2013-]+", name.casefold()) if w}


def check_same_name_rule(ridings: Iterable[Row]) -> int:
    """Check the rule's basis on the 2023 order; the number of names it covers there."""
    covered = 0
    for row in ridings:
        if name_words(row["name_en"]) & TRANSLATED_WORDS:
            continue
        check(
            row["name_en"] == row["name_fr"],
            f"ridings: {row['fed_num']} {row['name_en']!r} has no translated word but its "
            f"French name differs ({row['name_fr']!r}); the French-name rule does not hold",
        )
        covered += 1
    return covered


def french_current_name(name_en: str, current: str) -> tuple[str, str]:
    """French name and its source for a riding's 2026 name (empty when not renamed or
    when the rule cannot say)."""
    if current == name_en or name_words(current) & TRANSLATED_WORDS:
        return "", ""
    return current, SAME_NAME_SOURCE


def build_ridings(source: Path) -> list[Row]:
    """Ridings of the 2023 order, with the 2026 House of Commons display name."""
    ridings = read_csv(source / "boundaries_2023" / "ridings_2023.csv")
    roster = {
        row["fed_num"]: row for row in read_csv(source / "mps_45th" / "mps_45th_parliament.csv")
    }
    covered = check_same_name_rule(ridings)
    out: list[Row] = []
    for row in ridings:
        fed = row["fed_num"]
        check(FED_RE.fullmatch(fed) is not None, f"ridings: bad fed_num {fed!r}")
        check(
            fed[:2] == row["province_code"], f"ridings: {fed} has province {row['province_code']}"
        )
        check(fed in roster, f"ridings: {fed} missing from mps_45th_parliament.csv")
        # Vacant seats are not in the 2026 roster; they keep the official 2023 name.
        current = roster[fed]["riding_name_hoc_2026"] or row["name_en"]
        current_fr, current_fr_source = french_current_name(row["name_en"], current)
        out.append(
            {
                "fed_num": fed,
                "name_en": row["name_en"],
                "name_fr": row["name_fr"],
                "name_current": current,
                "name_current_fr": current_fr,
                "name_current_fr_source": current_fr_source,
                "province_code": row["province_code"],
                "province_abbr": row["province_abbr"],
                "province_en": row["province_en"],
                "province_fr": row["province_fr"],
                "time_zone": row["time_zone_primary"],
                "time_zone_note": row["time_zone_note"],
            }
        )
    out.sort(key=lambda r: r["fed_num"])
    feds = [r["fed_num"] for r in out]
    check(len(out) == N_RIDINGS, f"ridings: {len(out)} rows, expected {N_RIDINGS}")
    check(len(set(feds)) == len(feds), "ridings: duplicate fed_num")
    check(all(r["time_zone"].startswith("America/") for r in out), "ridings: odd time zone")
    renamed = [r for r in out if r["name_current"] != r["name_en"]]
    named = [r for r in renamed if r["name_current_fr"]]
    print(
        f"ridings: French-name rule holds for {covered} names of the 2023 order; "
        f"{len(named)} of {len(renamed)} renamed ridings get a French 2026 name"
    )
    return out


def read_languages(source: Path, sitting: set[str]) -> dict[str, tuple[str, str]]:
    """Preferred language and its source by person id, from the saved profile pages."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((source / "fixtures" / "ourcommons_html").glob("member_profile_*")):
        match = PROFILE_FILE.match(path.name)
        check(match is not None, f"profiles: unexpected file name {path.name}")
        assert match is not None
        try:
            profile = parse_profile_html(path.read_text(encoding="utf-8"))
            code = language_code(profile.preferred_language)
        except (SourceError, ValueError) as error:
            raise DataError(f"profiles: {path.name}: {error}") from error
        person_id = str(profile.person_id)
        check(person_id == match.group(1), f"profiles: {path.name} is person {person_id}")
        check(person_id in sitting, f"profiles: {person_id} is not a sitting member")
        check(person_id not in found, f"profiles: two pages of person {person_id}")
        found[person_id] = (code, profile_source(date.fromisoformat(match.group(2))))
    check(len(found) == N_PROFILES, f"profiles: {len(found)} pages, expected {N_PROFILES}")
    return found


def build_mps(source: Path, ridings: dict[str, Row]) -> list[Row]:
    """One row per riding: the sitting MP as of the 2026-09-27 roster, or a vacant seat."""
    out: list[Row] = []
    roster = read_csv(source / "mps_45th" / "mps_45th_parliament.csv")
    sitting = {r["ourcommons_person_id"] for r in roster if r["seat_status"] == "occupied"}
    languages = read_languages(source, sitting)
    for row in roster:
        fed = row["fed_num"]
        check(fed in ridings, f"mps: fed_num {fed} is not a riding")
        riding = ridings[fed]
        check(row["province_abbr"] == riding["province_abbr"], f"mps: {fed} province differs")
        status = row["seat_status"]
        check(status in {"occupied", "vacant"}, f"mps: {fed} has seat_status {status!r}")
        occupied = status == "occupied"
        record: Row = {
            "fed_num": fed,
            "riding_name_en": riding["name_en"],
            "riding_name_fr": riding["name_fr"],
            "riding_name_current": riding["name_current"],
            "province_abbr": riding["province_abbr"],
            "seat_status": status,
            "email_derived": "",
            # Only from an official profile page; everyone else stays unknown (empty).
            "preferred_language": "",
            "preferred_language_source": "",
            "previous_member": "" if occupied else row["mp_2026_01_if_different"],
            "roster_as_of": ROSTER_AS_OF,
            "source": ROSTER_SOURCE,
        }
        for field in MEMBER_FIELDS:
            record[field] = row[field] if occupied else ""
        if occupied:
            for field in ("ourcommons_person_id", "full_name", "first_name", "last_name"):
                check(row[field] != "", f"mps: {fed} has no {field}")
            check(row["ourcommons_person_id"].isdigit(), f"mps: {fed} bad person id")
            check(EMAIL_RE.fullmatch(row["email"]) is not None, f"mps: {fed} bad email")
            derived = row["email_source"].startswith("derived_")
            check(
                derived or row["email_source"] == "represent_api_2026-01",
                f"mps: {fed} unknown email_source {row['email_source']!r}",
            )
            record["email_derived"] = "1" if derived else "0"
            language, language_source = languages.get(row["ourcommons_person_id"], ("", ""))
            record["preferred_language"] = language
            record["preferred_language_source"] = language_source
        else:
            check(row["mp_2026_01_if_different"] != "", f"mps: vacant {fed} has no previous MP")
            check(row["ourcommons_person_id"] == "", f"mps: vacant {fed} has a person id")
        out.append(record)
    out.sort(key=lambda r: r["fed_num"])
    feds = [r["fed_num"] for r in out]
    status_counts = Counter(r["seat_status"] for r in out)
    ids = [r["ourcommons_person_id"] for r in out if r["ourcommons_person_id"]]
    check(len(out) == N_RIDINGS, f"mps: {len(out)} rows, expected {N_RIDINGS}")
    check(len(set(feds)) == len(feds), "mps: duplicate fed_num")
    check(set(feds) == set(ridings), "mps: fed_num set differs from ridings")
    check(status_counts["occupied"] == N_OCCUPIED, f"mps: {status_counts['occupied']} occupied")
    check(status_counts["vacant"] == N_VACANT, f"mps: {status_counts['vacant']} vacant")
    check(len(set(ids)) == len(ids) == N_OCCUPIED, "mps: person ids missing or duplicated")
    derived_count = sum(r["email_derived"] == "1" for r in out)
    check(derived_count == N_DERIVED_EMAILS, f"mps: {derived_count} derived emails")
    return out


def office_label(office_type: str, is_main: str) -> tuple[str, str]:
    """English and French labels for an office."""
    key = (office_type, is_main)
    check(key in OFFICE_LABELS, f"offices: no label for {key}")
    return OFFICE_LABELS[key]


def office_time_zone(office_type: str, fed: str, city: str, ridings: dict[str, Row]) -> str:
    """IANA time zone of an office: Ottawa for the Hill, else the riding's (with overrides)."""
    if office_type == "hill":
        return HILL_TIME_ZONE
    return OFFICE_TIME_ZONES.get((fed, city), ridings[fed]["time_zone"])


def build_offices(source: Path, ridings: dict[str, Row], mps: list[Row]) -> list[Row]:
    """Hill and constituency offices of the MPs who sit on the roster date."""
    sitting = {
        r["fed_num"]: r["ourcommons_person_id"] for r in mps if r["seat_status"] == "occupied"
    }
    out: list[Row] = []
    dropped = 0
    for row in read_csv(source / "mps_45th" / "offices_2026-09.csv"):
        fed = row["fed_num"]
        check(fed in ridings, f"offices: fed_num {fed} is not a riding")
        if sitting.get(fed) != row["ourcommons_person_id"]:
            dropped += 1
            continue
        office_type = row["office_type"]
        is_main = row["is_main_office"]
        check(office_type in {"hill", "constituency"}, f"offices: bad type {office_type!r}")
        check(
            is_main == "" if office_type == "hill" else is_main in {"0", "1"},
            f"offices: {fed} bad is_main_office {is_main!r}",
        )
        check(row["office_index"].isdigit(), f"offices: {fed} bad office_index")
        check(row["source"] == OFFICES_SOURCE, f"offices: {fed} source {row['source']!r}")
        for field in ("phone", "toll_free", "fax"):
            value = row[field]
            check(value == "" or E164_RE.fullmatch(value) is not None, f"offices: {fed} {field}")
        label_en, label_fr = office_label(office_type, is_main)
        out.append(
            {
                "ourcommons_person_id": row["ourcommons_person_id"],
                "fed_num": fed,
                "office_type": office_type,
                "position": row["office_index"],
                "is_main": is_main,
                "label_en": label_en,
                "label_fr": label_fr,
                "street": row["street"],
                "city": row["city"],
                "province_abbr": row["province_abbr"],
                "postal_code": row["postal_code"],
                "phone": row["phone"],
                "phone_raw": row["phone_raw"],
                "toll_free": row["toll_free"],
                "fax": row["fax"],
                "time_zone": office_time_zone(office_type, fed, row["city"], ridings),
                "source": OFFICES_SOURCE,
                "as_of": OFFICES_AS_OF,
                "issues": row["issues"],
            }
        )
    out.sort(key=lambda r: (r["fed_num"], r["office_type"] != "hill", int(r["position"])))
    keys = [(r["fed_num"], r["office_type"], r["position"]) for r in out]
    check(len(set(keys)) == len(keys), "offices: duplicate (fed_num, office_type, position)")
    hill_rows = Counter(r["fed_num"] for r in out if r["office_type"] == "hill")
    main_rows = Counter(r["fed_num"] for r in out if r["is_main"] == "1")
    with_phone = {r["fed_num"] for r in out if r["phone"]}
    for fed, city in OFFICE_TIME_ZONES:
        matches = sum(r["fed_num"] == fed and r["city"] == city for r in out)
        check(matches == 1, f"offices: time-zone override {fed} {city} matches {matches} rows")
        check(ridings[fed]["time_zone_note"] != "", f"offices: {fed} is not a mixed-zone riding")
    for fed in sitting:
        check(hill_rows[fed] == 1, f"offices: {fed} has {hill_rows[fed]} hill rows")
        check(main_rows[fed] == 1, f"offices: {fed} has {main_rows[fed]} main offices")
        check(fed in with_phone, f"offices: sitting MP of {fed} has no office with a phone")
    print(f"offices: dropped {dropped} rows of MPs no longer sitting")
    return out


def build_fsa(source: Path, ridings: dict[str, Row]) -> list[Row]:
    """FSA to riding shares (by count of postal codes)."""
    out: list[Row] = []
    for row in read_csv(source / "postal_codes_2023" / "fsa_to_fed_2023.csv"):
        check(FSA_RE.fullmatch(row["fsa"]) is not None, f"fsa: bad FSA {row['fsa']!r}")
        check(row["fed_num"] in ridings, f"fsa: {row['fsa']} has unknown fed {row['fed_num']}")
        share = float(row["share"])
        check(0.0 < share <= 1.0, f"fsa: {row['fsa']} share {share}")
        check(row["rank"].isdigit() and row["n_postal_codes"].isdigit(), f"fsa: {row['fsa']}")
        out.append({column: row[column] for column in FSA_COLUMNS})
    out.sort(key=lambda r: (r["fsa"], int(r["rank"])))
    keys = [(r["fsa"], r["fed_num"]) for r in out]
    check(len(set(keys)) == len(keys), "fsa: duplicate (fsa, fed_num)")
    return out


def _lcc_constants() -> tuple[float, float, float, float]:
    """Eccentricity, cone constant n, a*F and the radius at the origin latitude for EPSG:3347."""
    e = float(np.sqrt(2 * GRS80_F - GRS80_F**2))

    def m(phi: float) -> float:
        """Ellipsoid m(phi) of the LCC formulas."""
        return float(np.cos(phi) / np.sqrt(1 - (e * np.sin(phi)) ** 2))

    def t(phi: float) -> float:
        """Ellipsoid t(phi) of the LCC formulas."""
        s = e * np.sin(phi)
        return float(np.tan(np.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (e / 2))

    phi1, phi2, phi0 = np.radians([LCC_LAT_1, LCC_LAT_2, LCC_LAT_0])
    n = (np.log(m(phi1)) - np.log(m(phi2))) / (np.log(t(phi1)) - np.log(t(phi2)))
    af = GRS80_A * m(phi1) / (n * t(phi1) ** n)
    return e, float(n), float(af), float(af * t(phi0) ** n)


LCC_E, LCC_N, LCC_AF, LCC_R0 = _lcc_constants()


def _lcc_radius(lat_deg: FloatArray) -> FloatArray:
    """Cone radius r(phi) for latitudes in degrees."""
    phi = np.radians(lat_deg)
    s = LCC_E * np.sin(phi)
    t = np.tan(np.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (LCC_E / 2)
    radius: FloatArray = LCC_AF * t**LCC_N
    return radius


def lambert(lon_deg: FloatArray, lat_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Project WGS84/NAD83 lon/lat (degrees) to EPSG:3347 easting/northing (metres)."""
    radius = _lcc_radius(lat_deg)
    theta = LCC_N * np.radians(lon_deg - LCC_LON_0)
    x: FloatArray = LCC_X_0 + radius * np.sin(theta)
    y: FloatArray = LCC_Y_0 + LCC_R0 - radius * np.cos(theta)
    return x, y


def lambert_scale(lat_deg: FloatArray) -> FloatArray:
    """Point scale factor of EPSG:3347 (projected metres per ground metre) at a latitude."""
    phi = np.radians(lat_deg)
    m = np.cos(phi) / np.sqrt(1 - (LCC_E * np.sin(phi)) ** 2)
    scale: FloatArray = LCC_N * _lcc_radius(lat_deg) / (GRS80_A * m)
    return scale


def _project_coords(coords: FloatArray) -> FloatArray:
    """shapely.transform callback: (n, 2) lon/lat to (n, 2) Lambert."""
    x, y = lambert(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def _polygon_parts(geometry: Any) -> list[Any]:
    """Polygons inside a geometry, descending into collections (lines and points dropped)."""
    kind = geometry.geom_type
    if kind == "Polygon":
        return [] if geometry.is_empty else [geometry]
    if kind in {"MultiPolygon", "GeometryCollection"}:
        return [part for sub in geometry.geoms for part in _polygon_parts(sub)]
    return []


def load_boundaries(source: Path, ridings: dict[str, Row]) -> tuple[list[str], Any]:
    """Riding polygons in Lambert metres, in fed_num order, with their fed_nums."""
    path = source / "boundaries_2023" / "fed_2023_hybrid.geojson.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        collection = json.load(handle)
    by_fed: dict[str, Any] = {}
    for feature in collection["features"]:
        fed = str(feature["properties"]["fed_num"])
        check(fed in ridings and fed not in by_fed, f"boundaries: bad or repeated fed {fed}")
        parts = _polygon_parts(shapely.from_geojson(json.dumps(feature["geometry"])))
        check(bool(parts), f"boundaries: {fed} has no polygon")
        by_fed[fed] = parts[0] if len(parts) == 1 else shapely.multipolygons(parts)
    check(set(by_fed) == set(ridings), "boundaries: fed_num set differs from ridings")
    feds = sorted(by_fed)
    geoms = shapely.transform(
        np.array([by_fed[fed] for fed in feds], dtype=object), _project_coords
    )
    return feds, geoms


def nearest_other_riding(
    lon: FloatArray,
    lat: FloatArray,
    own: npt.NDArray[np.int64],
    feds: list[str],
    geoms: Any,
    max_ground_m: float,
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Index (-1: none) and ground distance of the closest other riding within range."""
    # Only ridings of the point's own riding's province count. Projected distances are
    # divided by the Lambert scale factor at the point's latitude to get ground metres.
    x, y = lambert(lon, lat)
    scale = lambert_scale(lat)
    points = shapely.points(x, y)
    tree = shapely.STRtree(geoms)
    point_idx, geom_idx = tree.query(points, predicate="dwithin", distance=max_ground_m * scale)
    province = np.array([int(fed[:2]) for fed in feds], dtype=np.int64)
    keep = (geom_idx != own[point_idx]) & (province[geom_idx] == province[own[point_idx]])
    point_idx, geom_idx = point_idx[keep], geom_idx[keep]
    ground = shapely.distance(points[point_idx], geoms[geom_idx]) / scale[point_idx]
    # Closest first; ties go to the lower fed_num so the result is deterministic.
    order = np.lexsort((geom_idx, ground, point_idx))
    point_idx, geom_idx, ground = point_idx[order], geom_idx[order], ground[order]
    first = np.ones(point_idx.size, dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    best = np.full(lon.size, -1, dtype=np.int64)
    best_m = np.full(lon.size, np.inf, dtype=np.float64)
    best[point_idx[first]] = geom_idx[first]
    best_m[point_idx[first]] = ground[first]
    return best, best_m


def choose_distance(counts: dict[int, int], total: int) -> int:
    """The near-boundary distance: the preferred one unless it flags too large a share."""
    if counts[NEAR_PREFERRED] > NEAR_MAX_SHARE * total:
        return NEAR_FALLBACK
    return NEAR_PREFERRED


def build_postal(
    source: Path, ridings: dict[str, Row], boundaries: tuple[list[str], Any]
) -> tuple[bytes, dict[str, int]]:
    """The fixed-width postal-code table (uncompressed bytes) and summary counts."""
    path = source / "postal_codes_2023" / "postal_code_to_fed_2023.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        rows = [
            (
                r[col["postal_code"]],
                r[col["fed_num"]],
                r[col["method"]],
                r[col["suspect"]],
                r[col["lat"]],
                r[col["lon"]],
            )
            for r in reader
        ]
    check(len(rows) == N_POSTAL_CODES, f"postal: {len(rows)} rows, expected {N_POSTAL_CODES}")
    rows.sort(key=lambda r: r[0].encode("ascii"))
    codes = [r[0] for r in rows]
    check(len(set(codes)) == len(codes), "postal: duplicate postal codes")
    feds, geoms = boundaries
    fed_index = {fed: i for i, fed in enumerate(feds)}
    for code, fed, method, suspect, _, _ in rows:
        check(POSTAL_RE.fullmatch(code) is not None, f"postal: bad code {code!r}")
        check(fed in ridings, f"postal: {code} has unknown fed {fed}")
        check(suspect in {"0", "1"}, f"postal: {code} suspect {suspect!r}")
        check(
            method in NEAR_METHODS or method in {"province_fix", "fsa_majority"},
            f"postal: {code} method {method!r}",
        )
    eligible = np.array([r[2] in NEAR_METHODS and r[0][0] not in "XY" for r in rows], dtype=bool)
    sel = np.flatnonzero(eligible)
    lon = np.array([float(rows[i][5]) for i in sel], dtype=np.float64)
    lat = np.array([float(rows[i][4]) for i in sel], dtype=np.float64)
    own = np.array([fed_index[rows[i][1]] for i in sel], dtype=np.int64)
    best, best_m = nearest_other_riding(lon, lat, own, feds, geoms, float(max(NEAR_DISTANCES)))

    counts = {d: int(np.count_nonzero(best_m <= d)) for d in NEAR_DISTANCES}
    chosen = choose_distance(counts, len(rows))
    alt = [""] * len(rows)
    for i, b, metres in zip(sel.tolist(), best.tolist(), best_m.tolist(), strict=True):
        if metres <= chosen:
            alt[i] = feds[b]
    lines = [POSTAL_HEADER]
    summary = Counter[str]()
    for (code, fed, _, suspect, _, _), alt_fed in zip(rows, alt, strict=True):
        flags = (FLAG_SUSPECT if suspect == "1" else 0) | (FLAG_NEAR_BOUNDARY if alt_fed else 0)
        check(alt_fed == "" or (alt_fed != fed and alt_fed[:2] == fed[:2]), f"postal: {code} alt")
        line = f"{code},{fed},{alt_fed or '00000'},{flags}\n"
        check(len(line) == POSTAL_LINE, f"postal: {code} line is not {POSTAL_LINE} bytes")
        lines.append(line)
        summary["suspect"] += flags & FLAG_SUSPECT
        summary["near_boundary"] += (flags & FLAG_NEAR_BOUNDARY) // FLAG_NEAR_BOUNDARY
    stats = {f"near_{d}m": n for d, n in counts.items()}
    stats.update(
        rows=len(rows),
        eligible=int(sel.size),
        chosen_m=chosen,
        suspect=summary["suspect"],
        near_boundary=summary["near_boundary"],
    )
    return "".join(lines).encode("ascii"), stats


def write_gzip(path: Path, data: bytes) -> None:
    """Gzip ``data`` to ``path`` with no file name or time stamp in the header."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    path.write_bytes(buffer.getvalue())


def timed(label: str, func: Callable[[], Any]) -> Any:
    """Run ``func`` and print how long it took."""
    start = time.perf_counter()
    result = func()
    print(f"  {label}: {time.perf_counter() - start:.1f} s")
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help=f"source bundle ({DEFAULT_SOURCE})"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder ({DEFAULT_OUT})"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build every data file and print a summary."""
    args = parse_args(argv)
    source: Path = args.source.resolve()
    out: Path = args.out.resolve()
    check(source.is_dir(), f"source folder {source} not found")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    ridings = build_ridings(source)
    by_fed = {r["fed_num"]: r for r in ridings}
    mps = build_mps(source, by_fed)
    offices = build_offices(source, by_fed, mps)
    fsa = build_fsa(source, by_fed)
    boundaries = timed("boundaries", lambda: load_boundaries(source, by_fed))
    postal, stats = timed("postal codes", lambda: build_postal(source, by_fed, boundaries))

    n_ridings = write_csv(out / "ridings.csv", RIDINGS_COLUMNS, ridings)
    n_mps = write_csv(out / "mps.csv", MPS_COLUMNS, mps)
    n_offices = write_csv(out / "offices.csv", OFFICES_COLUMNS, offices)
    n_fsa = write_csv(out / "fsa_ridings.csv", FSA_COLUMNS, fsa)
    write_gzip(out / "postal_codes.csv.gz", postal)

    sitting = [m for m in mps if m["seat_status"] == "occupied"]
    hill_phone = {o["fed_num"] for o in offices if o["office_type"] == "hill" and o["phone"]}
    no_hill = sorted(m["full_name"] for m in sitting if m["fed_num"] not in hill_phone)
    n_derived = sum(m["email_derived"] == "1" for m in mps)
    office_types = Counter(o["office_type"] for o in offices)
    n_languages = Counter(m["preferred_language"] for m in sitting if m["preferred_language"])
    total = stats["rows"]
    print(f"ridings.csv          {n_ridings} rows")
    n_vacant = n_mps - len(sitting)
    print(
        f"mps.csv              {n_mps} rows ({len(sitting)} occupied, {n_vacant} vacant,"
        f" {n_derived} derived emails)"
    )
    print(
        f"  preferred language from an official profile page: {sum(n_languages.values())}"
        f" of {len(sitting)} sitting MPs ({dict(sorted(n_languages.items()))}); the rest unknown"
    )
    print(
        f"offices.csv          {n_offices} rows ({office_types['hill']} hill,"
        f" {office_types['constituency']} constituency)"
    )
    print(f"  sitting MPs without a hill phone: {len(no_hill)} ({', '.join(no_hill)})")
    print(f"fsa_ridings.csv      {n_fsa} rows, {len({r['fsa'] for r in fsa})} FSAs")
    print(
        f"postal_codes.csv.gz  {total} rows, {stats['suspect']} suspect,"
        f" {stats['eligible']} checked for nearby ridings"
    )
    for d in NEAR_DISTANCES:
        n = stats[f"near_{d}m"]
        print(f"  another riding within {d:>3} m: {n} codes ({100 * n / total:.2f}%)")
    print(f"  chosen distance {stats['chosen_m']} m: {stats['near_boundary']} codes flagged")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as error:
        print(f"build_data: check failed: {error}", file=sys.stderr)
        sys.exit(1)
