// The approver page: the queue of follow-ups partners asked of us, with a
// countdown to each deadline, and the approve / deny dialog.
import {api, el, formatTime, say, setupHeader} from './common.js';

let queue = [];
let serverSkewMs = 0;  // server clock - browser clock.
let deciding = null;

function left(deadline) {
  const seconds = Math.floor(deadline - (Date.now() + serverSkewMs) / 1000);
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const text = `${sign}${h}h ${String(m).padStart(2, '0')}m ${String(s % 60).padStart(2, '0')}s`;
  return {seconds, text: seconds < 0 ? `overdue by ${text.slice(1)}` : text};
}

function render() {
  const body = document.querySelector('#queue-table tbody');
  body.replaceChildren(...queue.map((f) => {
    const pending = f.state === 'FOLLOW_UP_PENDING';
    const t = left(f.deadline);
    const overdue = pending && t.seconds < 0;
    const decide = pending
      ? el('button', {type: 'button', class: 'small decide', 'data-id': f.id,
          'aria-label': `Decide follow-up ${f.id} from ${f.peer}`}, 'Decide')
      : el('span', {}, f.reply || f.reason);
    return el('tr', {id: `fu-${f.id}`, class: `${f.state.toLowerCase()}${overdue ? ' overdue' : ''}`},
      el('td', {}, f.id), el('td', {}, f.peer), el('td', {class: 'ref'}, f.record_id || f.reference),
      el('td', {}, f.purpose.replaceAll('_', ' ')), el('td', {}, f.legal_basis),
      el('td', {}, f.justification), el('td', {class: 'state'}, f.state.replace('FOLLOW_UP_', '')),
      el('td', {class: 'countdown', 'data-deadline': f.deadline},
        pending ? t.text : `decided ${formatTime(f.decided)}`),
      el('td', {}, decide));
  }));
}

// Ticks the countdowns every second without rebuilding the table.
function tick() {
  for (const cell of document.querySelectorAll('#queue-table tr.follow_up_pending td.countdown')) {
    const t = left(Number(cell.dataset.deadline));
    cell.textContent = t.text;
    cell.parentElement.classList.toggle('overdue', t.seconds < 0);
  }
}

async function load() {
  try {
    const r = await api('GET', '/api/queue');
    serverSkewMs = r.now * 1000 - Date.now();
    queue = r.followups;
    render();
    const pending = queue.filter((f) => f.state === 'FOLLOW_UP_PENDING').length;
    say('queue-status', `${pending} pending, ${queue.length} in all.`);
  } catch (e) {
    say('queue-status', e.message, true);
  }
}

function open(id) {
  deciding = queue.find((f) => f.id === id);
  if (!deciding) return;
  document.getElementById('decide-what').textContent =
    `${deciding.id} from ${deciding.peer} about ${deciding.record_id || deciding.reference}`;
  document.getElementById('decide-text').value = '';
  document.getElementById('decide-error').textContent = '';
  document.getElementById('decide-dialog').showModal();
  document.getElementById('decide-text').focus();
}

async function submit(event) {
  event.preventDefault();
  const decision = document.querySelector('input[name="decision"]:checked').value;
  const text = document.getElementById('decide-text').value.trim();
  const form = {id: deciding.id, decision};
  if (decision === 'approve') {
    form.reply = text;
    form.with_contact = document.getElementById('decide-contact').checked;
  } else {
    form.reason = text;
  }
  try {
    const f = await api('POST', '/api/queue/decide', form);
    document.getElementById('decide-dialog').close();
    say('queue-status', `${f.id}: ${f.state.replace('FOLLOW_UP_', '')}.`);
    load();
  } catch (e) {
    document.getElementById('decide-error').textContent = e.message;
  }
}

async function main() {
  await setupHeader();
  document.querySelector('#queue-table tbody').addEventListener('click', (event) => {
    const button = event.target.closest('button.decide');
    if (button) open(button.dataset.id);
  });
  document.getElementById('decide-form').addEventListener('submit', submit);
  document.getElementById('decide-cancel').addEventListener('click',
    () => document.getElementById('decide-dialog').close());
  await load();
  setInterval(tick, 1000);
  setInterval(load, 5000);
  document.body.dataset.ready = 'true';
}

main();
