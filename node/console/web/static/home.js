// The landing page of people whose role has no page of its own yet.
import {el, setupHeader} from './common.js';

async function main() {
  const staff = await setupHeader();
  document.getElementById('home-who').textContent =
    `Signed in as ${staff.name} (${staff.id}), roles: ${staff.roles.join(', ')}, by ${staff.method}.`;
  const list = document.getElementById('home-pages');
  for (const a of document.querySelectorAll('header#top nav a')) {
    list.append(el('li', {}, el('a', {href: a.getAttribute('href')}, a.textContent)));
  }
  document.body.dataset.ready = 'true';
}

main();
