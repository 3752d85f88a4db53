// An independent OID4VCI wallet: @openid4vc/openid4vci (OpenWallet Foundation's oid4vc-ts), driven by
// tests/wallet/test_wallet_client.py. It generates its own Ed25519 key (did:jwk), resolves the credential offer,
// fetches the issuer's metadata, redeems the pre-authorized code with the PIN, asks for a nonce, signs a proof
// JWT and receives the credential. Then it tries the same code again, which the issuer must refuse.
//
// usage: node wallet.mjs case.json   (case: {offer, pin, wrongPin})
// prints one JSON line: {did, version, credential, wrongPin, reuse}
import { readFileSync } from 'node:fs';
import crypto from 'node:crypto';
import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';

setGlobalConfig({ allowInsecureUrls: true }); // the test server speaks plain HTTP on 127.0.0.1

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
const publicJwk = publicKey.export({ format: 'jwk' });
const did = 'did:jwk:' + Buffer.from(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: publicJwk.x })).toString('base64url');
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

const callbacks = {
  fetch,
  hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '')).update(data).digest()),
  generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (signer, { header, payload }) => {
    const input = `${b64(header)}.${b64(payload)}`;
    const signature = crypto.sign(null, Buffer.from(input), privateKey).toString('base64url');
    return { jwt: `${input}.${signature}`, signerJwk: publicJwk };
  },
  verifyJwt: async () => { throw new Error('not used'); },
};

async function refusal(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return String(error?.message ?? error) + ' ' + JSON.stringify(error?.errorResponse ?? {});
  }
}

const client = new Openid4vciClient({ callbacks });
const offer = await client.resolveCredentialOffer(input.offer);
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
const wrongPin = await refusal(client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata, txCode: input.wrongPin }));
const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata, txCode: input.pin });
const { c_nonce } = await client.requestNonce({ issuerMetadata });
const credentialConfigurationId = offer.credential_configuration_ids[0];
const { jwt } = await client.createCredentialRequestJwtProof({
  issuerMetadata, credentialConfigurationId, nonce: c_nonce,
  signer: { method: 'did', didUrl: `${did}#0`, alg: 'EdDSA' } });
const { credentialResponse } = await client.retrieveCredentials({
  issuerMetadata, credentialConfigurationId, accessToken: accessTokenResponse.access_token, proofs: { jwt: [jwt] } });
const reuse = await refusal(client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata, txCode: input.pin }));
console.log(JSON.stringify({ did, version: issuerMetadata.originalDraftVersion,
  credential: credentialResponse.credentials[0].credential, wrongPin, reuse }));
