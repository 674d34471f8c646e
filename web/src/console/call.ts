import { ROUTES } from '../../api/routes.ts';
import { call } from '../lib/api.ts';

/** Starts a teleconsultation with a patient and opens it, with the patient's vitals beside the video. */
export async function startCall(patientId: string, inviteFamily: boolean): Promise<void> {
  const { links } = await call(ROUTES.createConsultation, { body: { patientId, inviteFamily } });
  location.assign(links.clinician);
}
