-- ask.lua: the takeover request of one account (policy "ask", server/sessions/takeovers.py),
-- one operation per call, each atomic; the first decision wins. lib.lua is prepended.
--
-- KEYS[1]  <prefix>:{u:<user>}:ask  HASH: id, device_id, by (JSON), targets (JSON array of
--          JTIs), deadline, state, shown ("1" once an asked socket was given it), and
--          forget (deadline + keep: by the caller's clock, from then on it is gone)
-- ARGV[1]  operation: "open" | "shown" | "answer" | "close"
-- ARGV[2]  event channel   ARGV[3]  user   ARGV[4]  now, Unix seconds from the caller's clock
-- open:    ARGV[5] id  ARGV[6] device_id  ARGV[7] by  ARGV[8] targets  ARGV[9] deadline
--          ARGV[10] seconds the record is kept after its deadline
--          ARGV[11] requests an account may open per window   ARGV[12] that window, s
--          → {"opened"}, or {"busy", id, device_id, by, targets, deadline}: another
--          device's request is pending, nothing changed; or {"denied"}: the account's
--          last request was denied and is still kept: it is not asked again so soon;
--          or {"limited", seconds}: the account opened ARGV[11] requests in this
--          window (fields asks, asks_since; they outlive the request fields)
-- shown:   ARGV[5] id  → 1 when that request is pending (now marked shown), else 0
-- answer:  ARGV[5] id  ARGV[6] the answering session's jti  ARGV[7] "1" allow | "0" deny
--          → {"answered" | "closed" | "not_found" | "not_asked", state}
-- close:   ARGV[5] id  ARGV[6] state  ARGV[7] "1": leave a request already shown pending
--          → the request's state after the call
--
-- KEYS[#KEYS] the audit stream   ARGV[#ARGV] its MAXLEN (lib.lua, audit)
--
-- Every state change is audited ("takeover", reason: the new state, by: the waiting PC)
-- and PUBLISHes {"type": "takeover", "user", "id", "state", "targets",
-- "by" (the waiting PC while pending, else null), "timeout" (whole seconds to answer,
-- while pending), "jti": "", "reason": null} on the channel (redis_codec.event).

local key, op, channel, user = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])

local function announce(state)
  local f = redis.call('HMGET', key, 'id', 'targets', 'by', 'deadline')
  audit(ARGV[4], 'takeover', 'user', user, 'reason', state, 'request', f[1], 'by', f[3])
  local by, timeout = 'null', 0
  if state == 'pending' then
    by = f[3]
    timeout = math.max(1, math.ceil(tonumber(f[4]) - now))
  end
  publish(channel, '{"type":"takeover","user":' .. cjson.encode(user)
    .. ',"jti":"","reason":null,"id":' .. cjson.encode(f[1]) .. ',"state":"' .. state
    .. '","targets":' .. f[2] .. ',"by":' .. by .. ',"timeout":' .. string.format('%d', timeout)
    .. '}')
end

local function set_state(state)
  redis.call('HSET', key, 'state', state)
  announce(state)
  return state
end

local cur = redis.call('HMGET', key, 'id', 'state', 'deadline', 'device_id', 'shown', 'forget')
local REQUEST = {'id', 'device_id', 'by', 'targets', 'deadline', 'state', 'shown', 'forget'}
if cur[1] and tonumber(cur[6]) <= now then
  -- Past its keep by the caller's clock (the TTL only collects it); the count stays.
  redis.call('HDEL', key, unpack(REQUEST))
  cur = {}
end
local pending = cur[2] == 'pending'

if op == 'open' then
  -- A login refused without asking: audited like the other refusals (by: the waiting PC).
  local function refused(event, reason)
    audit(ARGV[4], event, 'user', user, 'reason', reason, 'by', ARGV[7])
  end
  if cur[2] == 'denied' then
    refused('login_refused', 'takeover_denied')
    return {'denied'}
  end
  if pending and tonumber(cur[3]) > now then
    if cur[4] ~= ARGV[6] then
      local f = redis.call('HMGET', key, 'id', 'device_id', 'by', 'targets', 'deadline')
      refused('login_refused', 'takeover_pending')
      return {'busy', f[1], f[2], f[3], f[4], f[5]}
    end
  end
  local limit, window = tonumber(ARGV[11]), tonumber(ARGV[12])
  local since = tonumber(redis.call('HGET', key, 'asks_since') or '0')
  local asks = tonumber(redis.call('HGET', key, 'asks') or '0')
  if since + window <= now then since, asks = now, 0 end
  if asks >= limit then
    refused('login_limited', 'takeovers')
    return {'limited', string.format('%.17g', since + window - now)}
  end
  if pending and tonumber(cur[3]) > now then set_state('superseded') end
  redis.call('HSET', key, 'asks', asks + 1, 'asks_since', string.format('%.17g', since))
  redis.call('HSET', key, 'id', ARGV[5], 'device_id', ARGV[6], 'by', ARGV[7],
    'targets', ARGV[8], 'deadline', ARGV[9], 'state', 'pending', 'shown', '0')
  local forget = tonumber(ARGV[9]) + tonumber(ARGV[10])
  redis.call('HSET', key, 'forget', string.format('%.17g', forget))
  local last = math.max(forget, since + window)
  redis.call('PEXPIRE', key, math.max(1, math.ceil((last - now) * 1000)))
  announce('pending')
  return {'opened'}
end

if cur[1] ~= ARGV[5] then
  if op == 'shown' then return 0 end
  if op == 'answer' then return {'not_found', ''} end
  return 'timed_out'
end

if op == 'shown' then
  if not pending then return 0 end
  redis.call('HSET', key, 'shown', '1')
  return 1
end

if op == 'answer' then
  local asked = false
  for _, jti in ipairs(cjson.decode(redis.call('HGET', key, 'targets'))) do
    if jti == ARGV[6] then asked = true end
  end
  if not asked then return {'not_asked', ''} end
  if not pending then return {'closed', cur[2]} end
  if tonumber(cur[3]) <= now then return {'closed', set_state('timed_out')} end
  if ARGV[7] == '1' then return {'answered', set_state('allowed')} end
  return {'answered', set_state('denied')}
end

-- close
if not pending then return cur[2] end
if ARGV[7] == '1' and cur[5] == '1' then return 'pending' end
return set_state(ARGV[6])
