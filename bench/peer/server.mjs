// node-oidc-provider 9 configured like Rotor under `make bench`, for `make bench PEER=node-oidc-provider`
// (bench/README.md, "A peer"). One Node process, in-memory storage (the library's own memory adapter and
// LRU store, with room for every token of a run: its default keeps 1,000 entries, so a bench's
// refresh tokens were evicted before they were used), one RS256 key; JWT access tokens (through a resource indicator) and ID tokens, both RS256; PKCE S256.
//
//   node server.mjs --port 4000 --clients clients.json
//
// clients.json is written by bench/run.py: the same four clients as Rotor's (public + PKCE, confidential
// with client_secret_basic, service with client_credentials) with the ids and secrets it chose.
// Interactions (sign-in and consent) are completed automatically for the bench's one account: GET
// /interaction/:uid grants what was asked and returns to the authorization endpoint, so the harness
// mints codes with plain redirects. Prints "PEER_READY <port>" once it listens.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, clients: { type: 'string' }, 'rotate-confidential': { type: 'string' } },
});
const port = Number(args.port);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(readFileSync(args.clients, 'utf8'));
// Rotor rotates every refresh token of a ROTATE app, confidential ones too; the library's default
// rotates public clients only. `--rotate-confidential 0` restores the default.
const rotateConfidential = args['rotate-confidential'] !== '0';

const RESOURCE = 'urn:rotor:bench:api'; // the API the access tokens are for (Rotor: the server's audience)
const API_SCOPE = 'api:read';
const ACCOUNT = 'bench-user';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }); // Rotor's key size
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'RS256' };

const store = new LRU({ maxSize: 10_000_000 });

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients,
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', API_SCOPE],
  claims: { openid: ['sub'] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  pkce: { required: () => true },
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false }, // replaced by the automatic interaction below
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: API_SCOPE,
        audience: RESOURCE,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  rotateRefreshToken: (ctx) => rotateConfidential || ctx.oidc.entities.Client.clientAuthMethod === 'none',
  ttl: { AccessToken: 3600, ClientCredentials: 3600, IdToken: 3600, RefreshToken: 30 * 24 * 3600 },
});
provider.proxy = false;

// Automatic sign-in and consent: every scope asked for, the API's scope on its resource.
provider.use(async (ctx, next) => {
  const match = ctx.method === 'GET' && ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ accountId: ACCOUNT, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope || 'openid'));
  grant.addResourceScope(RESOURCE, API_SCOPE);
  const grantId = await grant.save();
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId: ACCOUNT }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
});

provider.listen(port, '127.0.0.1', () => console.log(`PEER_READY ${port}`));
