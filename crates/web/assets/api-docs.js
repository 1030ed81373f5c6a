// A deliberately small viewer: lists every operation with its parameters, body schema and answers.
fetch('/api/openapi.json').then(r => r.json()).then(doc => {
  const root = document.getElementById('ops');
  root.textContent = '';
  const p = document.createElement('p');
  p.textContent = doc.info.description || '';
  root.appendChild(p);
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      (byTag[tag] = byTag[tag] || []).push([method, path, op]);
    }
  }
  const resolve = ref => ref && ref.$ref ? doc.components.schemas[ref.$ref.split('/').pop()] : ref;
  for (const [tag, ops] of Object.entries(byTag)) {
    const h = document.createElement('h2'); h.textContent = tag; root.appendChild(h);
    for (const [method, path, op] of ops) {
      const d = document.createElement('details'); d.className = 'op';
      const s = document.createElement('summary');
      const m = document.createElement('span'); m.className = 'm ' + method; m.textContent = method.toUpperCase();
      s.appendChild(m); s.appendChild(document.createTextNode(' ' + path + ' — ' + (op.summary || op.description || '')));
      d.appendChild(s);
      const body = document.createElement('div');
      const pre = document.createElement('pre');
      const req = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      pre.textContent = JSON.stringify({
        parameters: op.parameters || [],
        body: req ? resolve(req.schema) : undefined,
        responses: op.responses
      }, null, 2);
      body.appendChild(pre); d.appendChild(body); root.appendChild(d);
    }
  }
});
