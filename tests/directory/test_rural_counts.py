"""``scripts/rural_codes.py``: its counts agree with what the lookup answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from callmp.config import REPO_ROOT
from callmp.directory import lookup
from callmp.directory.lookup import Match
from callmp.directory.postal_index import PostalIndex


def test_the_rural_codes_script_counts_what_the_lookup_answers(index: PostalIndex) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "rural_codes.py"), "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    found = json.loads(done.stdout)
    rural = index.rural_codes()
    assert found["rural_codes"] == len(rural)
    uncertain = found["now"][str(Match.rural_area)]
    assert uncertain == sum(found["candidates"].values())
    assert found["certain_now"] + uncertain == len(rural)
    assert found["certain_before"] - found["certain_now"] == found["certain_to_uncertain"]
    assert all(int(n) >= 2 for n in found["candidates"])
    sample = rural[:: max(1, len(rural) // 200)]
    kinds = [lookup.resolve(index, f"{c[:3]} {c[3:]}")[0] for c in sample]
    assert kinds.count(Match.rural_area) > 0 and kinds.count(Match.exact) > 0
