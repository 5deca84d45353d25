-- One fixed request over and over: client_credentials, introspection, JWKS.
-- Options: method=GET|POST path=<path> body=<form body> auth=<Basic header>
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function init(args)
   opts = common.options(args)
   opts.method = opts.method or "POST"
   the_request = wrk.format(opts.method, opts.path, common.headers(opts), opts.body)
end

function request()
   return the_request
end

function response(status, headers, body)
   if status ~= 200 then non200 = non200 + 1 end
end
