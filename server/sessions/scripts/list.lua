-- list.lua: one user's live sessions, after pruning whatever passed its deadline.
-- lib.lua is prepended. Also the unit of work of purge_expired.
--
-- KEYS[1]  <prefix>:{u:<user>}:index
-- ARGV[1]  the user's key prefix "<prefix>:{u:<user>}:" (same hash slot as KEYS[1])
-- ARGV[2]  now, Unix seconds from the caller's clock
-- ARGV[3]  TTL margin, milliseconds
--
-- Returns {#sessions pruned, records...}: 7 strings per live session: jti,
-- device_id, device_name, ip, created_at, expires_at, device_class (in index order).

local index, P, now_s, margin = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = tonumber(now_s)

local out = {prune(index, P, now_s, margin)}
for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  if string.sub(member, 1, 2) == 's:' then
    local jti = string.sub(member, 3)
    local f = live(index, P, jti, now, margin)
    if f then push_record(out, jti, f) end
  end
end
return out
