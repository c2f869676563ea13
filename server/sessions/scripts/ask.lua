-- ask.lua: the takeover request of one account (policy "ask", server/sessions/takeovers.py),
-- one operation per call, each atomic; the first decision wins. Not prepended with lib.lua.
--
-- KEYS[1]  <prefix>:{u:<user>}:ask  HASH: id, device_id, by (JSON), targets (JSON array of
--          JTIs), deadline, state, shown ("1" once an asked socket was given it), and
--          forget (deadline + keep: by the caller's clock, from then on it is gone)
-- ARGV[1]  operation: "open" | "shown" | "answer" | "close"
-- ARGV[2]  event channel   ARGV[3]  user   ARGV[4]  now, Unix seconds from the caller's clock
-- open:    ARGV[5] id  ARGV[6] device_id  ARGV[7] by  ARGV[8] targets  ARGV[9] deadline
--          ARGV[10] seconds the record is kept after its deadline
--          → {"opened"}, or {"busy", id, device_id, by, targets, deadline}: another
--          device's request is pending, nothing changed; or {"denied"}: this device's
--          last request was denied and is still kept: it is not asked again so soon
-- shown:   ARGV[5] id  → 1 when that request is pending (now marked shown), else 0
-- answer:  ARGV[5] id  ARGV[6] the answering session's jti  ARGV[7] "1" allow | "0" deny
--          → {"answered" | "closed" | "not_found" | "not_asked", state}
-- close:   ARGV[5] id  ARGV[6] state  ARGV[7] "1": leave a request already shown pending
--          → the request's state after the call
--
-- Every state change PUBLISHes {"type": "takeover", "user", "id", "state", "targets",
-- "by" (the waiting PC while pending, else null), "timeout" (whole seconds to answer,
-- while pending), "jti": "", "reason": null} on the channel (redis_codec.event).

local key, op, channel, user = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])

local function publish(state)
  local f = redis.call('HMGET', key, 'id', 'targets', 'by', 'deadline')
  local by, timeout = 'null', 0
  if state == 'pending' then
    by = f[3]
    timeout = math.max(1, math.ceil(tonumber(f[4]) - now))
  end
  -- The user's own channel on a cluster (a hash tag: SPUBLISH), as publish() in lib.lua.
  local command = string.find(channel, '{', 1, true) and 'SPUBLISH' or 'PUBLISH'
  redis.call(command, channel, '{"type":"takeover","user":' .. cjson.encode(user)
    .. ',"jti":"","reason":null,"id":' .. cjson.encode(f[1]) .. ',"state":"' .. state
    .. '","targets":' .. f[2] .. ',"by":' .. by .. ',"timeout":' .. string.format('%d', timeout)
    .. '}')
end

local function set_state(state)
  redis.call('HSET', key, 'state', state)
  publish(state)
  return state
end

local cur = redis.call('HMGET', key, 'id', 'state', 'deadline', 'device_id', 'shown', 'forget')
if cur[1] and tonumber(cur[6]) <= now then
  redis.call('DEL', key)  -- past its keep by the caller's clock (the TTL only collects it)
  cur = {}
end
local pending = cur[2] == 'pending'

if op == 'open' then
  if cur[2] == 'denied' and cur[4] == ARGV[6] then return {'denied'} end
  if pending and tonumber(cur[3]) > now then
    if cur[4] ~= ARGV[6] then
      local f = redis.call('HMGET', key, 'id', 'device_id', 'by', 'targets', 'deadline')
      return {'busy', f[1], f[2], f[3], f[4], f[5]}
    end
    set_state('superseded')
  end
  redis.call('DEL', key)
  redis.call('HSET', key, 'id', ARGV[5], 'device_id', ARGV[6], 'by', ARGV[7],
    'targets', ARGV[8], 'deadline', ARGV[9], 'state', 'pending', 'shown', '0')
  local forget = tonumber(ARGV[9]) + tonumber(ARGV[10])
  redis.call('HSET', key, 'forget', string.format('%.17g', forget))
  redis.call('PEXPIRE', key, math.max(1, math.ceil((forget - now) * 1000)))
  publish('pending')
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
