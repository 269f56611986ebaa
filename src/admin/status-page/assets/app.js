// camrelay status page. Plain JS, no framework, no build step: served as is.
// Live data arrives over /api/stream (Server-Sent Events format) read with fetch() streaming,
// not EventSource, because EventSource cannot send the Authorization header the admin API
// needs off loopback. Reconnects honour the server's `retry:` and always start with a snapshot.
'use strict';
(() => {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const TOKEN_KEY = 'camrelay.admin_token';
  const $ = (sel, el = document) => el.querySelector(sel);
  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = (tag, attrs = {}) => {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };

  // ------------------------------------------------------------ auth + API

  let token = sessionStorage.getItem(TOKEN_KEY);
  let asking = null;

  function askToken(msg) {
    if (asking) return asking;
    const form = $('#auth');
    if (msg) $('#auth-msg').textContent = msg;
    form.hidden = false;
    $('#auth-token').focus();
    asking = new Promise((resolve) => {
      form.onsubmit = (e) => {
        e.preventDefault();
        const v = $('#auth-token').value.trim();
        if (!v) return;
        token = v;
        sessionStorage.setItem(TOKEN_KEY, v);
        form.hidden = true;
        $('#auth-token').value = '';
        asking = null;
        resolve();
      };
    });
    return asking;
  }

  async function api(path, opts = {}) {
    for (let attempt = 0; ; attempt++) {
      const headers = Object.assign({}, opts.headers);
      if (token) headers.authorization = 'Bearer ' + token;
      const res = await fetch(path, Object.assign({}, opts, { headers, cache: 'no-store' }));
      if (res.status !== 401 || attempt >= 5) return res;
      const had = token;
      token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      await askToken(had ? 'That token was refused. Admin token:' : undefined);
    }
  }

  // ------------------------------------------------------------ state

  let config = { cameras: [], zones: [], outputs: [], rules: [], site: { name: 'camrelay' } };
  let state = null;
  let extras = { rates: {}, images: {} };
  const cams = new Map(); // id -> { card, svg, zonesG, targetsG, image, targets: Map, lastFrame }
  const rows = { zones: new Map(), outputs: new Map(), sinks: new Map() };

  const ago = (iso) => {
    if (!iso) return '—';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return new Date(iso).toLocaleString();
  };
  const age = (sec) => (sec === null || sec === undefined ? '—' : sec < 60 ? sec + ' s' : sec < 3600 ? Math.round(sec / 60) + ' min' : Math.round(sec / 3600) + ' h');

  function zonesOf(cam) {
    return config.zones.filter((z) => z.camera === cam || z.camera === '*');
  }

  // ------------------------------------------------------------ cameras

  function cameraCard(id) {
    let c = cams.get(id);
    if (c) return c;
    const card = el('article', { class: 'camera', 'data-camera': id });
    const head = el('div', { class: 'head' });
    head.append(el('span', { class: 'name' }, id), el('span', { class: 'badge', 'data-field': 'online' }, 'never seen'));
    const frame = svg('svg', { class: 'frame', viewBox: '0 0 10000 10000', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'camera ' + id });
    const image = svg('image', { class: 'snap', x: 0, y: 0, width: 10000, height: 10000, preserveAspectRatio: 'none' });
    image.style.display = 'none';
    const zonesG = svg('g', { class: 'zones' });
    const targetsG = svg('g', { class: 'targets' });
    frame.append(image, zonesG, targetsG);
    for (const z of zonesOf(id)) {
      const poly = svg('polygon', { class: 'zone', 'data-zone': z.id, points: z.polygon.map((p) => p.join(',')).join(' ') });
      const t = svg('title');
      t.textContent = z.id;
      poly.append(t);
      const [lx, ly] = z.polygon[0];
      zonesG.append(poly, svg('text', { class: 'zone-label', x: lx + 80, y: ly + 420 }));
      zonesG.lastChild.textContent = z.id;
    }
    const stats = el('div', { class: 'stats' });
    for (const [k, label] of [['last', 'last post'], ['rate', 'posts/s'], ['skew', 'clock skew']])
      stats.append(el('span', {}, label + ': '), el('b', { 'data-field': k }, '—'));
    const snapinfo = el('div', { class: 'snapinfo', 'data-field': 'snap' }, '');
    card.append(head, frame, stats, snapinfo);
    $('#cameras').append(card);
    c = { card, svg: frame, zonesG, targetsG, image, targets: new Map(), lastFrame: 0, imageFile: null };
    cams.set(id, c);
    return c;
  }

  function drawFrame(f) {
    const c = cameraCard(f.camera);
    c.lastFrame = Date.now();
    const seen = new Set();
    for (const t of f.targets) {
      const id = String(t.id);
      seen.add(id);
      let g = c.targets.get(id);
      if (!g) {
        g = svg('g', { class: 'tg' });
        const r = svg('rect', { class: 'target ' + t.cls, 'data-target': id, 'data-cls': t.cls });
        const title = svg('title');
        title.textContent = t.cls + ' #' + id;
        r.append(title);
        const label = svg('text', { class: 'target-label ' + t.cls });
        label.textContent = t.cls;
        g.append(r, label);
        c.targetsG.append(g);
        c.targets.set(id, g);
      }
      const [x1, y1, x2, y2] = t.box;
      const r = g.firstChild;
      r.setAttribute('x', Math.min(x1, x2));
      r.setAttribute('y', Math.min(y1, y2));
      r.setAttribute('width', Math.abs(x2 - x1));
      r.setAttribute('height', Math.abs(y2 - y1));
      g.lastChild.setAttribute('x', Math.min(x1, x2));
      g.lastChild.setAttribute('y', Math.max(Math.min(y1, y2) - 120, 350));
    }
    for (const [id, g] of c.targets) if (!seen.has(id)) { g.remove(); c.targets.delete(id); }
  }

  // Cameras stop posting traject when nothing moves: boxes older than 2 s are stale.
  setInterval(() => {
    for (const c of cams.values())
      if (c.targets.size && Date.now() - c.lastFrame > 2000) {
        for (const g of c.targets.values()) g.remove();
        c.targets.clear();
      }
  }, 500);

  async function showImage(c, file) {
    if (!file || c.imageFile === file) return;
    c.imageFile = file;
    try {
      // fetched (not <image href>) so the Authorization header goes along off loopback
      const res = await api('/images/' + file.split('/').map(encodeURIComponent).join('/'));
      if (!res.ok) return;
      const url = URL.createObjectURL(await res.blob());
      const old = c.image.getAttribute('href');
      c.image.setAttribute('href', url);
      c.image.style.display = '';
      if (old && old.startsWith('blob:')) URL.revokeObjectURL(old);
    } catch {
      c.imageFile = null;
    }
  }

  function renderCameras() {
    const ids = new Set(config.cameras.map((c) => c.id));
    for (const c of state.cameras) ids.add(c.id);
    for (const id of ids) {
      const c = cameraCard(id);
      const s = state.cameras.find((x) => x.id === id);
      const name = (s && s.name) || (config.cameras.find((x) => x.id === id) || {}).name || id;
      $('.name', c.card).textContent = name;
      const badge = $('[data-field="online"]', c.card);
      const online = s ? s.online : null;
      badge.textContent = online === null ? 'never seen' : online ? 'online' : 'offline';
      badge.className = 'badge ' + (online === null ? '' : online ? 'online' : 'offline');
      c.card.dataset.online = String(online);
      $('[data-field="last"]', c.card).textContent = ago(s && s.last_seen);
      const rate = extras.rates[id];
      $('[data-field="rate"]', c.card).textContent = rate === undefined ? '0' : String(rate);
      $('[data-field="skew"]', c.card).textContent = s && s.clock_skew_s !== null ? s.clock_skew_s.toFixed(1) + ' s' : '—';
      const img = extras.images[id];
      $('[data-field="snap"]', c.card).textContent = img ? 'snapshot: ' + img.type + ', ' + ago(img.time) : 'no alarm snapshot yet';
      if (img) showImage(c, img.file);
      for (const poly of c.zonesG.querySelectorAll('polygon')) {
        const z = state.zones.find((x) => x.id === poly.dataset.zone);
        poly.classList.toggle('occupied', !!(z && z.presence));
      }
    }
  }

  // ------------------------------------------------------------ tables

  function row(kind, id, cells) {
    let tr = rows[kind].get(id);
    if (!tr) {
      tr = el('tr', { ['data-' + kind.slice(0, -1)]: id });
      for (let i = 0; i < cells; i++) tr.append(el('td'));
      $('#' + kind + ' tbody').append(tr);
      rows[kind].set(id, tr);
    }
    return tr.children;
  }

  function renderZones() {
    for (const z of state.zones) {
      const td = row('zones', z.id, 4);
      td[0].textContent = z.id;
      td[1].replaceChildren(el('span', { class: 'pill' + (z.presence ? ' occupied' : '') }, z.presence ? 'occupied' : 'clear'));
      td[2].textContent = String(z.count);
      td[3].textContent = ago(z.since);
      td[0].parentElement.dataset.presence = String(z.presence);
    }
  }

  // Outputs are cards (not table rows): four buttons and a reason do not fit a phone-wide row.
  const outputCards = new Map();
  function renderOutputs() {
    for (const o of state.outputs) {
      let c = outputCards.get(o.id);
      if (!c) {
        const card = el('div', { class: 'output', 'data-output': o.id });
        const head = el('div', { class: 'ohead' });
        const name = el('span', { class: 'oname' });
        const pill = el('span', { class: 'pill' });
        const mode = el('span', { class: 'mode' });
        head.append(name, pill, mode);
        const why = el('div', { class: 'reason' });
        const buttons = el('div', { class: 'buttons' });
        for (const [cmd, label] of [['on', 'On'], ['off', 'Off'], ['auto', 'Auto'], ['on-for', 'On for N s']]) {
          const b = el('button', { type: 'button', 'data-output': o.id, 'data-cmd': cmd }, label);
          b.onclick = () => command(o.id, cmd, b);
          buttons.append(b);
        }
        card.append(head, why, buttons);
        $('#outputs').append(card);
        c = { card, name, pill, mode, why };
        outputCards.set(o.id, c);
      }
      c.card.dataset.state = o.state;
      c.card.dataset.mode = o.mode;
      const cfg = config.outputs.find((x) => x.id === o.id);
      c.name.textContent = cfg && cfg.name !== o.id ? cfg.name + ' (' + o.id + ')' : o.id;
      c.pill.textContent = o.state;
      c.pill.className = 'pill' + (o.state === 'ON' ? ' on' : '');
      c.mode.textContent = o.mode + (o.available ? '' : ' · driver unavailable');
      c.mode.className = 'mode' + (o.available ? '' : ' unavailable');
      c.why.textContent = o.reason + ' · ' + ago(o.since);
    }
  }

  async function command(id, cmd, button) {
    const body = cmd === 'on-for' ? { state: 'on', for_s: Math.max(1, Number($('#for-s').value) || 10) } : { state: cmd };
    const err = $('#output-error');
    button.disabled = true;
    try {
      const res = await api('/api/outputs/' + encodeURIComponent(id), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const j = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(j.error || 'HTTP ' + res.status);
      err.hidden = true;
      if (j.output && state) {
        state.outputs = state.outputs.map((o) => (o.id === id ? j.output : o));
        renderOutputs();
      }
    } catch (e) {
      err.textContent = id + ': ' + e.message;
      err.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function renderSinks() {
    for (const s of state.sinks) {
      const td = row('sinks', s.name, 5);
      td[0].replaceChildren(document.createTextNode(s.name));
      if (s.last_error) td[0].append(el('div', { class: 'reason' }, s.last_error));
      const c = s.connected;
      td[1].replaceChildren(el('span', { class: 'pill' + (c === true ? ' on' : c === false ? ' bad' : '') }, c === null ? 'n/a' : c ? 'yes' : 'no'));
      td[2].textContent = String(s.depth);
      td[3].textContent = age(s.oldest_age_s);
      td[4].textContent = String(s.dead_letters);
    }
    if (!state.sinks.length && !rows.sinks.size && !$('#sinks tbody').firstChild) {
      const tr = el('tr');
      tr.append(el('td', { colspan: 5, class: 'muted' }, 'no sinks configured'));
      $('#sinks tbody').append(tr);
    }
    const st = state.storage;
    $('#storage').textContent = st
      ? 'storage: ' + (st.open && st.writable ? 'ok' : 'NOT WRITABLE' + (st.last_error ? ' (' + st.last_error + ')' : '')) + ', db ' + Math.round((st.db_bytes + st.wal_bytes) / 1024) + ' KiB'
      : '';
  }

  function render() {
    if (!state) return;
    $('#site').textContent = state.site.name || state.site.id;
    document.title = (state.site.name || state.site.id) + ' · camrelay';
    renderCameras();
    renderZones();
    renderOutputs();
    renderSinks();
  }
  setInterval(render, 1000); // relative times ("12 s ago")

  // ------------------------------------------------------------ events

  let events = [];
  let eventsTimer = null;
  async function loadEvents() {
    eventsTimer = null;
    try {
      const res = await api('/api/events?limit=50');
      if (!res.ok) return;
      // /api/events returns the stored CloudEvents: type "camrelay.<type>", camera as subject
      events = (await res.json()).events.map((e) => {
        const ev = e.event || {};
        const data = ev.data || {};
        return { seq: e.seq, type: String(ev.type || '').replace(/^camrelay\./, ''), camera: ev.subject || data.camera || '', time: ev.time || e.stored_at, data };
      });
      renderEvents();
    } catch {
      /* next committed message retries */
    }
  }
  function eventsChanged() {
    if (!eventsTimer) eventsTimer = setTimeout(loadEvents, 1000);
  }
  function detail(ev) {
    const d = ev.data;
    const parts = [];
    for (const k of ['zone', 'output', 'reason', 'plate', 'class', 'count', 'state']) if (d[k] !== undefined) parts.push(k + '=' + (typeof d[k] === 'object' ? JSON.stringify(d[k]) : d[k]));
    return parts.join(' ');
  }
  function renderEvents() {
    const q = $('#ev-filter').value.trim().toLowerCase();
    const type = $('#ev-type').value;
    const sel = $('#ev-type');
    const types = [...new Set(events.map((e) => e.type))].sort();
    const have = new Set([...sel.options].map((o) => o.value));
    for (const t of types) if (!have.has(t)) sel.append(el('option', { value: t }, t));
    const list = $('#events');
    list.replaceChildren();
    for (const ev of events) {
      if (type && ev.type !== type) continue;
      const text = ev.type + ' ' + ev.camera + ' ' + detail(ev);
      if (q && !text.toLowerCase().includes(q)) continue;
      const li = el('li', { 'data-type': ev.type });
      li.append(
        el('span', { class: 'muted', title: ev.time }, new Date(ev.time).toTimeString().slice(0, 8)),
        el('span', { class: 'type' }, ev.type),
        el('span', {}, ev.camera),
        el('span', { class: 'detail', title: detail(ev) }, detail(ev)),
      );
      list.append(li);
    }
    if (!list.firstChild) list.append(el('li', { class: 'muted' }, events.length ? 'no event matches the filter' : 'no events yet'));
  }
  $('#ev-filter').addEventListener('input', renderEvents);
  $('#ev-type').addEventListener('change', renderEvents);

  // ------------------------------------------------------------ stream

  function setConn(s, text) {
    const c = $('#conn');
    c.dataset.state = s;
    c.textContent = text || s;
  }

  let heartbeatMs = 15000;
  function onMessage(type, data) {
    if (type === 'snapshot' && data.heartbeat_ms) heartbeatMs = data.heartbeat_ms;
    if (type === 'snapshot' || type === 'state') {
      state = data.state;
      extras = { rates: data.rates || {}, images: data.images || {} };
      render();
      if (type === 'snapshot') {
        for (const f of data.frames || []) drawFrame(f);
        loadEvents();
      }
    } else if (type === 'traject') drawFrame(data);
    else if (type === 'committed') eventsChanged();
  }

  async function stream() {
    let retry = 2000;
    for (;;) {
      const ctl = new AbortController();
      let lastData = Date.now();
      // a VPN that silently drops packets never closes the connection: watch for heartbeats
      const watchdog = setInterval(() => {
        if (Date.now() - lastData > 3 * heartbeatMs) ctl.abort();
      }, 5000);
      try {
        const res = await api('/api/stream', { signal: ctl.signal, headers: { accept: 'text/event-stream' } });
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        setConn('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          lastData = Date.now();
          buf += value.replace(/\r\n?/g, '\n');
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue; // heartbeat comment
              const m = /^([^:]*):? ?(.*)$/.exec(line);
              if (!m) continue;
              if (m[1] === 'event') event = m[2];
              else if (m[1] === 'data') data.push(m[2]);
              else if (m[1] === 'retry' && /^\d+$/.test(m[2])) retry = Number(m[2]);
            }
            if (data.length) {
              try {
                onMessage(event, JSON.parse(data.join('\n')));
              } catch (e) {
                console.error('status page: bad message', event, e);
              }
            }
          }
        }
      } catch {
        /* reconnect below */
      } finally {
        clearInterval(watchdog);
      }
      setConn('reconnecting', 'reconnecting…');
      await new Promise((r) => setTimeout(r, retry));
    }
  }

  async function start() {
    try {
      const res = await api('/api/status-page/config');
      if (res.ok) config = await res.json();
    } catch {
      /* the stream's snapshot still draws cameras, without polygons */
    }
    $('#site').textContent = (config.site && (config.site.name || config.site.id)) || 'camrelay';
    for (const c of config.cameras) cameraCard(c.id);
    stream();
  }
  start();
})();
