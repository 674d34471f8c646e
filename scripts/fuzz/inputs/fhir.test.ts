/** The FHIR API's promise as the fuzz tool checks it: a read's 2xx, or a 4xx OperationOutcome in FHIR JSON. */
import { describe, expect, it } from 'vitest';
import { fhirViolation } from './fhir.ts';

const answer = (status: number, type: string | null, body: string) =>
  Buffer.from(
    `HTTP/1.1 ${status} X\r\n${type === null ? '' : `content-type: ${type}\r\n`}connection: close\r\n\r\n${body}`,
  );
const OUTCOME = '{"resourceType":"OperationOutcome","issue":[]}';
const FHIR = 'application/fhir+json; charset=utf-8';

describe('fhirViolation', () => {
  it.each([
    ['GET', answer(200, FHIR, '{"resourceType":"Bundle"}'), undefined],
    ['GET', answer(404, FHIR, OUTCOME), undefined],
    ['POST', answer(405, FHIR, OUTCOME), undefined],
    ['HEAD', answer(404, FHIR, ''), undefined],
    ['GET', Buffer.from('garbage that is not HTTP'), undefined],
    [
      'GET',
      Buffer.from(
        `HTTP/1.1 400 X\r\ncontent-type: ${FHIR}\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"res\r\n${(OUTCOME.length - 5).toString(16)}\r\n${OUTCOME.slice(5)}\r\n0\r\n\r\n`,
      ),
      undefined,
    ],
    ['GET', answer(500, FHIR, OUTCOME), 'answered 500'],
    ['GET', answer(503, 'application/json', '{}'), 'answered 503'],
    [
      'GET',
      answer(400, 'application/json; charset=utf-8', '{"error":{}}'),
      'answered 400 in application/json; charset=utf-8',
    ],
    ['GET', answer(404, null, ''), 'answered 404 in no content type'],
    ['POST', answer(201, FHIR, '{"resourceType":"Patient"}'), 'answered 201 to POST'],
    ['GET', answer(404, FHIR, '{"resourceType":"Bundle"}'), 'answered 404 with Bundle'],
    ['GET', answer(400, FHIR, '{"resourceType":'), 'answered 400 with a body that is not JSON'],
  ])('%s answered %#', (method, received, expected) => {
    expect(fhirViolation(method, received)).toBe(expected);
  });
});
