import type { ScryptWork } from '../../common/secrets.ts';

/**
 * The scrypt cost that test stacks give People (web/people.ts, `passwordWork`) for the passwords of
 * the accounts they make. Production hashes with PASSWORD_PARAMS (N=2^17: 0.3 s a password on one
 * machine here, 1.5 s on a slower one), and the suite makes a few hundred accounts: most of its time
 * went there. Same code, same stored format, same verification; only N is smaller.
 * web/people-password.test.ts checks that People without it hashes at production's cost.
 */
export const TEST_PASSWORD_WORK: ScryptWork = { N: 1024, r: 8, p: 1 };
