import { mount } from 'svelte';
import '../app.css';
import StartPage from './StartPage.svelte';

mount(StartPage, { target: document.getElementById('app')! });
