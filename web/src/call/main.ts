import { mount } from 'svelte';
import '../app.css';
import CallWithVitals from './CallWithVitals.svelte';
import { readInvitation } from './invitation.ts';

const invitation = readInvitation(location, sessionStorage, history);
mount(CallWithVitals, { target: document.getElementById('app')!, props: { invitation } });
