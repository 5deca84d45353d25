-- Refresh with rotation: every request spends the oldest unused refresh token of the pool and
-- the response's new refresh token joins the back of the queue, so each family rotates rarely.
-- (wrk calls request() once before connecting, to check the script: that token is dropped unsent.)
-- Options: tokens=<file> out=<file for the unused pool> path=<token endpoint>
--          client_id=<public client> | auth=<Basic header of a confidential client>
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function init(args)
   opts = common.options(args)
   common.load(opts.tokens)
   out_path = opts.out
   headers = common.headers(opts)
   suffix = opts.client_id and ("&client_id=" .. opts.client_id) or ""
end

function request()
   local token = common.pop()
   if not token then
      common.dry()
      token = "pool-ran-dry"
   end
   return wrk.format("POST", opts.path, headers, "grant_type=refresh_token&refresh_token=" .. token .. suffix)
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      return
   end
   local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if token then common.push(token) else missing = missing + 1 end
end
