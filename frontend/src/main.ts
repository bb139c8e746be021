import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

mount(App, { target: document.getElementById('app')! });

if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  // The worker caches documents for instant page turns; failure only costs speed.
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
}
