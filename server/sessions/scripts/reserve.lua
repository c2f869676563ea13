-- reserve.lua: fetch an account and reserve one login attempt, atomically.
-- lib.lua is prepended. Every key is in the slot of {u:<user>}.
--
-- KEYS[1]  <prefix>:{u:<user>}:user               HASH the account
-- KEYS[2]  <prefix>:{u:<user>}:devices            ZSET known device ids, scored by last login
-- KEYS[3]  <prefix>:{u:<user>}:rl:u               HASH the unknown devices' bucket {n, reset}
-- KEYS[4]  <prefix>:{u:<user>}:rl:d:<device_id>   HASH this device's bucket {n, reset}
-- ARGV[1]  now, Unix seconds from the caller's clock
-- ARGV[2]  window, seconds
-- ARGV[3]  limit of the unknown devices' bucket     ARGV[4]  limit of a known device's
-- ARGV[5]  TTL of a new window, milliseconds (window plus margin; GC backstop only)
-- ARGV[6]  device_id        ARGV[7]  how long a device stays known, seconds
-- ARGV[8]  user             ARGV[9]  device_name      ARGV[10] ip
-- KEYS[#KEYS] the audit stream   ARGV[#ARGV] its MAXLEN (lib.lua, audit)
--
-- A device in KEYS[2] seen within ARGV[7] is known: its own bucket holds the attempt;
-- any other device's attempt goes to the account's bucket. A full bucket refuses
-- and holds nothing, and is audited (login_limited, reason "device" or "account").
-- Windows are judged by the caller's clock, not by key TTLs.
-- Returns {taken (1|0), seconds to wait when refused, known (1|0), account fields
-- as HGETALL flat pairs...}.

local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local seen = redis.call('ZSCORE', KEYS[2], ARGV[6])
local known = seen and tonumber(seen) + tonumber(ARGV[7]) > now
local bucket, limit = KEYS[3], tonumber(ARGV[3])
if known then bucket, limit = KEYS[4], tonumber(ARGV[4]) end

local out
local n, reset = 0, now + window
local held = redis.call('HMGET', bucket, 'n', 'reset')
if held[2] and tonumber(held[2]) > now then n, reset = tonumber(held[1]), tonumber(held[2]) end
if n >= limit then
  out = {0, tostring(reset - now), known and 1 or 0}
  audit(ARGV[1], 'login_limited', 'user', ARGV[8], 'device', ARGV[9], 'ip', ARGV[10],
    'reason', known and 'device' or 'account', 'retry_after', tostring(reset - now))
else
  if n == 0 then
    redis.call('HSET', bucket, 'n', 1, 'reset', tostring(reset))
    redis.call('PEXPIRE', bucket, ARGV[5])
  else
    redis.call('HINCRBY', bucket, 'n', 1)
  end
  out = {1, '0', known and 1 or 0}
end
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do table.insert(out, v) end
return out
