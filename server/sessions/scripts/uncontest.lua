-- uncontest.lua: clear an account's ping-pong guard (server/sessions/contest.py).
-- lib.lua is prepended.
--
-- KEYS[1]  <prefix>:{u:<user>}:contest      HASH: until, strikes
-- KEYS[2]  <prefix>:{u:<user>}:contest:log  ZSET: the displacing logins in the window
-- ARGV[1]  now, Unix seconds from the caller's clock
-- ARGV[2]  user             ARGV[3]  who cleared it (an admin's name, or "")
-- KEYS[#KEYS] the audit stream   ARGV[#ARGV] its MAXLEN (lib.lua, audit)
--
-- Returns 1 when the account was contested (in a cool-down) until now, else 0;
-- either way nothing of the guard is left. Clearing a cool-down is audited
-- ("uncontested"); clearing a mere count is not.

local until_at = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
redis.call('DEL', KEYS[1], KEYS[2])
if tonumber(ARGV[1]) < until_at then
  audit(ARGV[1], 'uncontested', 'user', ARGV[2], 'admin', ARGV[3])
  return 1
end
return 0
