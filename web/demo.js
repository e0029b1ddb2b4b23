// @ts-check
// The demo page's own script (shell.html): the tools a shop would give its assistant,
// registered through the widget's JavaScript API. A file of its own, not an inline script,
// so the page works under a strict Content-Security-Policy.
const confab = /** @type {any} */ (window).Confab?.widget;

confab?.tool({
  name: 'get_time',
  description: 'The current time in a time zone.',
  parameters: {
    type: 'object',
    properties: { timezone: { type: 'string', description: 'An IANA time zone such as Europe/Paris' } },
    required: ['timezone'],
    additionalProperties: false,
  },
}, (/** @type {{timezone: string}} */ { timezone }) => {
  const time = new Date().toLocaleTimeString('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit' });
  return { timezone, time };
});

confab?.tool({
  name: 'lookup_order',
  description: 'The status of an order, by its number.',
  parameters: {
    type: 'object',
    properties: { order_id: { type: 'string', pattern: '^NW-[0-9]{4}$', description: 'Like NW-1234' } },
    required: ['order_id'],
    additionalProperties: false,
  },
}, async (/** @type {{order_id: string}} */ { order_id }) => {
  const known = /** @type {Record<string, any>} */ ({
    'NW-1001': { status: 'shipped', carrier: 'Parcelwise', eta: 'Thursday' },
    'NW-1002': { status: 'packing', eta: 'next week' },
  });
  if (!known[order_id]) throw new Error('no order ' + order_id);
  return { order_id, ...known[order_id] };
});
