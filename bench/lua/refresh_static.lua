-- Refresh of persistent (STATIC) tokens: the same tokens are presented round-robin.
-- Options: tokens=<file> path=<token endpoint> client_id=<public client> | auth=<Basic header>
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function init(args)
   opts = common.options(args)
   common.load(opts.tokens)
   headers = common.headers(opts)
   suffix = opts.client_id and ("&client_id=" .. opts.client_id) or ""
   index = head - 1
end

function request()
   index = index + 1
   if index > tail then index = head end
   return wrk.format("POST", opts.path, headers, "grant_type=refresh_token&refresh_token=" .. pool[index] .. suffix)
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      return
   end
   if not body:find('"refresh_token"', 1, true) then missing = missing + 1 end
end
