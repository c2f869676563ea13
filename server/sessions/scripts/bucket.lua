-- bucket.lua: take one from, or give one back to, a fixed-window attempt bucket; or
-- only note the fate of an attempt it holds. lib.lua is prepended.
--
-- KEYS[1]  the bucket: HASH {n = count, reset = when the window ends}
-- ARGV[1]  "take" | "give" | "note"
-- ARGV[2]  now, Unix seconds from the caller's clock
-- ARGV[3]  take: window, seconds          ARGV[4]  take: limit
-- ARGV[5]  take: TTL of a new window, milliseconds (GC backstop only)
-- ARGV[3..#ARGV-1]  give, note: an audit entry to write in the same step: event, then
--          name/value pairs (none: nothing is audited)
-- KEYS[#KEYS] the audit stream   ARGV[#ARGV] its MAXLEN (lib.lua, audit)
--
-- take: reserve one unless the window is full. Returns {1, "0"} when taken, or
-- {0, seconds to wait} (nothing held). give: undo one take of the current window;
-- returns {1, "0"}. note: change nothing (a wrong password keeps its reservation as
-- the failure); returns {1, "0"}.

local now = tonumber(ARGV[2])
if ARGV[1] ~= 'take' and #ARGV > 3 then audit(ARGV[2], unpack(ARGV, 3, #ARGV - 1)) end
if ARGV[1] == 'note' then return {1, '0'} end
local held = redis.call('HMGET', KEYS[1], 'n', 'reset')
local current = held[2] and tonumber(held[2]) > now
if ARGV[1] == 'give' then
  if current and tonumber(held[1]) > 0 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
  return {1, '0'}
end
if not current then
  redis.call('HSET', KEYS[1], 'n', 1, 'reset', tostring(now + tonumber(ARGV[3])))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1, '0'}
end
if tonumber(held[1]) >= tonumber(ARGV[4]) then return {0, tostring(tonumber(held[2]) - now)} end
redis.call('HINCRBY', KEYS[1], 'n', 1)
return {1, '0'}
