-- check.lua: the state of one session now, optionally extending a live one.
-- lib.lua is prepended.
--
-- KEYS[1]  <prefix>:{u:<user>}:index
-- ARGV[1]  the user's key prefix "<prefix>:{u:<user>}:" (same hash slot as KEYS[1])
-- ARGV[2]  jti
-- ARGV[3]  now, Unix seconds from the caller's clock
-- ARGV[4]  touch: the new idle deadline now + touch_ttl (capped here at expires_at),
--          or "" to leave the deadline alone
-- ARGV[5]  TTL margin, milliseconds
-- ARGV[6]  event channel    ARGV[7]  user
-- ARGV[8]  reset_at: a live session created before it ends as "server_reset" (0: none)
-- ARGV[9]  present: "1" when the session's PC holds a socket now (a live one's "seen"
--          becomes now; login.lua's presence rule reads it)
--
-- A session past its idle deadline becomes an "expired" tombstone on sight; a
-- tombstone past its end is deleted and reported as nil.
-- Returns {"s", device_id, device_name, ip, created_at, expires_at, device_class} for a live
-- session, {"t", reason, by} for a tombstone (by: JSON or "null"), or nil.

local index, P, jti = KEYS[1], ARGV[1], ARGV[2]
local now, touch, margin = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])

local f = live(index, P, jti, now, margin)
if f and from_before_reset(f, tonumber(ARGV[8])) then
  finish(index, P, ARGV[6], ARGV[7], jti, f, 'server_reset', 'null', now, margin)
  return {'t', 'server_reset', 'null'}
end
if f then
  if touch ~= '' then
    local deadline = touch
    if tonumber(f[5]) < tonumber(touch) then deadline = f[5] end
    redis.call('ZADD', index, deadline, 's:' .. jti)
  end
  if ARGV[9] == '1' then redis.call('HSET', P .. 's:' .. jti, 'seen', ARGV[3]) end
  return {'s', f[1], f[2], f[3], f[4], f[5], f[6]}
end

local member = 't:' .. jti
local ends = redis.call('ZSCORE', index, member)
if not ends then return false end
if tonumber(ends) > now then
  local t = redis.call('HMGET', P .. member, 'reason', 'by')
  if t[1] then return {'t', t[1], t[2]} end
end
redis.call('DEL', P .. member)
redis.call('ZREM', index, member)
return false
