"""Moved to ``tests.support.smtp_peer``; this name stays for scripts/bench_email.py.

Remove it once the script imports ``tests.support.smtp_peer`` (outside this branch).
"""

from tests.support.smtp_peer import Received, SmtpPeer

__all__ = ["Received", "SmtpPeer"]
