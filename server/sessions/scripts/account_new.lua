-- account_new.lua: create an account unless one exists. Standalone (no lib.lua).
--
-- KEYS[1]  <prefix>:{u:<user>}:user   HASH, the account
-- ARGV     field, value, field, value ... (redis_codec.account_fields)
--
-- Returns 1 when created, 0 when the account existed (and was left untouched).

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
