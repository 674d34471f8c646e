/** Starts a teleconsultation with a patient and opens it, with the patient's vitals beside the video. */
export async function startCall(patientId: string, inviteFamily: boolean): Promise<void> {
  const res = await fetch('/api/consultations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ patientId, inviteFamily }),
  });
  const body = (await res.json()) as { links?: { clinician: string }; error?: string };
  if (!res.ok || !body.links) throw new Error(body.error ?? res.statusText);
  location.assign(body.links.clinician);
}
