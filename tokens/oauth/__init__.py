"""The OAuth 2.0 and OpenID Connect endpoints, one module each: `authorize`, `token` (its grants),
`revoke`, `introspect`, `userinfo`, `logout` and `discovery` (metadata and keys). What they share:
client authentication (`client_auth`, `client_cache`), signing (`minting`), RFC 6749 errors
(`errors`) and the HTTP base (`http`)."""
