-- audit_read.lua: a few entries of each of many audit streams of ONE cluster node, in
-- one call (redis_audit.RedisAudit, reading everyone's events on a Redis Cluster).
-- Standalone; flagged no-writes and allow-cross-slot-keys: it reads keys of many hash
-- slots, all served by the node it is sent to (a slot that moved away fails the call,
-- and the reader falls back to one XRANGE per stream).
--
-- No KEYS: Redis 7.0 refuses declared keys of several slots (CROSSSLOT) even so.
-- ARGV[1]  "XRANGE" | "XREVRANGE"   ARGV[2]  start   ARGV[3]  end   ARGV[4]  COUNT
-- ARGV[5..] the streams
--
-- Returns {i, entries, i, entries, ...} for the streams (i counting from 1 at ARGV[5])
-- that have entries in the range; entries as XRANGE replies them.

local out = {}
for i = 5, #ARGV do
  local got = redis.call(ARGV[1], ARGV[i], ARGV[2], ARGV[3], 'COUNT', ARGV[4])
  if #got > 0 then
    out[#out + 1] = i - 4
    out[#out + 1] = got
  end
end
return out
