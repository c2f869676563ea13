-- end.lua: end one live session, or all of a user's, atomically. lib.lua is prepended.
--
-- KEYS[1]  <prefix>:{u:<user>}:index
-- ARGV[1]  the user's key prefix "<prefix>:{u:<user>}:" (same hash slot as KEYS[1])
-- ARGV[2]  event channel
-- ARGV[3]  user
-- ARGV[4]  now, Unix seconds from the caller's clock
-- ARGV[5]  reason (an EndReason value)
-- ARGV[6]  by: JSON {device_name, ip, at} or "null"
-- ARGV[7]  TTL margin, milliseconds
-- ARGV[8]  the jti to end; absent to end every live session of the user
--
-- Each ended session is tombstoned until its expires_at and its event
-- PUBLISHed. Sessions that are unknown, already ended or expired are skipped
-- silently (nothing is published for them).
-- Returns 7 strings per ended session: jti, device_id, device_name, ip, created_at,
-- expires_at, device_class.

local index, P, channel, user = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local now, reason, by, margin = tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7])

local jtis = {ARGV[8]}
if not ARGV[8] then
  jtis = {}
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if string.sub(member, 1, 2) == 's:' then table.insert(jtis, string.sub(member, 3)) end
  end
end

local out = {}
for _, jti in ipairs(jtis) do
  local f = live(index, P, jti, now, margin)
  if f then
    finish(index, P, channel, user, jti, f, reason, by, now, margin)
    push_record(out, jti, f)
  end
end
if #out > 0 then expire_index(index, now, margin) end
return out
