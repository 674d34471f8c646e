import { mount } from 'svelte';
import '../app.css';
import ConsoleApp from './ConsoleApp.svelte';

mount(ConsoleApp, { target: document.getElementById('app')! });
