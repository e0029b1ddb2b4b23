// Tool definitions for measuring the estimate of a request's tools (bench/tokens.mjs): the
// kinds of function a chat widget's host page or a developer offers a model, written here in
// the shapes people write them in (snake_case and camelCase names, enums, optional members,
// descriptions of one phrase or of several sentences, with and without a final period).
// Nested objects and arrays' items are left out of the cookbook's count, which stops at the
// top-level properties, and so they are left out here too.
export const toolDefinitions = [
  { name: 'get_weather', description: 'Get the current weather and a three-day forecast for a city.',
    parameters: { type: 'object', required: ['city'], properties: {
      city: { type: 'string', description: 'The city and country, e.g. Lisbon, Portugal.' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'], description: 'Temperature unit; celsius unless the user asks otherwise.' },
      days: { type: 'integer', description: 'How many days of forecast to return, 0 to 3.' } } } },
  { name: 'search_docs', description: 'Search the product documentation and return the best matching passages with their titles and links. Use it before answering any question about settings, limits or the API.',
    parameters: { type: 'object', required: ['query'], properties: {
      query: { type: 'string', description: 'What to search for, in a few words.' },
      section: { type: 'string', enum: ['guides', 'reference', 'changelog', 'faq'], description: 'Only this part of the documentation.' },
      limit: { type: 'integer', description: 'At most this many passages (default 5).' } } } },
  { name: 'create_ticket', description: 'Open a support ticket on behalf of the user. Only call it after the user has confirmed the title and the description.',
    parameters: { type: 'object', required: ['title', 'body'], properties: {
      title: { type: 'string', description: 'A one-line summary of the problem.' },
      body: { type: 'string', description: 'What happened, what was expected, and the steps to reproduce it.' },
      priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'], description: 'How soon it needs an answer.' },
      email: { type: 'string', description: 'Where to send updates, if not the account email.' } } } },
  { name: 'getStockQuote', description: 'Returns the latest price, change and volume for a ticker symbol',
    parameters: { type: 'object', required: ['symbol'], properties: {
      symbol: { type: 'string', description: 'Ticker symbol such as AAPL or MSFT' },
      exchange: { type: 'string', enum: ['NASDAQ', 'NYSE', 'LSE', 'TSE'], description: 'Exchange to quote from' } } } },
  { name: 'send_email', description: 'Send an email from the user\'s account.',
    parameters: { type: 'object', required: ['to', 'subject', 'body'], properties: {
      to: { type: 'string', description: 'Recipient address.' },
      cc: { type: 'string', description: 'Comma-separated addresses to copy.' },
      subject: { type: 'string', description: 'Subject line.' },
      body: { type: 'string', description: 'Plain-text body of the message.' } } } },
  { name: 'schedule_meeting', description: 'Create a calendar event and invite the attendees. Check availability first with find_free_slots; never double-book the user.',
    parameters: { type: 'object', required: ['title', 'start', 'duration_minutes'], properties: {
      title: { type: 'string', description: 'Event title shown in the calendar.' },
      start: { type: 'string', description: 'Start time in ISO 8601, with the time zone offset (2025-03-14T15:00:00+01:00).' },
      duration_minutes: { type: 'integer', description: 'Length of the meeting in minutes.' },
      attendees: { type: 'array', description: 'Email addresses of the people to invite.' },
      video: { type: 'boolean', description: 'Add a video-call link.' } } } },
  { name: 'run_sql', description: 'Run a read-only SQL query against the analytics warehouse and return up to 200 rows as CSV. Tables: orders(id, customer_id, total, created_at), customers(id, name, country).',
    parameters: { type: 'object', required: ['query'], properties: {
      query: { type: 'string', description: 'A single SELECT statement. No DDL or DML.' } } } },
  { name: 'web_search', description: 'Search the web',
    parameters: { type: 'object', required: ['q'], properties: {
      q: { type: 'string', description: 'query' },
      recency: { type: 'string', enum: ['day', 'week', 'month', 'year', 'any'], description: 'how recent the results must be' } } } },
  { name: 'read_file', description: 'Read a text file from the project workspace and return its contents with line numbers.',
    parameters: { type: 'object', required: ['path'], properties: {
      path: { type: 'string', description: 'Path relative to the workspace root, e.g. src/main.rs.' },
      start_line: { type: 'integer', description: 'First line to return (1-based).' },
      end_line: { type: 'integer', description: 'Last line to return, inclusive.' } } } },
  { name: 'calculate', description: 'Evaluate an arithmetic expression exactly. Supports + - * / ^, parentheses, sqrt() and percentages.',
    parameters: { type: 'object', required: ['expression'], properties: {
      expression: { type: 'string', description: 'The expression, e.g. (17.5 * 3) / 4 + 12%.' } } } },
  { name: 'translate_text', description: 'Translate text into another language, keeping markdown formatting and placeholders like {name} unchanged.',
    parameters: { type: 'object', required: ['text', 'target'], properties: {
      text: { type: 'string', description: 'The text to translate.' },
      target: { type: 'string', enum: ['en', 'fr', 'de', 'es', 'pt', 'it', 'ja', 'zh', 'ar'], description: 'Target language code (ISO 639-1).' },
      formality: { type: 'string', enum: ['default', 'more', 'less'], description: 'Tone, where the language distinguishes it.' } } } },
  { name: 'lookupOrder', description: 'Look up an order by its number and return its status, items, shipping carrier and tracking URL.',
    parameters: { type: 'object', required: ['orderNumber'], properties: {
      orderNumber: { type: 'string', description: 'The order number, like A-10234.' },
      includeItems: { type: 'boolean', description: 'Also list the items.' } } } },
  { name: 'search_flights', description: 'Find direct and one-stop flights between two airports on a date, cheapest first.',
    parameters: { type: 'object', required: ['origin', 'destination', 'date'], properties: {
      origin: { type: 'string', description: 'IATA code of the departure airport (LIS).' },
      destination: { type: 'string', description: 'IATA code of the arrival airport (JFK).' },
      date: { type: 'string', description: 'Departure date, YYYY-MM-DD.' },
      cabin: { type: 'string', enum: ['economy', 'premium_economy', 'business', 'first'], description: 'Cabin class.' },
      passengers: { type: 'integer', description: 'Number of adult passengers, 1 to 9.' } } } },
  { name: 'set_reminder', description: 'Remind the user of something at a given time.',
    parameters: { type: 'object', required: ['text', 'when'], properties: {
      text: { type: 'string', description: 'What to remind them of.' },
      when: { type: 'string', description: 'When, as an ISO 8601 date-time or a phrase like "in 20 minutes" or "tomorrow at 9am".' } } } },
  { name: 'get_time', description: 'Current date and time in a time zone.',
    parameters: { type: 'object', properties: {
      timezone: { type: 'string', description: 'IANA zone name such as Europe/Lisbon or America/New_York; the user\'s zone when omitted.' } } } },
  { name: 'convert_currency', description: 'Convert an amount between currencies at today\'s mid-market rate.',
    parameters: { type: 'object', required: ['amount', 'from', 'to'], properties: {
      amount: { type: 'number', description: 'The amount to convert.' },
      from: { type: 'string', description: 'ISO 4217 code of the source currency (EUR).' },
      to: { type: 'string', description: 'ISO 4217 code of the target currency (USD).' } } } },
  { name: 'summarize_url', description: 'Fetch a web page and return a summary of its main content in at most the given number of words. Refuses pages behind a login.',
    parameters: { type: 'object', required: ['url'], properties: {
      url: { type: 'string', description: 'An http or https URL.' },
      max_words: { type: 'integer', description: 'Upper bound on the summary length.' },
      language: { type: 'string', description: 'Language of the summary; the page\'s own when omitted.' } } } },
  { name: 'create_chart', description: 'Draw a chart from tabular data and return it as an SVG image the widget shows inline.',
    parameters: { type: 'object', required: ['kind', 'data'], properties: {
      kind: { type: 'string', enum: ['bar', 'line', 'pie', 'scatter'], description: 'Chart type.' },
      data: { type: 'string', description: 'CSV with a header row; the first column is the x axis.' },
      title: { type: 'string', description: 'Optional title drawn above the chart.' } } } },
];
