// argon2id with the OWASP-recommended floor (19 MiB, 2 passes, 1 lane).
import { hash, verify } from '@node-rs/argon2';

const OPTIONS = { algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable as a value */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, OPTIONS);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash is a failed log-in, not a crash
  }
}

// Verifying against this when the email is unknown keeps both paths equally
// slow, so response times do not reveal which emails have accounts.
export const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$nddwBKAZ1u6V1YfsPo1VWQ$O0xLtHFgY2aTFIsSq6IB4XlmMhAEPfvLHz7s+zKbiqg';
