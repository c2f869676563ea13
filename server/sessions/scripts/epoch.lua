-- epoch.lua: the store's write counter, by which a process notices that the store
-- went back in time (restored from an older snapshot, flushed). Standalone.
--
-- KEYS[1]  <prefix>:{epoch}  HASH {era, n, reset_at}
-- ARGV[1]  "bump" | "read" | "reset"
-- ARGV[2]  reset: now, Unix seconds from the caller's clock
-- ARGV[3]  reset: the era the caller has seen     ARGV[4]  reset: the n it has seen
--
-- bump: one more write (n + 1). read: nothing changes. reset: if the store is still
-- behind what the caller saw, start a new era (max(era, seen era) + 1, n = 0) and set
-- reset_at = now; a store that already moved on (another process reset it) is left
-- alone. No TTL: the key must outlive everything it protects.
-- Returns {era, n, reset_at} (as strings) after the step.

local key = KEYS[1]
if ARGV[1] == 'bump' then
  redis.call('HINCRBY', key, 'n', 1)
elseif ARGV[1] == 'reset' then
  local era = tonumber(redis.call('HGET', key, 'era') or '0')
  local n = tonumber(redis.call('HGET', key, 'n') or '0')
  local seen_era, seen_n = tonumber(ARGV[3]), tonumber(ARGV[4])
  if era < seen_era or (era == seen_era and n < seen_n) then
    redis.call('HSET', key, 'era', math.max(era, seen_era) + 1, 'n', 0, 'reset_at', ARGV[2])
  end
end
local v = redis.call('HMGET', key, 'era', 'n', 'reset_at')
return {v[1] or '0', v[2] or '0', v[3] or '0'}
