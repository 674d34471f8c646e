import { mount } from 'svelte';
import '../app.css';
import FamilyPage from './FamilyPage.svelte';

// An invitation arrives as /family/#invite=<token>: kept for this tab only, and out of the address bar.
const INVITE_KEY = 'vigie.invite';
const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('invite');
if (fromHash) {
  sessionStorage.setItem(INVITE_KEY, fromHash);
  history.replaceState(null, '', location.pathname + location.search);
}
const alertId = Number(new URLSearchParams(location.search).get('alert')) || undefined;
mount(FamilyPage, {
  target: document.getElementById('app')!,
  props: {
    invite: sessionStorage.getItem(INVITE_KEY) ?? undefined,
    alertId,
    forgetInvite: () => sessionStorage.removeItem(INVITE_KEY),
  },
});
