import { ROUTES } from '../../api/routes.ts';
import { call } from '../lib/api.ts';

/**
 * Starts a teleconsultation with a patient (their page rings) and opens it beside the console, in a
 * tab of its own with the patient's vitals beside the video: the console stays where it was. The tab
 * is opened at once, while the click still allows it, then sent to the call; where a browser refuses a
 * new tab, the call opens here.
 */
export async function startCall(patientId: string, inviteFamily: boolean): Promise<void> {
  const tab = window.open('', `vigie-call-${patientId}`);
  try {
    const { links } = await call(ROUTES.createConsultation, { body: { patientId, inviteFamily } });
    if (tab) {
      tab.location.href = links.clinician;
      tab.focus();
    } else location.assign(links.clinician);
  } catch (error) {
    tab?.close();
    throw error;
  }
}
