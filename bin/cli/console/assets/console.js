// The console's only script (served from its own origin; the page allows no other). Everything here improves a page
// that works without it: face boxes drawn over frames, the print button, the answer tree opened for printing, and a
// progress bar for verification.
'use strict';

// Face boxes: figure[data-box="x,y,w,h"] in pixels of the frame or fractions of it, drawn once the frame's natural
// size is known, in percentages so the box follows the frame however large it is shown.
function drawBox(figure) {
  const img = figure.querySelector('img');
  const box = figure.querySelector('.bbox');
  if (!img || !box || !img.naturalWidth) return;
  const [x, y, w, h] = figure.dataset.box.split(',').map(Number);
  const fraction = figure.dataset.boxUnit === 'fraction';
  const width = fraction ? 1 : img.naturalWidth;
  const height = fraction ? 1 : img.naturalHeight;
  box.style.left = `${(x / width) * 100}%`;
  box.style.top = `${(y / height) * 100}%`;
  box.style.width = `${(w / width) * 100}%`;
  box.style.height = `${(h / height) * 100}%`;
  box.hidden = false;
}

for (const figure of document.querySelectorAll('figure[data-box]')) {
  const img = figure.querySelector('img');
  if (img.complete) drawBox(figure);
  else img.addEventListener('load', () => drawBox(figure), { once: true });
}

// Print: the button (hidden without script), and every fold of the answer opened on paper, then put back.
for (const button of document.querySelectorAll('[data-action="print"]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
let closedForPrint = [];
window.addEventListener('beforeprint', () => {
  closedForPrint = [...document.querySelectorAll('.tree details:not([open])')];
  for (const details of closedForPrint) details.open = true;
});
window.addEventListener('afterprint', () => {
  for (const details of closedForPrint) details.open = false;
  closedForPrint = [];
});

// Verification with a progress bar: the form's data-stream answers NDJSON lines
// {type:"start"|"progress", done, total} … {type:"done", ok, html} (or {type:"error", message}).
for (const form of document.querySelectorAll('form[data-stream]')) {
  const section = form.closest('section');
  const panel = section.querySelector('.progress');
  const bar = panel.querySelector('progress');
  const text = panel.querySelector('.progress-text');
  const result = section.querySelector('.verify-result');
  const button = form.querySelector('button');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    panel.hidden = false;
    result.textContent = '';
    bar.value = 0;
    text.textContent = 'starting…';
    let unit = 'checks';
    const show = (line) => {
      if (line.type === 'start') {
        unit = line.unit;
        bar.max = Math.max(line.total, 1);
      } else if (line.type === 'progress') {
        bar.max = Math.max(line.total, 1);
        bar.value = line.done;
        text.textContent = unit === 'bytes' ? `${Math.round((100 * line.done) / bar.max)}% of the bytes read back` : `${line.done} of ${line.total} checks`;
      } else if (line.type === 'done') {
        text.textContent = line.ok ? 'done: everything matches' : 'done: problems found';
        result.innerHTML = line.html; // rendered and escaped by the console's server
      } else if (line.type === 'error') {
        text.textContent = line.message;
      }
    };
    try {
      const response = await fetch(form.dataset.stream, { credentials: 'same-origin', headers: { accept: 'application/x-ndjson' } });
      if (!response.ok || !response.body) throw new Error(`the console answered HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        for (const line of lines) if (line.trim()) show(JSON.parse(line));
      }
    } catch (error) {
      text.textContent = `verification could not run: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
}
