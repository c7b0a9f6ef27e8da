/** The credentials the fake providers accept. Local mode sets the archiver's secrets to the same values. */
export interface ProviderCredentials {
  /** Liveness: `x-api-key` header. */
  livenessApiKey: string;
  /** KYC: JWT sent in the `token` header. */
  kycJwt: string;
  /** KYC: API token (a timeuuid) sent as `token` in the JSON body. */
  kycApiToken: string;
  /** Verification: `Authorization: Bearer <key>`. */
  verificationApiKey: string;
}

/**
 * Defaults for local mode and tests. Not secrets: they only open the fake providers on loopback.
 * `kycJwt` is JWT-shaped (header.payload.signature, base64url) because the KYC client picks the header method for
 * JWT-shaped credentials; its signature is not checked.
 */
export const LOCAL_PROVIDER_CREDENTIALS: Readonly<ProviderCredentials> = Object.freeze({
  livenessApiKey: 'local-liveness-api-key',
  kycJwt:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhdWRpdC1hcmNoaXZlci1sb2NhbCIsImlzcyI6ImZha2Uta3ljIn0.bG9jYWwtZmFrZS1reWMtc2lnbmF0dXJl',
  kycApiToken: '6f1c2e3a-0b4d-11ef-9a61-0242ac120002',
  verificationApiKey: 'local-verification-api-key',
});
