-- lib.lua: helpers shared by the scripts. Link.script prepends this file to every
-- script registered without lib=False (login, check, end, list, reserve, bucket,
-- uncontest); it is not a script of its own. Every script is registered with a "#!lua" first line
-- (redis_conn.Link.script), so a cluster refuses any access outside one hash slot.
--
-- Data of one user (all in the hash slot of "{u:<user>}"):
--   index        ZSET  "s:<jti>" scored by the live session's idle deadline,
--                      "t:<jti>" scored by the tombstone's end (the session's expires_at)
--   P .. member  HASH  the record of that member, P being "<prefix>:{u:<user>}:"
--                      (a session: FIELDS, "seen"; one written before device classes
--                      has no device_class and reads as "desktop")
-- Deadlines are compared with the caller's clock ("now" in ARGV), never Redis TIME.
-- Key TTLs are only a garbage-collection backstop: each is set to the record's last
-- possible moment (a session's expires_at, since an idle session becomes an
-- "expired" tombstone until then) relative to now plus a margin, so Redis never
-- drops a record the clock still considers alive.

local FIELDS = {'device_id', 'device_name', 'ip', 'created_at', 'expires_at', 'device_class'}
local DEFAULT_CLASS = 'desktop'  -- shared/device_classes.py

-- The audit stream (server/sessions/audit.py). Every script that loads this file is
-- called with the stream as its LAST key (one in the script's own hash slot on a
-- cluster: redis_audit.Streams) and the stream's approximate MAXLEN as its LAST
-- argument, so every change and its audit entry are one atomic step.
local AUDIT_STREAM, AUDIT_MAX = KEYS[#KEYS], ARGV[#ARGV]
-- A call that breaks the convention fails here, before it changes anything, rather than
-- at its first audit, after a write.
if not (AUDIT_STREAM and string.find(AUDIT_STREAM, ':audit', 1, true) and tonumber(AUDIT_MAX)) then
  return redis.error_reply('lib.lua: the last key must be the audit stream, the last argument its MAXLEN')
end

-- Append one audit entry: at (the caller's clock), event, then name/value pairs, of
-- which a value that is nil, false (a missing hash field), "" or the JSON literal "null"
-- is left out.
local function audit(at, event, ...)
  local entry = {'at', at, 'event', event}
  local pairs_in = {...}
  for i = 1, select('#', ...), 2 do
    local v = pairs_in[i + 1]
    if v and v ~= '' and v ~= 'null' then
      entry[#entry + 1] = pairs_in[i]
      entry[#entry + 1] = v
    end
  end
  redis.call('XADD', AUDIT_STREAM, 'MAXLEN', '~', AUDIT_MAX, '*', unpack(entry))
end

-- The user whose key prefix is P ("<prefix>:{u:<user>}:"; neither a prefix nor a
-- username holds a brace).
local function user_of(P)
  return string.sub(P, string.find(P, '{u:', 1, true) + 3, -3)
end

-- The audit entry of an ended session (fields f). by: JSON or "null".
local function audit_end(P, jti, f, reason, by, now)
  local event, why = reason, ''
  if reason == 'logged_out' and by ~= 'null' then
    event, why = 'ended', 'user'  -- another PC of the account ended it
  elseif reason == 'admin' or reason == 'disabled' then
    event, why = 'ended', reason
  end
  audit(string.format('%.17g', now), event, 'user', user_of(P), 'jti', jti,
    'device', f[2], 'ip', f[3], 'class', f[6], 'reason', why, 'by', by)
end

-- PEXPIRE argument for a record whose deadline is `deadline`.
local function ttl_ms(deadline, now, margin)
  return math.max(math.ceil((deadline - now) * 1000), 1) + margin
end

-- Extend (never shorten) the TTL of `key` to cover `deadline`.
local function extend(key, deadline, now, margin)
  local want = ttl_ms(deadline, now, margin)
  if redis.call('PTTL', key) < want then redis.call('PEXPIRE', key, want) end
end

-- Turn the live session `jti` (fields f) into a tombstone: reason, by (JSON or
-- "null"), kept until its expires_at, and audit its end. Returns false when the
-- session is past its absolute end anyway (then nothing is kept).
local function bury(index, P, jti, f, reason, by, now, margin)
  local expires_at = f[5]
  audit_end(P, jti, f, reason, by, now)
  redis.call('DEL', P .. 's:' .. jti)
  redis.call('ZREM', index, 's:' .. jti)
  if tonumber(expires_at) <= now then return false end
  redis.call('HSET', P .. 't:' .. jti, 'reason', reason, 'by', by)
  redis.call('PEXPIRE', P .. 't:' .. jti, ttl_ms(tonumber(expires_at), now, margin))
  redis.call('ZADD', index, expires_at, 't:' .. jti)
  return true
end

-- Tombstones and expired sessions past their deadline go; sessions idle past their
-- deadline become "expired" tombstones. Returns how many sessions ended so.
local function prune(index, P, now_s, margin)
  local now = tonumber(now_s)
  local gone = redis.call('ZRANGEBYSCORE', index, '-inf', now_s)
  local sessions = 0
  for _, member in ipairs(gone) do
    if string.sub(member, 1, 2) == 's:' then
      sessions = sessions + 1
      local f = redis.call('HMGET', P .. member, unpack(FIELDS))
      if f[1] then
        bury(index, P, string.sub(member, 3), f, 'expired', 'null', now, margin)
      else
        redis.call('ZREM', index, member)
      end
    else
      redis.call('DEL', P .. member)
      redis.call('ZREM', index, member)
    end
  end
  return sessions
end

-- The index lives as long as its longest-lived record (extend-only).
local function expire_index(index, now, margin, at_least)
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  local deadline = at_least or 0
  if last[2] and tonumber(last[2]) > deadline then deadline = tonumber(last[2]) end
  if deadline > 0 then extend(index, deadline, now, margin) end
end

-- The fields (FIELDS order) of a live session, or nil. A session past its idle
-- deadline becomes an "expired" tombstone on sight; one whose hash the TTL backstop
-- already took is forgotten.
local function live(index, P, jti, now, margin)
  local member = 's:' .. jti
  local deadline = redis.call('ZSCORE', index, member)
  if not deadline then return nil end
  local f = redis.call('HMGET', P .. member, unpack(FIELDS))
  if not f[1] then
    redis.call('ZREM', index, member)
    return nil
  end
  if tonumber(deadline) > now then
    f[6] = f[6] or DEFAULT_CLASS
    return f
  end
  bury(index, P, jti, f, 'expired', 'null', now, margin)
  return nil
end

-- Append the reply form of a session: jti, then FIELDS.
local function push_record(out, jti, f)
  table.insert(out, jti)
  for i = 1, #FIELDS do table.insert(out, f[i]) end
end

-- Publish one event. A channel with a hash tag is the user's own channel on a cluster,
-- "<prefix>:{u:<user>}:events", in this script's slot: SPUBLISH sends it to the
-- subscribers on that shard only (a flagged script may SPUBLISH in its own slot alone).
-- The one broadcast channel of a single server, "<prefix>:events", has no braces (a
-- key prefix may have none): PUBLISH.
local function publish(channel, message)
  if string.find(channel, '{', 1, true) then
    redis.call('SPUBLISH', channel, message)
  else
    redis.call('PUBLISH', channel, message)
  end
end

-- End a live session: tombstone it until its expires_at and publish its event.
-- `by` is a JSON object or the JSON literal null. The caller refreshes the index TTL.
local function finish(index, P, channel, user, jti, f, reason, by, now, margin)
  bury(index, P, jti, f, reason, by, now, margin)
  -- Built by hand so that `by` (and its float "at") passes through byte for byte.
  publish(channel, '{"user":' .. cjson.encode(user) .. ',"jti":'
    .. cjson.encode(jti) .. ',"reason":' .. cjson.encode(reason) .. ',"by":' .. by .. '}')
end

-- A live session created before a detected store reset (reset_at, 0 when none)
-- may be one the lost writes had ended: it ends as "server_reset".
local function from_before_reset(f, reset_at)
  return reset_at > 0 and tonumber(f[4]) < reset_at
end

-- Byte-wise "<" as Python compares str (Lua's "<" follows the server's locale).
local function bytes_lt(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
