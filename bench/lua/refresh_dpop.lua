-- DPoP refresh with rotation (RFC 9449): as refresh_rotate.lua, and every request carries a DPoP proof by the
-- key its family is bound to. wrk's Lua cannot sign ES256, so bench/run.py signs one proof per request ahead
-- (each with its own jti and the server's current nonce) and this script spends them in order.
-- Options: tokens=<file> out=<file for the unused pool> path=<token endpoint> client_id=<public client>
--          proofs=<file of one proof per line, each used once>
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

local proofs, next_proof = {}, 1

function init(args)
   opts = common.options(args)
   common.load(opts.tokens)
   for line in assert(io.open(opts.proofs, "r")):lines() do
      if line ~= "" then proofs[#proofs + 1] = line end
   end
   out_path = opts.out
   headers = common.headers(opts)
   suffix = opts.client_id and ("&client_id=" .. opts.client_id) or ""
end

function request()
   local token = common.pop()
   local proof = proofs[next_proof]
   next_proof = next_proof + 1
   if not token or not proof then
      common.dry()
      token, proof = "pool-ran-dry", "pool-ran-dry"
   end
   local with_proof = {}
   for name, value in pairs(headers) do with_proof[name] = value end
   with_proof["DPoP"] = proof
   return wrk.format("POST", opts.path, with_proof, "grant_type=refresh_token&refresh_token=" .. token .. suffix)
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      return
   end
   local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if token then common.push(token) else missing = missing + 1 end
end
