"""Per-token throttling that counts what a request costs, not only that it came.

Most requests cost 1; a view may say otherwise with `throttle_cost(request)` (a list of
1,000 demand events costs 1,000). The budget is `API_THROTTLE_RATE` (e.g. `100000/hour`)
over a sliding window. A request past it is refused whole (it uses no budget) with 429,
`Retry-After` (when enough of the window has passed for it to fit) and a problem
document naming the limit.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rest_framework import exceptions, throttling
from rest_framework.request import Request
from rest_framework.views import APIView

from production.redis_clients import shared_redis

log = logging.getLogger(__name__)

# The weighted sliding-window log in one round trip. KEYS[1] is a sorted set of the
# admitted requests (score: time, member: "time:id|cost"), KEYS[2] the budget they use.
# Requests older than the window are dropped and their cost given back; this one is
# admitted (nil) if its cost fits, else the answer is the time of the oldest request
# whose expiry makes room for it (for Retry-After). A refused request uses no budget.
SLIDING_WINDOW = """
local now, window, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function cost_of(member) return tonumber(string.match(member, '|(%d+)$')) or 1 end
local cutoff = now - window
local stored = redis.call('GET', KEYS[2])
local used = 0
if stored then
  used = tonumber(stored)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff)
  for _, member in ipairs(expired) do used = used - cost_of(member) end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
else
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do used = used + cost_of(member) end
end
if used < 0 or redis.call('ZCARD', KEYS[1]) == 0 then used = 0 end
if used + cost <= limit then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('SET', KEYS[2], used + cost, 'EX', ARGV[6])
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  return nil
end
redis.call('SET', KEYS[2], used, 'EX', ARGV[6])
local need, freed, start = used + cost - limit, 0, 0
while true do
  local page = redis.call('ZRANGE', KEYS[1], start, start + 99, 'WITHSCORES')
  if #page == 0 then return ARGV[1] end
  for i = 1, #page, 2 do
    freed = freed + cost_of(page[i])
    if freed >= need then return page[i + 1] end
  end
  start = start + 100
end
"""


@cache
def _sliding_window(client: Any) -> Any:
    return client.register_script(SLIDING_WINDOW)


class BudgetExceeded(exceptions.Throttled):
    """429: the token's budget has no room for this request; names the limit."""

    default_code = "throttled"

    def __init__(self, *, wait: float, limit: int, window_seconds: int, cost: int) -> None:
        seconds = max(1, math.ceil(wait))
        detail = _(
            "Past the limit of %(limit)d per %(window)d seconds for this token (each event "
            "of a list counts); this request costs %(cost)d. Try again in %(wait)d seconds."
        ) % {"limit": limit, "window": window_seconds, "cost": cost, "wait": seconds}
        super().__init__(wait=seconds, detail=detail)
        self.problem_extra = {"limit": limit, "window_seconds": window_seconds, "cost": cost}


def request_cost(request: Request, view: APIView, limit: int) -> int:
    """What the request takes from the budget: the view's `throttle_cost`, else 1; never
    more than the whole budget (so a request that fits an empty window can always pass)."""
    cost_of = getattr(view, "throttle_cost", None)
    cost = int(cost_of(request)) if cost_of is not None else 1
    return max(1, min(cost, limit))


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Throttle per API token (each ERP client its own budget); per user for sessions.

    A sliding window kept in Redis when one is configured: one round trip per request
    (a script over a sorted set of request times and costs per token). Without Redis
    (embedded profile) the same window is kept in Django's cache.
    """

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request.auth
        token_key = getattr(token, "token_key", None)
        if token_key:
            ident = f"token:{token_key}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        limit, duration = self.parse_rate(self.rate)
        if key is None or limit is None or duration is None:
            return True
        cost = request_cost(request, view, limit)
        now = time.time()
        client = shared_redis()
        if client is None:
            oldest = self._admit_in_cache(key, now, duration, limit, cost)
        else:
            member = f"{now:.6f}:{uuid.uuid4().hex[:8]}|{cost}"
            try:
                oldest = _sliding_window(client)(
                    keys=[key, f"{key}:used"],
                    args=[f"{now:.6f}", duration, limit, cost, member, int(duration) + 1],
                )
            except RedisError as exc:
                # Redis down: let the request through rather than refuse an ERP's demand,
                # which needs only the database. Throttling resumes when Redis is back.
                log.warning("throttle not applied, Redis unavailable (%s)", exc)
                return True
        if oldest is None:
            return True
        wait = max(0.0, duration - (now - float(oldest)))
        raise BudgetExceeded(wait=wait, limit=limit, window_seconds=int(duration), cost=cost)

    def _admit_in_cache(
        self, key: str, now: float, duration: int, limit: int, cost: int
    ) -> float | None:
        """The same window in Django's cache: a list of (time, cost), newest first."""
        history = [
            (entry[0], entry[1]) if isinstance(entry, list | tuple) else (float(entry), 1)
            for entry in self.cache.get(key, [])
        ]
        history = [(at, spent) for at, spent in history if at > now - duration]
        used = sum(spent for _, spent in history)
        if used + cost <= limit:
            self.cache.set(key, [(now, cost), *history], duration)
            return None
        need, freed = used + cost - limit, 0
        for at, spent in reversed(history):
            freed += spent
            if freed >= need:
                return at
        return now
