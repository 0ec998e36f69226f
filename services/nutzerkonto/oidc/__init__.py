"""The Nutzerkonto's OpenID Connect / OAuth 2 provider: authorization code + PKCE, client credentials, refresh
rotation, JWT access tokens (RFC 9068), userinfo, introspection, revocation and RP-initiated logout."""
