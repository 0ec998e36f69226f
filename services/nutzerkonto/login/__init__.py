"""The login pages and the login transaction every protocol (SAML, OIDC, eID) goes through."""
