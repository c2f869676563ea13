-- epoch.lua: the store's write counter, by which a process notices that the store
-- went back in time (restored from an older snapshot, flushed). Standalone.
--
-- KEYS[1]  <prefix>:{epoch}  HASH {era, n, reset_at}
-- ARGV[1]  "bump" | "read" | "reset"
-- ARGV[2]  reset: now, Unix seconds from the caller's clock
-- ARGV[3]  the era the caller had seen when it sent this call   ARGV[4]  the n it had seen
--
-- bump: one more write (n + 1). read: nothing changes. reset: if the store is still
-- behind what the caller saw, start a new era (max(era, seen era) + 1, n = 0) and set
-- reset_at = now; a store that already moved on (another process reset it) is left
-- alone. No TTL: the key must outlive everything it protects.
-- Returns {era, n, reset_at, behind} (as strings) after the step; behind is "1" when
-- the store is still behind what the caller had seen when it sent the call. It is
-- judged here, not by the caller, because replies to concurrent calls may reach
-- the caller in any order: a read that Redis ran before a bump can be answered
-- after it, and only a comparison with what the caller knew when it asked is fair.

local key = KEYS[1]
local seen_era, seen_n = tonumber(ARGV[3]), tonumber(ARGV[4])
if ARGV[1] == 'bump' then
  redis.call('HINCRBY', key, 'n', 1)
elseif ARGV[1] == 'reset' then
  local era = tonumber(redis.call('HGET', key, 'era') or '0')
  local n = tonumber(redis.call('HGET', key, 'n') or '0')
  if era < seen_era or (era == seen_era and n < seen_n) then
    redis.call('HSET', key, 'era', math.max(era, seen_era) + 1, 'n', 0, 'reset_at', ARGV[2])
  end
end
local v = redis.call('HMGET', key, 'era', 'n', 'reset_at')
local era, n = tonumber(v[1] or '0'), tonumber(v[2] or '0')
local behind = era < seen_era or (era == seen_era and n < seen_n)
return {v[1] or '0', v[2] or '0', v[3] or '0', behind and '1' or '0'}
