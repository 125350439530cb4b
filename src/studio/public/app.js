// The studio page: plain JavaScript, no build step. It talks to the studio server's /api.
// With a token, the cookie set by opening /?token=… carries it, for scripts and styles too.
const headers = { 'content-type': 'application/json' };
const $ = (id) => document.getElementById(id);
const newUser = () => `studio-${Math.random().toString(36).slice(2, 8)}`;
const state = { user: newUser(), last: [], at: null };
/** What to load when a tab opens; report.js adds its own. */
const tabLoaders = {};

async function api(path, body) {
  const res = await fetch(path, body ? { method: 'POST', headers, body: JSON.stringify(body) } : { headers });
  if (res.status === 401) {
    // The week-long cookie ran out, or the token changed: say so rather than show an empty page.
    $('live').classList.add('stale');
    $('live').textContent = '● signed out: open the address the studio printed again';
  }
  if (!res.ok) {
    // The studio's JSON errors say what is wrong; show that rather than a bare status.
    const body = await res.json().catch(() => null);
    throw new Error(body?.error ?? `${path}: ${res.status}`);
  }
  return (res.headers.get('content-type') ?? '').includes('json') ? res.json() : res.text();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

// ---- chat ----
function showUser(text) {
  $('messages').append(el('li', { class: 'msg me' }, text));
}

function renderBot(m) {
  const mode = $('render').value;
  const items = [];
  if (mode === 'telegram') {
    m.telegram.forEach((part, i) => {
      const bubble = el('li', { class: 'msg bot', 'data-channel': 'telegram' });
      bubble.innerHTML = part.text; // HTML made and escaped by the Telegram adapter's own conversion
      const keyboard = part.reply_markup?.inline_keyboard ?? [];
      if (keyboard.length && i === m.telegram.length - 1) {
        const box = el('div', { class: 'buttons' });
        for (const row of keyboard) {
          for (const b of row) {
            const id = b.callback_data.split('|')[1];
            box.append(
              el(
                'button',
                {
                  type: 'button',
                  'data-option': id,
                  onclick: () =>
                    send(
                      { choice: id, at: m.flow && m.step ? { flow: m.flow, step: m.step } : undefined },
                      b.text,
                    ),
                },
                b.text,
              ),
            );
          }
        }
        bubble.append(box);
      }
      items.push(bubble);
    });
  } else {
    for (const part of m.whatsapp)
      items.push(el('li', { class: 'msg bot', 'data-channel': 'whatsapp' }, part.replace(/\u2060/g, '')));
  }
  const last = items.at(-1);
  if (last && m.flow)
    last.append(el('span', { class: 'meta' }, `${m.flow} › ${m.step}${m.faq ? ` · FAQ ${m.faq}` : ''}`));
  return items;
}

function redraw() {
  const list = $('messages');
  list.replaceChildren();
  for (const turn of state.last) {
    if (turn.user) showUser(turn.user);
    for (const m of turn.bot) list.append(...renderBot(m));
  }
  list.scrollTop = list.scrollHeight;
}

async function send(event, shown) {
  const turn = {
    user: shown ?? event.text ?? (event.start !== undefined ? `/start ${event.start}` : ''),
    bot: [],
  };
  state.last.push(turn);
  const reply = await api('/api/chat', { user: state.user, lang: $('lang').value, ...event });
  turn.bot = reply.messages;
  const answer = reply.messages.find((m) => m.faq);
  const lastStep = [...reply.messages].reverse().find((m) => m.flow && m.step);
  if (answer) showFaqColumns(answer.faq, $('columns'));
  else if (lastStep) showColumns(lastStep.flow, lastStep.step);
  if (reply.lang && reply.lang !== $('lang').value) $('lang').value = reply.lang;
  redraw();
}

async function showColumns(flow, step) {
  state.at = { flow, step };
  const data = await api(`/api/step/${encodeURIComponent(flow)}/${encodeURIComponent(step)}`).catch(
    () => null,
  );
  const box = $('columns');
  if (!data)
    return box.replaceChildren(
      el('p', { class: 'hint' }, `${flow} › ${step} is not in the current content.`),
    );
  box.replaceChildren(el('h3', {}, `${data.flow} › ${data.step} (${data.type})`), columnsTable(data.rows));
}

/** An FAQ entry's title and answer in the three languages, into `box`. */
async function showFaqColumns(id, box) {
  if (box === $('columns')) state.at = { faq: id };
  const data = await api(`/api/faq/${encodeURIComponent(id)}`).catch(() => null);
  if (!data)
    return box.replaceChildren(el('p', { class: 'hint' }, `FAQ ${id} is not in the current content.`));
  box.replaceChildren(el('h3', {}, `FAQ ${data.id}`), columnsTable(data.rows));
}

/** Rows of texts in es, en and ht; missing ones red, ones identical to the Spanish orange. */
function columnsTable(rows) {
  const table = el(
    'table',
    { class: 'three' },
    el('tr', {}, el('th', {}, ''), el('th', {}, 'es'), el('th', {}, 'en'), el('th', {}, 'ht')),
  );
  for (const row of rows) {
    const tr = el('tr', {}, el('th', {}, row.key));
    for (const lang of ['es', 'en', 'ht']) {
      const cell = row.cells[lang];
      const cls = cell.missing ? 'missing' : cell.suspicious ? 'suspicious' : '';
      tr.append(
        el(
          'td',
          {
            class: cls,
            title: cell.missing ? 'missing' : cell.suspicious ? 'same as Spanish: not translated?' : '',
          },
          cell.missing ? '(missing)' : cell.text,
        ),
      );
    }
    table.append(tr);
  }
  return table;
}

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value;
  $('text').value = '';
  send({ text });
});
$('render').addEventListener('change', redraw);
$('restart').addEventListener('click', async () => {
  await api('/api/reset', { user: state.user });
  state.last = [];
  redraw();
  $('columns').replaceChildren(el('p', { class: 'hint' }, 'Restarted. Say something to begin.'));
});
$('deeplink').addEventListener('submit', async (e) => {
  e.preventDefault();
  await api('/api/reset', { user: state.user });
  state.last = [];
  send({ start: $('payload').value.trim() });
});
$('lang').addEventListener('change', async () => {
  // A new language is a new user: the language is the one a new conversation starts in.
  state.user = newUser();
  state.last = [];
  redraw();
});

/** Starts the preview at a flow, in the chat's language, as a deep link to it would. */
async function previewFlow(flow) {
  showTab('chat');
  state.user = newUser();
  state.last = [];
  redraw();
  await send({ start: `${$('lang').value}_${flow}` }, `▶ ${flow}`);
}

// ---- content and problems ----
async function loadContent() {
  const data = await api('/api/content');
  const problems = data.report.problems;
  const count = $('problem-count');
  count.hidden = problems.length === 0;
  count.textContent = String(problems.length);
  const of = (file) => problems.filter((p) => p.file === file);
  const problemLine = (p) =>
    el(
      'span',
      { class: `problem ${p.severity}` },
      `${p.file}:${p.line}:${p.column} ${p.message}${p.hint ? ` — fix: ${p.hint}` : ''}`,
    );
  // Warnings (reviews to do, contacts to confirm) never hide that the content can be served.
  const ready = data.report.errors === 0;
  $('problems').replaceChildren(
    ...(problems.length === 0
      ? [el('li', {}, 'No problems: the content is ready to serve.')]
      : [
          ...(ready ? [el('li', {}, 'No errors: the content is ready to serve. Still to do:')] : []),
          ...problems.map((p) => el('li', {}, problemLine(p))),
        ]),
  );
  $('flows').replaceChildren(
    ...data.flows.map((f) =>
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'flow-link', 'data-flow': f.id, onclick: () => previewFlow(f.id) },
          f.id,
        ),
        ` — ${f.description} (${f.steps.length} steps)`,
        ...of(`flows/${f.id}.yaml`).map(problemLine),
      ),
    ),
  );
  $('faq').replaceChildren(
    ...data.faq.map((e) => {
      const body = el('div', { class: 'faq-columns' });
      const details = el(
        'details',
        { 'data-faq': e.id },
        el(
          'summary',
          {},
          el('strong', {}, e.id),
          ' ',
          ...['es', 'en', 'ht'].map((l) =>
            el(
              'span',
              { class: e.titles[l] ? '' : 'problem inline' },
              `[${l}] ${e.titles[l] ?? '(missing)'} `,
            ),
          ),
        ),
        body,
      );
      details.addEventListener('toggle', () => {
        if (details.open) showFaqColumns(e.id, body);
      });
      return el('li', {}, details, ...of(`data/faq/${e.id}.yaml`).map(problemLine));
    }),
  );
  const select = $('graph-flow');
  const current = select.value;
  select.replaceChildren(...data.flows.map((f) => el('option', { value: f.id }, f.id)));
  if (current) select.value = current;
}

// ---- diagram: drawn by Mermaid, moved and zoomed by Panzoom (mouse, wheel, touch and pinch) ----
let graphs = 0;
let panzoom = null;
async function loadGraph() {
  const flow = $('graph-flow').value;
  if (!flow) return;
  const source = await api(`/api/graph/${encodeURIComponent(flow)}?lang=${$('lang').value}`);
  $('graph-source').textContent = source;
  if (!window.mermaid) return;
  const { svg } = await window.mermaid.render(`graph${++graphs}`, source);
  const box = $('graph');
  box.innerHTML = svg;
  panzoom?.destroy();
  panzoom = null;
  const drawing = box.querySelector('svg');
  if (drawing && window.Panzoom) {
    panzoom = window.Panzoom(drawing, { maxScale: 10, minScale: 0.25, step: 0.5, cursor: 'grab' });
  }
}
$('graph').addEventListener('wheel', (e) => panzoom?.zoomWithWheel(e), { passive: false });
$('zoom-in').addEventListener('click', () => panzoom?.zoomIn());
$('zoom-out').addEventListener('click', () => panzoom?.zoomOut());
$('zoom-reset').addEventListener('click', () => panzoom?.reset());
$('graph-flow').addEventListener('change', loadGraph);
$('graph-preview').addEventListener('click', () => {
  if ($('graph-flow').value) previewFlow($('graph-flow').value);
});
tabLoaders.diagram = loadGraph;

// ---- tabs ----
function showTab(name) {
  for (const t of document.querySelectorAll('[role=tab]'))
    t.setAttribute('aria-selected', String(t.dataset.tab === name));
  for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${name}`;
  tabLoaders[name]?.();
}
for (const tab of document.querySelectorAll('[role=tab]')) {
  tab.addEventListener('click', () => showTab(tab.dataset.tab));
}

// ---- live edits: the server's hot reload tells the page ----
const events = new EventSource('/api/events');
events.addEventListener('content', async (e) => {
  const { ok } = JSON.parse(e.data);
  $('live').classList.toggle('stale', !ok);
  $('live').textContent = ok ? '● live' : '● edit rejected: see Content';
  await loadContent();
  if (state.at?.faq) showFaqColumns(state.at.faq, $('columns'));
  else if (state.at) showColumns(state.at.flow, state.at.step);
  if (!$('tab-diagram').hidden) loadGraph();
});

window.mermaid?.initialize({ startOnLoad: false, securityLevel: 'strict' });
loadContent();
