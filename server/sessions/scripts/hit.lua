-- hit.lua: count one event in a fixed window that starts at the first hit.
-- Standalone (lib.lua is not prepended).
--
-- KEYS[1]  <prefix>:rl:{<key>}  HASH {n = count, reset = when the window ends}
-- ARGV[1]  now, Unix seconds from the caller's clock
-- ARGV[2]  the end of a window starting now: now + window
-- ARGV[3]  TTL of a new window, milliseconds (window plus margin; GC backstop only)
--
-- The window is judged by the caller's clock, not by the key's TTL.
-- Returns the count including this hit.

local reset = redis.call('HGET', KEYS[1], 'reset')
if reset and tonumber(reset) > tonumber(ARGV[1]) then
  return redis.call('HINCRBY', KEYS[1], 'n', 1)
end
redis.call('HSET', KEYS[1], 'n', 1, 'reset', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
