// The Report tab: what people asked, from the bot's real database. Each section is one entry
// in SECTIONS, in the order shown; the server sends its rows under the same id.
const LANG_COLOURS = { es: '#1f6feb', en: '#12b76a', ht: '#d92d20', other: '#667085' };

/** A table of rows, or a line saying there is nothing in this period. A column may draw its own cell. */
function table(rows, columns) {
  if (!rows.length) return el('p', { class: 'hint' }, 'Nothing in this period.');
  const head = el('tr', {}, ...columns.map(([, title]) => el('th', {}, title)));
  const body = rows.map((r) =>
    el(
      'tr',
      {},
      ...columns.map(([key, , cell]) =>
        el('td', {}, cell ? cell(r) : r[key] === null || r[key] === undefined ? '—' : String(r[key])),
      ),
    ),
  );
  return el('table', { class: 'report-table' }, head, ...body);
}

/** Every day of the period, so that a day without conversations shows as zero. */
function days(since, rows) {
  const all = [since.slice(0, 10), new Date().toISOString().slice(0, 10), ...rows.map((r) => r.day)].sort();
  const out = [];
  for (let day = all[0]; day <= all.at(-1); ) {
    out.push(day);
    day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  return out;
}

/** Charts drawn now, by section, so that a new period or a resized window draws them again. */
const charts = new Map();

/** A chart of counts per day, one line per language. */
function perDayChart(unit) {
  return (rows, report, id) => {
    if (!rows.length) return el('p', { class: 'hint' }, 'Nothing in this period.');
    const box = el('div', { class: 'chart', id: `${id}-chart` });
    const axis = days(report.since, rows);
    const langs = [...new Set(rows.map((r) => r.lang ?? 'other'))].sort();
    const counts = langs.map((l) =>
      axis.map((day) => rows.find((r) => r.day === day && (r.lang ?? 'other') === l)?.count ?? 0),
    );
    const draw = () => {
      charts.get(id)?.plot?.destroy();
      charts.set(id, { draw });
      if (!window.uPlot || !box.isConnected) return;
      const plot = new window.uPlot(
        {
          width: Math.max(280, box.clientWidth),
          height: 240,
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          series: [
            { label: 'day' },
            ...langs.map((l) => ({
              label: l,
              stroke: LANG_COLOURS[l] ?? LANG_COLOURS.other,
              width: 2,
              points: { size: 6 },
            })),
          ],
          // Whole counts only: no 0.5 on the axis.
          axes: [{}, { label: unit, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }],
        },
        [axis.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), ...counts],
        box,
      );
      charts.set(id, { draw, plot });
    };
    charts.set(id, { draw });
    requestAnimationFrame(draw);
    return box;
  };
}
addEventListener('resize', () => {
  for (const c of charts.values()) c.draw();
});

const SECTIONS = [
  {
    id: 'daily',
    title: 'Conversations per day, by language',
    render: perDayChart('conversations'),
  },
  {
    id: 'safety',
    title: 'Emergency cards shown per day, by language',
    hint: 'How often the bot recognised danger and showed the emergency numbers. Never the words that called for it.',
    render: perDayChart('cards'),
  },
  {
    id: 'voice',
    title: 'Voice notes received per day, by language',
    hint: 'The bot cannot listen yet: these counts tell whether speech-to-text would be worth it. "other" is before the language was known.',
    render: perDayChart('voice notes'),
  },
  {
    id: 'campaigns',
    title: 'Campaigns: people each link or poster brought',
    render: (rows) =>
      table(rows, [
        ['campaign', 'campaign'],
        ['count', 'conversations'],
      ]),
  },
  {
    id: 'conversations',
    title: 'Conversations by channel and language',
    render: (rows) =>
      table(rows, [
        ['channel', 'channel'],
        ['lang', 'language'],
        ['campaign', 'campaign'],
        ['count', 'conversations'],
      ]),
  },
  {
    id: 'flows',
    title: 'Flows started and completed',
    render: (rows) =>
      table(rows, [
        ['flow', 'flow'],
        ['started', 'started'],
        ['completed', 'completed'],
      ]),
  },
  {
    id: 'faq',
    title: 'Answers shown, and whether they helped',
    render: (rows) =>
      table(rows, [
        ['id', 'entry'],
        ['shown', 'shown'],
        ['helpful', '👍 helpful'],
        ['notHelpful', '👎 not helpful'],
      ]),
  },
  {
    id: 'handoffs',
    title: 'Talk to a person: conversations per day',
    hint: 'Opened, answered by staff within an hour of opening, and closed. Never what was said.',
    render: (rows) =>
      table(rows, [
        ['day', 'day'],
        ['opened', 'opened'],
        ['answeredWithinHour', 'answered within 1 h'],
        ['closed', 'closed'],
      ]),
  },
  {
    id: 'unanswered',
    title: 'Questions the bot could not answer',
    hint: 'The best material for new FAQ entries, or for new phrasings of existing ones. "Teach" adds a question to the entry that answers it, marked learned: true until a reviewer checks it.',
    render: (rows) => {
      // What the last "teach" did stays in view after the report is read again.
      const done = taughtMessage ? el('p', { class: 'teach-done', role: 'status' }, taughtMessage) : '';
      taughtMessage = '';
      return el(
        'div',
        {},
        done,
        table(rows, [
          ['query', 'question'],
          ['lang', 'language'],
          ['count', 'times'],
          ['id', 'teach', teachCell],
        ]),
      );
    },
  },
];

/** FAQ entries with their titles per language, for the "teach" choice; loaded with the report. */
let faqEntries = [];
/** Said once, in the unanswered section, after a question was taught. */
let taughtMessage = '';

/** The title of an entry in the question's language, else in any language it has. */
function titleIn(entry, lang) {
  return entry.titles[lang] ?? entry.titles.es ?? entry.titles.en ?? entry.titles.ht ?? entry.id;
}

/** "Teach" for one unanswered question: pick the entry that answers it, confirm, and see what happened. */
function teachCell(row) {
  if (row.taught) return el('span', { class: 'taught' }, `✓ taught to ${row.taught}`);
  const status = el('span', { class: 'teach-status', role: 'status' });
  const select = el(
    'select',
    { class: 'teach-entry', 'aria-label': `entry that answers "${row.query}"` },
    el('option', { value: '' }, 'Entry that answers it…'),
    ...faqEntries
      .map((e) => ({ id: e.id, title: titleIn(e, row.lang) }))
      .sort((a, b) => a.title.localeCompare(b.title, row.lang))
      .map((e) => el('option', { value: e.id }, `${e.title} (${e.id})`)),
  );
  const button = el('button', { type: 'button', class: 'teach' }, 'Teach');
  button.addEventListener('click', async () => {
    const entry = faqEntries.find((e) => e.id === select.value);
    if (!entry) {
      status.textContent = 'Choose the entry that answers this question first.';
      return;
    }
    const title = titleIn(entry, row.lang);
    if (
      !confirm(
        `Add "${row.query}" to "${title}" as a way people ask it (${row.lang})?\n\nIt is written into data/faq/${entry.id}.yaml marked learned: true, so that a reviewer checks it.`,
      )
    )
      return;
    button.disabled = true;
    status.textContent = 'Teaching…';
    try {
      const res = await fetch('/api/teach', {
        method: 'POST',
        headers,
        body: JSON.stringify({ question: row.id, entry: entry.id }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.error ?? `the studio answered ${res.status}`);
      taughtMessage = body.added
        ? `Taught: "${body.phrasing}" is now a way of asking "${title}" (${entry.id}). A reviewer removes its learned mark once checked.`
        : `"${title}" already had "${body.phrasing}".`;
      await loadReport();
    } catch (e) {
      status.textContent = `Not taught: ${e.message}`;
      button.disabled = false;
    }
  });
  return el('span', { class: 'teach-cell' }, select, ' ', button, ' ', status);
}

async function loadReport() {
  const since = $('report-since').value;
  $('report-csv').href = `/api/report.csv?since=${encodeURIComponent(since)}`;
  const box = $('report');
  let report;
  try {
    const [r, content] = await Promise.all([
      api(`/api/report?since=${encodeURIComponent(since)}`),
      api('/api/content'),
    ]);
    report = r;
    faqEntries = content.faq;
  } catch (e) {
    return box.replaceChildren(el('p', { class: 'hint' }, `The report cannot be read now: ${e.message}`));
  }
  for (const c of charts.values()) c.plot?.destroy();
  charts.clear();
  if (!report.database) {
    return box.replaceChildren(
      el('p', { class: 'hint' }, 'The bot has not recorded anything yet: start it, then come back.'),
    );
  }
  box.replaceChildren(
    ...SECTIONS.filter((s) => report.sections[s.id]).map((s) =>
      el(
        'section',
        { class: 'report-section', id: `report-${s.id}` },
        el(
          'h2',
          {},
          s.title,
          ' ',
          el(
            'a',
            {
              class: 'csv',
              href: `/api/report.csv?section=${s.id}&since=${encodeURIComponent(since)}`,
              download: '',
            },
            'CSV',
          ),
        ),
        ...(s.hint ? [el('p', { class: 'hint' }, s.hint)] : []),
        s.render(report.sections[s.id], report, s.id),
      ),
    ),
  );
}

$('report-since').addEventListener('change', loadReport);
tabLoaders.report = loadReport;
