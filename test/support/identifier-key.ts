/** The tests' identifier key: fixed, so expected checkRefs can be computed in a test. */
import { IdentifierKey } from '../../lambdas/checks/check-ref';
import { fixedIdentifierKey } from '../../lambdas/common/identifier-key';

/** What IDENTIFIER_KEY holds for functions wired from their environment in a test. */
export const TEST_KEY_SECRET = 'test-identifier-key-0123456789abcdef0123456789abcdef';
export const TEST_KEY = IdentifierKey.fromSecret(TEST_KEY_SECRET);
export const testKeySource = fixedIdentifierKey(TEST_KEY);
