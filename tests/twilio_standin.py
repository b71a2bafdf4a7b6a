"""Moved to ``tests.support.twilio_standin``; this name stays for scripts/bench_calls.py.

Remove it once the script imports ``tests.support.twilio_standin`` (outside this branch).
"""

from tests.support.twilio_standin import TwilioStandIn

__all__ = ["TwilioStandIn"]
