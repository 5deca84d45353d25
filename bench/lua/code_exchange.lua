-- Authorization-code exchange with PKCE: each request redeems one pre-minted code, once.
-- Options: tokens=<file of "code verifier" lines> out=<file> path=<token endpoint> redirect_uri=<uri>
--          client_id=<public client> | auth=<Basic header>
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function init(args)
   opts = common.options(args)
   common.load(opts.tokens)
   out_path = opts.out
   headers = common.headers(opts)
   suffix = (opts.client_id and ("&client_id=" .. opts.client_id) or "") .. "&redirect_uri=" .. opts.redirect_uri
end

function request()
   local line = common.pop()
   if not line then
      common.dry()
      line = "pool-ran-dry x"
   end
   local code, verifier = line:match("^(%S+) (%S+)$")
   return wrk.format(
      "POST", opts.path, headers,
      "grant_type=authorization_code&code=" .. code .. "&code_verifier=" .. verifier .. suffix)
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      return
   end
   if not body:find('"access_token"', 1, true) then missing = missing + 1 end
end
