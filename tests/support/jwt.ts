/** Signs arbitrary claims with any key: for forging invitations in tests. */
import { SignJWT } from 'jose';

export function signWith(claims: Record<string, unknown>, secret: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}
