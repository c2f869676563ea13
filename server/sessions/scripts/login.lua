-- login.lua: decide a login by the rules of server/sessions/policy.py and apply it,
-- as one atomic step. lib.lua is prepended.
--
-- KEYS[1]  <prefix>:{u:<user>}:index
-- KEYS[2]  the attempt bucket holding this login's reservation (see reserve.lua)
-- KEYS[3]  <prefix>:{u:<user>}:devices  ZSET of known device ids scored by last login
-- KEYS[4]  <prefix>:{u:<user>}:contest  HASH, the ping-pong guard: until, strikes
-- KEYS[5]  <prefix>:{u:<user>}:contest:log  ZSET, the guard's window: admitted
--          displacing logins (member jti, score time)
-- ARGV[1]  the user's key prefix "<prefix>:{u:<user>}:" (same hash slot as KEYS[1])
-- ARGV[2]  event channel
-- ARGV[3]  user
-- ARGV[4]  now, Unix seconds from the caller's clock
-- ARGV[5]  new jti          ARGV[6]  device_id      ARGV[7]  device_name
-- ARGV[8]  ip               ARGV[9]  created_at     ARGV[10] expires_at
-- ARGV[11] the new session's idle deadline: min(now + idle_ttl, expires_at)
-- ARGV[12] policy: "displace" | "reject" | "confirm" | "ask" (as confirm: the service
--          sets takeover once the asked PC allowed, server/core/asking.py)
-- ARGV[13] max_sessions     ARGV[14] takeover: "1" | "0"
-- ARGV[15] by: JSON {device_name, ip, at} naming the new device, for tombstones/events
-- ARGV[16] TTL margin, milliseconds
-- ARGV[17] reset_at: sessions created before it end as "server_reset" (0: none)
-- ARGV[18] settle: "1" to give back the reservation in KEYS[2] and remember the
--          device in KEYS[3], "0" for a login without one
-- ARGV[19] how long a device stays known, milliseconds
-- ARGV[20] how many devices an account remembers
-- ARGV[21] presence grace, seconds, or "": under reject / confirm, another session
--          whose PC was last seen (its "seen" field, else created_at) longer ago
--          than this is absent, and may be evicted to make room (policy.decide)
-- ARGV[22] the guard's limit, "0" for no guard   ARGV[23] its window, seconds
-- ARGV[24] first cool-down, seconds   ARGV[25] longest cool-down, seconds
-- ARGV[26] how long after a cool-down a new contest counts as a repeat, seconds
-- ARGV[27] the new session's device class
-- ARGV[28] "1": each class has its own limit (ARGV[13] is this class's), so only
--          sessions of the same class count and may be evicted; "0": one limit for
--          all classes together (server/sessions/limits.py)
-- KEYS[#KEYS] the audit stream   ARGV[#ARGV] its MAXLEN (lib.lua, audit)
--
-- Steps: settle the reservation (the password was right, whatever the policy says);
-- prune what passed its deadline; end pre-reset sessions; split the live sessions
-- into the same device's (any class) and the others of the new login's pool (ARGV[28]);
-- evict the oldest others (by created_at, then jti) beyond max_sessions - or, under
-- reject / confirm without takeover, refuse and change no session; when another
-- device's session would be evicted, judge the login by the ping-pong guard
-- (server/sessions/contest.py judge, one per account, whatever the class), which may
-- refuse it (changing no session; publish a "contested" event when the refusal makes
-- the account contested); admit the new session; tombstone every evicted one
-- ("displaced", by) and publish its event; when other live sessions remain, publish
-- that the account's list changed (reason null). Every outcome is audited in the
-- same step: login_admitted, login_refused (reason session_active or contested),
-- contested (when the refusal began a cool-down), and an ending per evicted session.
--
-- Returns {admitted (1|0), #ended, #conflicts, wait, began (1|0), displacements,
-- records...}: wait is "" unless the guard refused the login (then the seconds to
-- wait, "%.17g"), began and displacements say whether that refusal made the account
-- contested and after how many displacing logins in the window; then the ended
-- sessions and the conflicts, 7 strings each: jti, device_id, device_name, ip,
-- created_at, expires_at, device_class.

local index, bucket, devices, contest, contest_log = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local P, channel, user = ARGV[1], ARGV[2], ARGV[3]
local now_s, now, jti, device_id = ARGV[4], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local deadline, policy, max_sessions = ARGV[11], ARGV[12], tonumber(ARGV[13])
local takeover, by, margin = ARGV[14] == '1', ARGV[15], tonumber(ARGV[16])
local reset_at = tonumber(ARGV[17])
local limit = tonumber(ARGV[22])
local class, by_class = ARGV[27], ARGV[28] == '1'

local function seconds(x) return string.format('%.17g', x) end

-- The audit entry of this login (its jti only once admitted).
local function audit_login(event, reason, admitted, ...)
  audit(now_s, event, 'user', user, 'jti', admitted and jti or '', 'device', ARGV[7],
    'ip', ARGV[8], 'class', class, 'reason', reason, ...)
end

-- The ping-pong guard: contest.judge for a displacing login. Returns nil to admit,
-- else the reply refusing it.
local function judge_contest()
  local window, memory = tonumber(ARGV[23]), tonumber(ARGV[26])
  local until_at = tonumber(redis.call('HGET', contest, 'until') or '0')
  if now < until_at then
    audit_login('login_refused', 'contested', false, 'retry_after', seconds(until_at - now))
    return {0, 0, 0, seconds(until_at - now), 0, 0}
  end
  redis.call('ZREMRANGEBYSCORE', contest_log, '-inf', seconds(now - window))
  local hits = #redis.call('ZRANGE', contest_log, 0, limit - 1)
  if hits < limit then
    redis.call('ZADD', contest_log, now_s, jti)
    redis.call('PEXPIRE', contest_log, ttl_ms(now + window, now, margin))
    return nil
  end
  local strikes = 1
  if until_at + memory > now then
    strikes = tonumber(redis.call('HGET', contest, 'strikes') or '0') + 1
  end
  local doubled = tonumber(ARGV[24]) * 2 ^ math.min(strikes - 1, 40)
  local cooldown = math.min(doubled, tonumber(ARGV[25]))
  redis.call('HSET', contest, 'until', seconds(now + cooldown), 'strikes', strikes)
  redis.call('PEXPIRE', contest, ttl_ms(now + cooldown + memory, now, margin))
  publish(channel, '{"type":"contested","user":' .. cjson.encode(user)
    .. ',"jti":"","reason":null,"by":null,"retry_after":'
    .. string.format('%d', math.max(1, math.ceil(cooldown))) .. '}')
  audit_login('login_refused', 'contested', false, 'retry_after', seconds(cooldown))
  audit_login('contested', '', false, 'retry_after', seconds(cooldown),
    'displacements', tostring(hits + 1))
  return {0, 0, 0, seconds(cooldown), 1, hits + 1}
end

if ARGV[18] == '1' then
  local reset = redis.call('HGET', bucket, 'reset')
  if reset and tonumber(reset) > now and tonumber(redis.call('HGET', bucket, 'n')) > 0 then
    redis.call('HINCRBY', bucket, 'n', -1)
  end
  redis.call('ZADD', devices, now_s, device_id)
  redis.call('ZREMRANGEBYRANK', devices, 0, -(tonumber(ARGV[20]) + 1))
  redis.call('PEXPIRE', devices, ARGV[19])
end

prune(index, P, now_s, margin)

local same, others, elsewhere = {}, {}, 0  -- elsewhere: other classes' live sessions
for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  local held = string.sub(member, 3)
  -- A retried login finds its own jti admitted already: that is not a conflict.
  if string.sub(member, 1, 2) == 's:' and held ~= jti then
    local f = live(index, P, held, now, margin)
    if f and from_before_reset(f, reset_at) then
      finish(index, P, channel, user, held, f, 'server_reset', 'null', now, margin)
    elseif f then
      local s = {jti = held, f = f, created = tonumber(f[4])}
      if f[1] == device_id then
        table.insert(same, s)
      elseif by_class and f[6] ~= class then
        elsewhere = elsewhere + 1
      else
        table.insert(others, s)
      end
    end
  end
end
table.sort(others, function(a, b)
  if a.created ~= b.created then return a.created < b.created end
  return bytes_lt(a.jti, b.jti)
end)

local n_same = #same
local evict = same
local excess = #others + 1 - max_sessions
if excess > 0 then
  if policy == 'reject' or ((policy == 'confirm' or policy == 'ask') and not takeover) then
    local gone = {}
    if ARGV[21] ~= '' then
      local since = now - tonumber(ARGV[21])
      for _, s in ipairs(others) do
        local seen = redis.call('HGET', P .. 's:' .. s.jti, 'seen') or s.f[4]
        if tonumber(seen) < since then table.insert(gone, s) end
      end
    end
    if excess > #gone then
      audit_login('login_refused', 'session_active', false)
      local out = {0, 0, #others, '', 0, 0}
      for _, s in ipairs(others) do push_record(out, s.jti, s.f) end
      return out
    end
    for i = 1, excess do table.insert(evict, gone[i]) end
  else
    for i = 1, excess do table.insert(evict, others[i]) end
  end
end

if limit > 0 and #evict > n_same then
  local refused = judge_contest()
  if refused then return refused end
end

local key = P .. 's:' .. jti
redis.call('HSET', key, 'device_id', device_id, 'device_name', ARGV[7], 'ip', ARGV[8],
  'created_at', ARGV[9], 'expires_at', ARGV[10], 'device_class', class)
redis.call('PEXPIRE', key, ttl_ms(tonumber(ARGV[10]), now, margin))
redis.call('ZADD', index, deadline, 's:' .. jti)
audit_login('login_admitted', '', true)

local out = {1, #evict, 0, '', 0, 0}
for _, s in ipairs(evict) do
  finish(index, P, channel, user, s.jti, s.f, 'displaced', by, now, margin)
  push_record(out, s.jti, s.f)
end
if #others - math.max(excess, 0) + elsewhere > 0 then
  publish(channel, '{"user":' .. cjson.encode(user) .. ',"jti":'
    .. cjson.encode(jti) .. ',"reason":null,"by":null}')
end
expire_index(index, now, margin, tonumber(ARGV[10]))
return out
