/** Where the FHIR API is served, and where its SMART token endpoint sits below it. */
export const FHIR_BASE_PATH = '/fhir/R4';
export const TOKEN_PATH = '/auth/token';
