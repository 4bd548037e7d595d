addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
async function handle(req) {
  const url = new URL(req.url);
  if (url.pathname === '/fetch') {
    const r = await fetch(req.headers.get('x-url'));
    const t = await r.text();
    return new Response('fetched ' + r.status + ': ' + t, { status: 200, headers: { 'x-kind': 'fetch' } });
  }
  const body = await req.text();
  return new Response(`method=${req.method} path=${url.pathname}${url.search} echo=${req.headers.get('x-echo')} body=${body}`,
    { status: 201, headers: { 'content-type': 'text/plain', 'x-js': 'yes' } });
}
