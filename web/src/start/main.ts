import { mount } from 'svelte';
import '../app.css';
import StartPage from './StartPage.svelte';

const STAFF_KEY = 'vigie.staff';
const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('staff');
if (fromHash) {
  sessionStorage.setItem(STAFF_KEY, fromHash);
  history.replaceState(null, '', location.pathname + location.search);
}
mount(StartPage, {
  target: document.getElementById('app')!,
  props: { staffToken: sessionStorage.getItem(STAFF_KEY) ?? undefined },
});
