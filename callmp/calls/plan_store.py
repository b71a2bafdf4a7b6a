"""Call plans shared by every process through Redis, when one is configured.

A call's webhooks reach whichever web process the load balancer picks, and each process
built the plan on the first webhook it saw for the call. An organiser's edit between two
webhooks of one call then gave the call two plans: targets or offices moved, so the step
and office numbers in a webhook's URL pointed at another target, or at none. Now the first
process to build a call's plan stores it in Redis (``SET NX``, expiring with the plan
cache); every other process takes that one. Plans hold the campaign's data only (targets,
labels, office numbers and hours), nothing about the supporter. When Redis does not answer
within a fraction of a second, the process builds and keeps its own plan, as before.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import redis

from callmp.calls.plan_cache import CACHE_TTL_S, FlowLeg, FlowPlan, FlowStop

log = logging.getLogger(__name__)

#: Seconds a webhook waits for Redis before building the plan itself.
TIMEOUT_S = 0.5
PREFIX = "callmp:plan:"


def dump(plan: FlowPlan) -> bytes:
    """A plan as JSON."""
    return json.dumps(dataclasses.asdict(plan), ensure_ascii=False).encode()


def load(data: bytes | str) -> FlowPlan:
    """A plan from ``dump``'s JSON."""
    raw = json.loads(data)
    stops = tuple(
        FlowStop(
            target_id=stop["target_id"],
            person_id=stop["person_id"],
            label=stop["label"],
            values=dict(stop["values"]),
            legs=tuple(FlowLeg(**leg) for leg in stop["legs"]),
            talking_points=stop["talking_points"],
        )
        for stop in raw["stops"]
    )
    return FlowPlan(stops=stops, caller_id=raw["caller_id"], intro=raw["intro"])


class RedisPlans:
    """Plans by call in Redis: the first one stored for a call is the one every process uses."""

    def __init__(self, url: str, ttl_s: float = CACHE_TTL_S, timeout_s: float = TIMEOUT_S) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._ttl_s = max(1, int(ttl_s))

    def get(self, key: str) -> FlowPlan | None:
        """The plan stored for call ``key``; None when there is none or Redis fails."""
        try:
            data = self._client.get(PREFIX + key)
        except redis.RedisError as error:
            log.warning(
                "Shared call plans unavailable (%s): building locally", type(error).__name__
            )
            return None
        return load(data) if data is not None else None

    def keep_first(self, key: str, plan: FlowPlan) -> FlowPlan:
        """Store ``plan`` for call ``key`` unless another process stored one first; the
        plan to use (``plan`` itself when Redis fails)."""
        try:
            if self._client.set(PREFIX + key, dump(plan), nx=True, ex=self._ttl_s):
                return plan
            data = self._client.get(PREFIX + key)
        except redis.RedisError as error:
            log.warning(
                "Shared call plans unavailable (%s): building locally", type(error).__name__
            )
            return plan
        return load(data) if data is not None else plan

    def close(self) -> None:
        """Release the connections."""
        self._client.close()
        self._client.connection_pool.disconnect()
