// The dashboard page's one script, served by the dashboard itself (its Content-Security-Policy
// allows no other and no inline script). Data arrives as JSON over server-sent events: table cells
// are written with textContent; the job and batch views come as HTML the server escaped.
(() => {
  const topic = document.body.dataset.topic;
  if (!topic) return;
  const main = document.getElementById('main');
  const poll = document.getElementById('poll');
  // The table's rows by id: all of them when the stream opens, then each poll's changes.
  let rows = null;
  const byId = new Map();
  let sort = { column: 0, direction: 1 };
  let updates = 0;

  const showPoll = (info) => {
    if (!poll || !info) return;
    poll.textContent = info.error
      ? `last poll failed: ${info.error}`
      : `polled ${info.at ? new Date(info.at).toLocaleTimeString() : ''} (#${info.polls})`;
    poll.classList.toggle('error', Boolean(info.error));
  };

  const visible = () => {
    const text = (document.getElementById('filter-name')?.value ?? '').trim().toLowerCase();
    const state = document.getElementById('filter-state')?.value ?? '';
    return rows
      .filter((row) => !state || row.status === state)
      .filter(
        (row) =>
          !text ||
          row.cells[0].text.toLowerCase().includes(text) ||
          row.cells[1].text.toLowerCase().includes(text),
      )
      .sort((a, b) => {
        const x = a.cells[sort.column].sort;
        const y = b.cells[sort.column].sort;
        return (x < y ? -1 : x > y ? 1 : 0) * sort.direction;
      });
  };

  const rowElement = (row) => {
    const tr = document.createElement('tr');
    tr.dataset.id = row.id;
    tr.dataset.status = row.status;
    row.cells.forEach((cell, i) => {
      const td = document.createElement('td');
      if (i === 0) {
        const link = document.createElement('a');
        link.href = row.href;
        link.textContent = cell.text;
        td.append(link);
        if (row.batchHref) {
          const batch = document.createElement('a');
          batch.href = row.batchHref;
          batch.className = 'batch';
          batch.textContent = 'batch';
          td.append(' ', batch);
        }
      } else if (i === 2) {
        const span = document.createElement('span');
        span.className = `state s-${row.status}`;
        span.textContent = cell.text;
        td.append(span);
      } else td.textContent = cell.text;
      tr.append(td);
    });
    return tr;
  };

  const renderTable = () => {
    const table = document.getElementById('jobs');
    if (!table || !rows) return;
    const shown = visible();
    table.tBodies[0].replaceChildren(...shown.map(rowElement));
    const count = document.getElementById('count');
    if (count) count.textContent = `${shown.length} of ${rows.length} jobs`;
    table.querySelectorAll('th').forEach((th, i) => {
      th.classList.toggle('sorted-up', i === sort.column && sort.direction === 1);
      th.classList.toggle('sorted-down', i === sort.column && sort.direction === -1);
    });
  };

  const replaceView = (markup) => {
    const parsed = new DOMParser().parseFromString(markup, 'text/html');
    main.replaceChildren(...parsed.body.childNodes);
  };

  document.addEventListener('click', (event) => {
    const th = event.target.closest?.('#jobs th');
    if (!th) return;
    const column = [...th.parentElement.children].indexOf(th);
    sort = { column, direction: sort.column === column ? -sort.direction : 1 };
    renderTable();
  });
  document.addEventListener('input', renderTable);
  document.getElementById('filters')?.addEventListener('submit', (event) => event.preventDefault());

  const source = new EventSource(`/events?topic=${encodeURIComponent(topic)}`);
  source.addEventListener('update', (event) => {
    const data = JSON.parse(event.data);
    showPoll(data.poll);
    if (data.rows || data.changed) {
      if (data.rows) byId.clear();
      for (const row of data.rows ?? data.changed) byId.set(row.id, row);
      for (const id of data.removed ?? []) byId.delete(id);
      rows = [...byId.values()];
      renderTable();
    } else if (typeof data.html === 'string') replaceView(data.html);
    updates += 1;
    document.body.dataset.updates = String(updates);
  });
  source.addEventListener('error', () => {
    if (poll) poll.textContent = 'connection lost: retrying…';
  });
})();
