-- lib.lua: helpers shared by the session scripts. RedisStore prepends this file to
-- login.lua, check.lua, end.lua and list.lua when it registers them; it is not a
-- script of its own. Every script is registered with a "#!lua" first line
-- (redis_conn.Link.script), so a cluster refuses any access outside one hash slot.
--
-- Data of one user (all in the hash slot of "{u:<user>}"):
--   index        ZSET  "s:<jti>" scored by the live session's idle deadline,
--                      "t:<jti>" scored by the tombstone's end (the session's expires_at)
--   P .. member  HASH  the record of that member, P being "<prefix>:{u:<user>}:"
-- Deadlines are compared with the caller's clock ("now" in ARGV), never Redis TIME.
-- Key TTLs are only a garbage-collection backstop: each is set to the deadline
-- relative to now plus a margin, so Redis never drops a record the clock still
-- considers alive.

local FIELDS = {'device_id', 'device_name', 'ip', 'created_at', 'expires_at'}

-- PEXPIRE argument for a record whose deadline is `deadline`.
local function ttl_ms(deadline, now, margin)
  return math.max(math.ceil((deadline - now) * 1000), 1) + margin
end

-- Delete every record whose deadline is <= now; return how many were sessions.
local function prune(index, P, now_s)
  local gone = redis.call('ZRANGEBYSCORE', index, '-inf', now_s)
  local sessions = 0
  for _, member in ipairs(gone) do
    redis.call('DEL', P .. member)
    if string.sub(member, 1, 2) == 's:' then sessions = sessions + 1 end
  end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', index, '-inf', now_s) end
  return sessions
end

-- The index lives exactly as long as its longest-lived member.
local function expire_index(index, now, margin)
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', index, ttl_ms(tonumber(last[2]), now, margin)) end
end

-- The fields (FIELDS order) of a live session, or nil. A session past its deadline,
-- or whose hash the TTL backstop already took, is deleted on sight.
local function live(index, P, jti, now)
  local member = 's:' .. jti
  local deadline = redis.call('ZSCORE', index, member)
  if not deadline then return nil end
  local f = redis.call('HMGET', P .. member, unpack(FIELDS))
  if tonumber(deadline) > now and f[1] then return f end
  redis.call('DEL', P .. member)
  redis.call('ZREM', index, member)
  return nil
end

-- Append the reply form of a session: jti, then FIELDS.
local function push_record(out, jti, f)
  table.insert(out, jti)
  for i = 1, #FIELDS do table.insert(out, f[i]) end
end

-- End a live session: delete it, keep a tombstone until its expires_at, publish.
-- `by` is a JSON object or the JSON literal null. The caller refreshes the index TTL.
local function finish(index, P, channel, user, jti, f, reason, by, now, margin)
  local expires_at = f[5]
  redis.call('DEL', P .. 's:' .. jti)
  redis.call('ZREM', index, 's:' .. jti)
  redis.call('HSET', P .. 't:' .. jti, 'reason', reason, 'by', by)
  redis.call('PEXPIRE', P .. 't:' .. jti, ttl_ms(tonumber(expires_at), now, margin))
  redis.call('ZADD', index, expires_at, 't:' .. jti)
  -- Built by hand so that `by` (and its float "at") passes through byte for byte.
  redis.call('PUBLISH', channel, '{"user":' .. cjson.encode(user) .. ',"jti":'
    .. cjson.encode(jti) .. ',"reason":' .. cjson.encode(reason) .. ',"by":' .. by .. '}')
end

-- Byte-wise "<" as Python compares str (Lua's "<" follows the server's locale).
local function bytes_lt(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

