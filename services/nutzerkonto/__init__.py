"""Nutzerkonto: BundID-like identity: SAML 2.0 IdP and OIDC/OAuth 2 provider, test identities, eID, trust levels."""
