import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { didKeyFromPublicKey, publicKeyBytesOfDid } from './didKey';
import { SigningKeyInvalidError } from './errors';

/**
 * An agent's Ed25519 private key and the did:key it signs as. The key material is held in a
 * private field: logging, inspecting or serialising a SigningKey shows only its DID.
 */
export class SigningKey {
  readonly did: string;
  /** The 32 raw bytes of the public key, which a v3 header carries. */
  readonly publicKeyBytes: Buffer;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyInvalidError(`expected an Ed25519 private key, got a ${privateKey.asymmetricKeyType ?? 'symmetric'} ${privateKey.type} key`);
    this.#privateKey = privateKey;
    const publicKey = createPublicKey(privateKey);
    this.did = didKeyFromPublicKey(publicKey);
    this.publicKeyBytes = publicKeyBytesOfDid(this.did);
  }

  sign(data: Buffer): Buffer {
    return sign(null, data, this.#privateKey);
  }

  /** PKCS#8 PEM, for writing the key file once; nothing else should call this. */
  exportPem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  toJSON(): { did: string } {
    return { did: this.did };
  }

  [inspect.custom](): string {
    return `SigningKey(${this.did})`;
  }
}

export const generateSigningKey = (): SigningKey => new SigningKey(generateKeyPairSync('ed25519').privateKey);

export const signingKeyFromPem = (pem: string | Buffer, file?: string): SigningKey => {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The parser's message may quote the input; say only that it is not a key.
    throw new SigningKeyInvalidError('not a PEM private key (expected PKCS#8, as `agentbus keys generate` writes)', file);
  }
  try {
    return new SigningKey(key);
  } catch (error) {
    throw file ? new SigningKeyInvalidError((error as SigningKeyInvalidError).context.reason as string, file) : error;
  }
};

export const readSigningKeyFile = (file: string): SigningKey => {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new SigningKeyInvalidError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, file);
  }
  return signingKeyFromPem(pem, file);
};
