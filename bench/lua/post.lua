-- POST the same body on every request. Arguments after "--":
--   <body file> <content type> [<extra header name> <extra header value>]
-- Reading the body once at init keeps wrk's own cost per request constant.
function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = args[2]
  if args[3] then
    wrk.headers[args[3]] = args[4]
  end
end
