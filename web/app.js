// The kvorum dashboard: one page, no build step. It listens to GET /v1/dashboard/events (a
// snapshot of the cluster every second, as the node serving the page sees it), fetches the ring
// when its version changes, and redraws. Everything it shows comes from those two endpoints.
//
// A node that checks tokens wants one with the monitor (or admin) role. The page takes it from
// the URL's fragment, `/#token=kvt_…` (a fragment is never sent to a server, so it stays out of
// access logs and proxies), keeps it in sessionStorage (this tab only, gone when it closes),
// drops it from the address bar, and sends it as `Authorization: Bearer`. EventSource cannot
// send a header, so the events are read from a streamed fetch.

const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const sparkPoints = 60;
const staleAfterMs = 3500;

const state = { snapshot: null, ring: null, ringVersion: -1, located: null, hovered: null, lastMessageMs: 0 };
const $ = (id) => document.getElementById(id);

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function colorOf(name) {
  const names = (state.ring?.nodes ?? []).map((n) => n.name).sort();
  const i = names.indexOf(name);
  return i < 0 ? '#999' : palette[i % palette.length];
}

function fmt(value, unit = '') {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const rounded = value >= 100 ? Math.round(value) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${rounded}${unit}`;
}

// ---- Credentials ----

const tokenKey = 'kvorum-token';

function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token === null) return;
  if (token) sessionStorage.setItem(tokenKey, token);
  history.replaceState(null, '', location.pathname + location.search);
}

function api(path) {
  const token = sessionStorage.getItem(tokenKey);
  return fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
}

/** Raised for 401 and 403: retrying with the same token cannot help, so the page says what to do. */
class Denied extends Error {
  constructor(status) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

function showDenied(status) {
  const hasToken = sessionStorage.getItem(tokenKey) !== null;
  const what =
    status === 403
      ? 'This token may not watch the cluster: it needs the monitor or admin role.'
      : hasToken
        ? 'This node does not accept the token the page has.'
        : 'This node checks tokens, and the page has none.';
  setConnection('denied', status === 403 ? 'forbidden' : 'token needed');
  $('alerts').innerHTML =
    `<div class="alert" data-alert="auth">${escape(what)} Open the page as <code>${escape(location.origin)}/#token=YOUR_TOKEN</code> ` +
    `(<code>kvorum token --name ops --role monitor</code> makes one), or paste a token: ` +
    `<form id="token-form"><input id="token-input" type="password" autocomplete="off" aria-label="token" size="30"> <button type="submit">use token</button></form></div>`;
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) return;
    sessionStorage.setItem(tokenKey, token);
    $('alerts').innerHTML = '';
    setConnection('connecting', 'connecting…');
    void stream();
  });
}

// ---- Connection: server-sent events over a streamed fetch, with a poll when they stall ----

const reconnectMs = 1000;
let denied = false;

/** Reads the event stream until it ends or fails, then reconnects; stops on 401/403. */
async function stream() {
  denied = false;
  for (;;) {
    try {
      const response = await api('/v1/dashboard/events');
      if (response.status === 401 || response.status === 403) throw new Denied(response.status);
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      await readEvents(response.body, (data) => receive(JSON.parse(data)));
    } catch (error) {
      if (error instanceof Denied) {
        denied = true;
        showDenied(error.status);
        return;
      }
    }
    setConnection('stale', 'reconnecting…');
    await new Promise((resolve) => setTimeout(resolve, reconnectMs));
  }
}

/** The `data:` lines of each event (text/event-stream), one call per event. */
async function readEvents(body, onData) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line[5] === ' ' ? 6 : 5))
        .join('\n');
      if (data) onData(data);
    }
  }
}

function connect() {
  takeTokenFromFragment();
  void stream();
  setInterval(async () => {
    if (denied || Date.now() - state.lastMessageMs < staleAfterMs) return;
    setConnection('stale', 'no update for a few seconds…');
    try {
      const response = await api('/v1/dashboard');
      if (response.ok) receive(await response.json());
    } catch {
      setConnection('stale', `cannot reach ${state.snapshot?.self ?? 'the node'}`);
    }
  }, 1000);
}

function setConnection(stateName, text) {
  const badge = $('connection');
  badge.dataset.state = stateName;
  badge.textContent = text;
}

async function receive(snapshot) {
  state.snapshot = snapshot;
  state.lastMessageMs = Date.now();
  setConnection('live', `live · ${new Date(snapshot.atMs).toLocaleTimeString()}`);
  if (snapshot.ring.version !== state.ringVersion) {
    try {
      state.ring = await (await api('/v1/ring')).json();
      state.ringVersion = state.ring.version;
    } catch {
      // keep the ring we had; the next snapshot tries again
    }
  }
  render();
}

// ---- Rendering ----

function render() {
  const s = state.snapshot;
  if (!s) return;
  $('cluster').textContent = s.clusterName;
  $('self').textContent = s.self;
  $('ring-version').textContent = `${s.ring.version}${s.ring.transition ? ' (changing)' : ''}`;
  renderAlerts(s);
  renderRing(s);
  renderMembers(s);
  renderLoad(s);
  renderHints(s);
  renderTransfers(s);
  renderRepairs(s);
  renderEvents(s);
}

function renderAlerts(s) {
  const alerts = [];
  for (const node of s.nodes) {
    if (node.reachability === 'down') {
      const held = hintsHeldFor(s, node.name);
      alerts.push(`<div class="alert" data-alert="${escape(node.name)}"><b>${escape(node.name)} is down</b>, as ${escape(s.self)}'s failure detector sees it. Requests go on: its replicas' writes are kept as hints by fallback nodes${held ? ` (${held} held now)` : ''} and handed back when it returns.</div>`);
    } else if (node.report === null) {
      alerts.push(`<div class="alert" data-alert="${escape(node.name)}"><b>${escape(node.name)}</b> does not answer ${escape(s.self)}'s status request (${escape(node.error ?? 'no answer')}).</div>`);
    }
  }
  $('alerts').innerHTML = alerts.join('');
}

function arcPath(startFraction, endFraction, inner, outer) {
  const point = (fraction, radius) => {
    const angle = fraction * 2 * Math.PI - Math.PI / 2;
    return `${(radius * Math.cos(angle)).toFixed(2)} ${(radius * Math.sin(angle)).toFixed(2)}`;
  };
  const large = endFraction - startFraction > 0.5 ? 1 : 0;
  return `M ${point(startFraction, outer)} A ${outer} ${outer} 0 ${large} 1 ${point(endFraction, outer)} L ${point(endFraction, inner)} A ${inner} ${inner} 0 ${large} 0 ${point(startFraction, inner)} Z`;
}

function renderRing(s) {
  const ring = state.ring;
  if (!ring) return;
  const q = ring.partitionCount;
  const down = new Set(s.nodes.filter((n) => n.reachability === 'down').map((n) => n.name));
  const highlighted = state.located?.partition ?? state.hovered;
  const parts = ring.partitions.map((p) => {
    const classes = ['partition', down.has(p.owner) ? 'down' : '', p.partition === highlighted ? 'hl' : ''].join(' ');
    return `<path class="${classes}" data-partition="${p.partition}" data-owner="${escape(p.owner)}" fill="${colorOf(p.owner)}" d="${arcPath(p.partition / q, (p.partition + 1) / q, 78, 112)}"><title>partition ${p.partition}: ${escape(p.preferenceList.join(', '))}</title></path>`;
  });
  // The preference list of the highlighted partition: the next N distinct nodes clockwise (Dynamo §4.3).
  const marks = [];
  if (highlighted !== null && highlighted !== undefined) {
    const list = ring.partitions[highlighted]?.preferenceList ?? [];
    for (let step = 0, found = 0; step < q && found < list.length; step++) {
      const p = ring.partitions[(highlighted + step) % q];
      if (p.owner !== list[found]) continue;
      marks.push(`<path class="replica" d="${arcPath(p.partition / q, (p.partition + 1) / q, 70, 75)}" fill="${colorOf(p.owner)}"/>`);
      found++;
    }
  }
  if (state.located) {
    const angle = state.located.position * 2 * Math.PI - Math.PI / 2;
    const at = (radius) => `${(radius * Math.cos(angle)).toFixed(2)}`;
    const atY = (radius) => `${(radius * Math.sin(angle)).toFixed(2)}`;
    marks.push(`<line class="marker" x1="${at(60)}" y1="${atY(60)}" x2="${at(118)}" y2="${atY(118)}"/><circle cx="${at(118)}" cy="${atY(118)}" r="3"/>`);
  }
  const centre = `<text y="-4">${q} partitions</text><text y="9">N = ${ring.n}</text>`;
  $('ring').innerHTML = parts.join('') + marks.join('') + centre;
  $('ring').dataset.partitions = String(q);
  const owned = new Map();
  for (const p of ring.partitions) owned.set(p.owner, (owned.get(p.owner) ?? 0) + 1);
  $('legend').innerHTML = ring.nodes
    .map((n) => n.name)
    .sort()
    .map((name) => `<span><i class="dot" style="background:${colorOf(name)}"></i>${escape(name)} · ${owned.get(name) ?? 0}${down.has(name) ? ' (down)' : ''}</span>`)
    .join('');
  if (state.located) {
    const l = state.located;
    $('ring-info').innerHTML = `<b>${escape(l.bucket)}/${escape(l.key)}</b> is in partition ${l.partition}; replicas: ${l.preferenceList.map((n) => `<i class="dot" style="background:${colorOf(n)}"></i>${escape(n)}${down.has(n) ? ' (down)' : ''}`).join(' ')}`;
  } else if (state.hovered !== null && state.hovered !== undefined) {
    const p = ring.partitions[state.hovered];
    $('ring-info').innerHTML = `partition <b>${p.partition}</b> owned by ${escape(p.owner)}; a key here is stored on ${p.preferenceList.map((n) => `<i class="dot" style="background:${colorOf(n)}"></i>${escape(n)}${down.has(n) ? ' (down)' : ''}`).join(' ')}`;
  }
}

function lastPoint(node) {
  const history = node.report?.activity.history ?? [];
  return history[history.length - 1];
}

function hintsHeldFor(s, name) {
  let held = 0;
  for (const node of s.nodes) held += node.report?.node.hints.pendingByOwner[name] ?? 0;
  return held;
}

function renderMembers(s) {
  $('members-caption').textContent = `as ${s.self} sees them`;
  $('members').tBodies[0].innerHTML = s.nodes
    .map((node) => {
      const p = lastPoint(node);
      const ops = p ? p.getPerSecond + p.putPerSecond + p.deletePerSecond : null;
      const member = node.report?.node.members.find((m) => m.name === node.name);
      return `<tr data-member="${escape(node.name)}" data-status="${escape(node.reachability)}" data-report="${node.report ? 'ok' : 'unreachable'}">
        <td><i class="dot" style="background:${colorOf(node.name)}"></i>${escape(node.name)}</td>
        <td>${escape(node.membership)}</td>
        <td class="status" data-status="${escape(node.reachability)}">${escape(node.reachability)}${node.report ? '' : ' · no status'}</td>
        <td>${member ? member.partitions : '–'}</td>
        <td>${fmt(ops)}</td>
        <td>${fmt(p?.getP50Ms, ' ms')} / ${fmt(p?.getP99Ms, ' ms')}</td>
        <td>${fmt(p?.putP50Ms, ' ms')} / ${fmt(p?.putP99Ms, ' ms')}</td>
        <td>${hintsHeldFor(s, node.name)}</td>
      </tr>`;
    })
    .join('');
}

/** A sparkline of the last `sparkPoints` values; data-* attributes carry what it shows. */
function spark(node, series, values, color) {
  const shown = values.slice(-sparkPoints);
  const numbers = shown.filter((v) => v !== null && v !== undefined);
  const max = numbers.length ? Math.max(...numbers) : 0;
  const top = max > 0 ? max : 1;
  const points = shown
    .map((v, i) => (v === null || v === undefined ? null : `${((i / (sparkPoints - 1)) * 110).toFixed(1)},${(24 - (v / top) * 22).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  const last = shown.length ? shown[shown.length - 1] : null;
  return `<svg class="spark" viewBox="0 0 110 26" data-node="${escape(node)}" data-series="${series}" data-max="${max}" data-last="${last ?? ''}"><polyline points="${points}" stroke="${color}"/></svg>`;
}

function renderLoad(s) {
  $('load').innerHTML = s.nodes
    .map((node) => {
      const history = node.report?.activity.history ?? [];
      const ops = history.map((p) => p.getPerSecond + p.putPerSecond + p.deletePerSecond);
      const p = history[history.length - 1];
      const color = colorOf(node.name);
      const body = node.report
        ? `<div class="spark-row"><span>ops/s ${fmt(ops[ops.length - 1])}</span>${spark(node.name, 'ops', ops, color)}</div>
           <div class="spark-row"><span>puts/s ${fmt(p?.putPerSecond)}</span>${spark(node.name, 'put-ops', history.map((h) => h.putPerSecond), color)}</div>
           <div class="spark-row"><span>get p50 ${fmt(p?.getP50Ms, 'ms')}</span>${spark(node.name, 'get-p50', history.map((h) => h.getP50Ms), '#888')}</div>
           <div class="spark-row"><span>get p99 ${fmt(p?.getP99Ms, 'ms')}</span>${spark(node.name, 'get-p99', history.map((h) => h.getP99Ms), '#e15759')}</div>
           <div class="spark-row"><span>put p50 ${fmt(p?.putP50Ms, 'ms')}</span>${spark(node.name, 'put-p50', history.map((h) => h.putP50Ms), '#888')}</div>
           <div class="spark-row"><span>put p99 ${fmt(p?.putP99Ms, 'ms')}</span>${spark(node.name, 'put-p99', history.map((h) => h.putP99Ms), '#e15759')}</div>`
        : `<div class="muted">no status: ${escape(node.error ?? 'unreachable')}</div>`;
      return `<div class="card ${node.reachability === 'down' ? 'down' : ''}" data-node="${escape(node.name)}"><h3><i class="dot" style="background:${color}"></i>${escape(node.name)}</h3>${body}</div>`;
    })
    .join('');
}

function renderHints(s) {
  const rows = [];
  for (const node of s.nodes) {
    const hints = node.report?.node.hints;
    if (!hints) continue;
    const owners = Object.entries(hints.pendingByOwner).filter(([, n]) => n > 0);
    const p = lastPoint(node);
    const draining = p && p.hintsDelivered > 0 ? ` · draining ${p.hintsDelivered}/s` : hints.delivering > 0 ? ` · ${hints.delivering} in delivery` : '';
    const held = owners.length ? owners.map(([owner, n]) => `${n} for <i class="dot" style="background:${colorOf(owner)}"></i>${escape(owner)}`).join(', ') : 'none';
    const history = node.report.activity.history.map((h) => h.hintsPending);
    rows.push(`<tr data-holder="${escape(node.name)}"><td>${escape(node.name)}</td><td>${held}${draining}</td><td>${spark(node.name, 'hints', history, '#f28e2b')}</td></tr>`);
  }
  $('hints').innerHTML = `<table><thead><tr><th>holder</th><th>hints held (per owner)</th><th>pending, 60 s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderTransfers(s) {
  const self = s.nodes.find((n) => n.name === s.self)?.report;
  const pending = self?.node.transfers.pending ?? [];
  const done = pending.filter((t) => t.completed).length;
  const active = s.nodes.flatMap((n) => (n.report?.node.transfers.local ?? []).filter((t) => t.state !== 'done'));
  const finished = s.nodes.flatMap((n) => (n.report?.node.transfers.local ?? []).filter((t) => t.state === 'done'));
  let html = '';
  if (pending.length > 0) {
    const percent = Math.round((100 * done) / pending.length);
    html += `<div>membership change: ${done} of ${pending.length} partition transfers done</div><div class="progress" data-done="${done}" data-total="${pending.length}"><div style="width:${percent}%"></div></div>`;
  } else {
    html += '<div class="muted">No membership change is running.</div>';
  }
  if (active.length > 0) {
    html += `<table><thead><tr><th>partition</th><th>from → to</th><th>state</th><th>keys sent</th></tr></thead><tbody>${active
      .map((t) => `<tr><td>${t.partition}</td><td>${escape(t.from)} → ${escape(t.to)}</td><td>${escape(t.state)}</td><td>${t.keysSent}</td></tr>`)
      .join('')}</tbody></table>`;
  }
  if (finished.length > 0) html += `<div class="muted">recently finished: ${finished.slice(0, 8).map((t) => `p${t.partition} ${escape(t.from)}→${escape(t.to)} (${t.keysSent} keys)`).join(', ')}</div>`;
  $('transfers').innerHTML = html;
}

function renderRepairs(s) {
  $('repairs').tBodies[0].innerHTML = s.nodes
    .map((node) => {
      const r = node.report?.node;
      if (!r) return `<tr data-node="${escape(node.name)}"><td>${escape(node.name)}</td><td colspan="9" class="muted">no status</td></tr>`;
      const c = r.counters;
      const failed = c['tombstones.rounds.refused'] + c['tombstones.rounds.unconfirmed'] + c['tombstones.rounds.undelivered'] + c['tombstones.rounds.timeout'];
      return `<tr data-node="${escape(node.name)}"><td>${escape(node.name)}</td><td>${c['aae.exchanges']}</td><td>${c['aae.exchangesInSync']}</td><td>${c['aae.keysRepaired']}</td><td>${c['aae.keysReceived']}</td><td>${r.antiEntropy.keysStored}</td><td>${c['tombstones.rounds']}${failed ? ` (${failed} removed nothing)` : ''}</td><td>${c['tombstones.collected']}</td><td>${c.siblingsCreated}</td><td>${c.siblingsResolved}</td></tr>`;
    })
    .join('');
}

function renderEvents(s) {
  $('events').innerHTML = s.events
    .slice()
    .reverse()
    .slice(0, 80)
    .map((e) => `<li data-kind="${e.kind}" data-level="${e.level}"><time>${new Date(e.atMs).toLocaleTimeString()}</time><span class="node">${escape(e.node)}</span>${escape(e.text)}</li>`)
    .join('');
}

// ---- Interaction ----

$('ring').addEventListener('mouseover', (event) => {
  const partition = event.target.closest?.('.partition')?.dataset.partition;
  if (partition === undefined || (Number(partition) === state.hovered && state.located === null)) return;
  state.hovered = Number(partition);
  state.located = null;
  render();
});

$('locate').addEventListener('submit', async (event) => {
  event.preventDefault();
  const bucket = $('locate-bucket').value.trim();
  const key = $('locate-key').value;
  if (!bucket || !key) return;
  const response = await api(`/v1/ring/locate?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}`);
  const body = await response.json();
  if (!response.ok) {
    $('ring-info').textContent = body.error?.message ?? `HTTP ${response.status}`;
    return;
  }
  state.located = body;
  render();
});

connect();
