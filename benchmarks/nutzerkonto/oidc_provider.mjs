// The peer of the nutzerkonto benchmark: panva's oidc-provider (OpenID certified) with the client_credentials
// grant and one confidential client, issuing RS256 JWT access tokens (RFC 9068, typ at+jwt) through resource
// indicators with a default resource, as basisdienste does. The benchmark copies this file next to the
// node_modules it installed in a temporary folder and starts it with one JSON argument:
//   {"port", "clientId", "clientSecret", "scopes": [...], "audience", "keyBits", "tokenFormat": "jwt"|"opaque",
//    "ttl"}
// It listens on 127.0.0.1 only and exits on SIGTERM or SIGINT.
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const resource = `urn:basisdienste:${config.audience}`;
const scope = config.scopes.join(' ');

// An RSA key of the same size as basisdienste's signing key, so both pay the same for a signature.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: config.keyBits });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `bench-${config.keyBits}`, use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.clientId,
    client_secret: config.clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  }],
  jwks: { keys: [jwk] },
  scopes: config.scopes,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A request without resource gets this one, like basisdienste's default_audience.
      defaultResource: async () => resource,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope,
          audience: config.audience,
          accessTokenTTL: config.ttl,
          accessTokenFormat: config.tokenFormat,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
