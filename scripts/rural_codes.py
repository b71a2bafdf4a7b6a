"""Count how the lookup answers rural postal codes (second character 0), before and now.

Usage: .venv/bin/python scripts/rural_codes.py [--data-dir DIR] [--min-share 0.01] [--json]

Reads the shipped postal tables from the app's data folder (``CALLMP_DATA_DIR``, by default
the repository's ``data/``); nothing is fetched. A rural code is one spot in a wide delivery
area, so when its FSA reaches other ridings the lookup answers ``rural_area`` and asks the
supporter to choose. Before that, such a code found in the table was answered ``exact``
(certain), or ``near_boundary`` when flagged so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from callmp.config import load_config  # noqa: E402
from callmp.directory import lookup  # noqa: E402
from callmp.directory.postal_index import PostalIndex, get_index  # noqa: E402


def _spaced(compact: str) -> str:
    """``K0A1B0`` as ``K0A 1B0``."""
    return f"{compact[:3]} {compact[3:]}"


def _before(index: PostalIndex, compact: str, now: lookup.Match) -> lookup.Match:
    """The match the lookup gave before rural codes had their own kind."""
    entry = index.code(compact)
    if now != lookup.Match.rural_area or entry is None:
        return now
    return lookup.Match.near_boundary if entry.near_boundary else lookup.Match.exact


def count(
    index: PostalIndex, *, min_share: float, majority: float, issue_share: float = 0.9
) -> dict[str, Any]:
    """The rural codes' matches before and now, and how many candidates the uncertain get.

    ``issue_share``: also count codes whose own riding holds less than this share of their
    FSA (how the issue's figure of 6,517 was reached).
    """
    before: Counter[str] = Counter()
    now: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    candidates: Counter[int] = Counter()
    multi_riding_fsa = own_below = 0
    codes = index.rural_codes()
    for compact in codes:
        match, ranked = lookup.resolve(
            index, _spaced(compact), majority=majority, min_share=min_share
        )
        old = _before(index, compact, match)
        before[str(old)] += 1
        now[str(match)] += 1
        if old != match:
            changed[f"{old} -> {match}"] += 1
        if match == lookup.Match.rural_area:
            candidates[len(ranked)] += 1
        shares = index.fsa(compact[:3])
        multi_riding_fsa += len(shares) > 1
        entry = index.code(compact)
        own = next((s.share for s in shares if entry and s.fed_num == entry.fed_num), 0.0)
        own_below += bool(shares) and own < issue_share
    certain = {str(lookup.Match.exact), str(lookup.Match.territory)}
    return {
        "rural_codes": len(codes),
        "min_share": min_share,
        "before": dict(sorted(before.items())),
        "now": dict(sorted(now.items())),
        "changed": dict(sorted(changed.items())),
        "certain_before": sum(n for kind, n in before.items() if kind in certain),
        "certain_now": sum(n for kind, n in now.items() if kind in certain),
        "certain_to_uncertain": sum(
            n for kind, n in changed.items() if kind.split(" -> ")[0] in certain
        ),
        "candidates": {str(k): v for k, v in sorted(candidates.items())},
        "in_multi_riding_fsa": multi_riding_fsa,
        "own_riding_share_below": {"share": issue_share, "codes": own_below},
    }


def report(found: dict[str, Any]) -> str:
    """The counts as lines to read."""
    lines = [
        f"rural codes in the table: {found['rural_codes']:,}",
        f"  in an FSA with more than one riding (any share): {found['in_multi_riding_fsa']:,}",
        f"  whose own riding has < {found['own_riding_share_below']['share']:.0%} of its FSA: "
        f"{found['own_riding_share_below']['codes']:,}",
        f"certain before (exact or territory): {found['certain_before']:,}",
        f"certain now: {found['certain_now']:,}",
        f"certain before, uncertain now: {found['certain_to_uncertain']:,}",
        "matches before: " + ", ".join(f"{k} {v:,}" for k, v in found["before"].items()),
        "matches now:    " + ", ".join(f"{k} {v:,}" for k, v in found["now"].items()),
        "changes: " + ", ".join(f"{k}: {v:,}" for k, v in found["changed"].items()),
        f"candidates per rural_area answer (ridings above {found['min_share']:.0%} share):",
    ]
    lines += [f"  {k:>2} ridings: {v:,}" for k, v in found["candidates"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the counts (as JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    config = load_config()
    parser.add_argument("--data-dir", type=Path, default=Path(config["DATA_DIR"]))
    parser.add_argument("--min-share", type=float, default=float(config["FSA_MIN_SHARE"]))
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    index = get_index(args.data_dir)
    found = count(index, min_share=args.min_share, majority=float(config["FSA_MAJORITY_SHARE"]))
    print(json.dumps(found, indent=2) if args.json else report(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
