import { mount } from 'svelte';
import '../app.css';
import CallPage from './CallPage.svelte';
import { readInvitation } from './invitation.ts';

const invitation = readInvitation(location, sessionStorage, history);
mount(CallPage, { target: document.getElementById('app')!, props: { invitation } });
