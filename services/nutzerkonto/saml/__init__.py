"""The SAML 2.0 identity provider in the BundID profile: IdP metadata, AuthnRequests over the HTTP-Redirect and
HTTP-POST bindings (with BundID's ``akdb:AuthenticationRequest`` extension), signed and optionally encrypted
Responses, and the registry of service providers (SAML 2.0 Core, Bindings, Profiles, Metadata; XML-DSig; XML-Enc).
"""
