// A long markdown answer, as a model writes one, cut into tokens: headings, paragraphs with
// inline code, links and emphasis, nested and ordered lists, a task list, a quote, a table and
// two fenced code blocks, repeated in numbered sections until it has `count` tokens. A token
// is a word with the space before it, or a run of punctuation (about 4 characters, as in
// OpenAI's tokenizers). Used by bench/render.mjs and tests/browser/render.test.mjs.

const SECTION = (n) => `## ${n}. Setting up the relay, step ${n}

The relay keeps the **API key** on the server, so the page never sees it. Start it with \`confab serve\`
and point the widget at it; see [the docs](https://example.com/docs/${n}) for *every* option.

- Install the package and its ~~old~~ current dependencies
- Configure the endpoint:
  1. the base URL
  2. the model name, for example \`gpt-4o-mini\`
- Restart the service

| setting | default | meaning |
|---|:---:|---:|
| \`--port\` | 8080 | where it listens |
| \`--rate-limit\` | 120/min | per client address |
| \`--max-tokens\` | 4096 | cap on each reply |

\`\`\`js
const chat = Confab.init({ endpoint: '/v1', model: 'chat' });
chat.on('turn_end', (turn) => console.log('done', turn.status, turn.tokens));
for (const word of ['one', 'two', 'three']) await chat.send(word);
\`\`\`

> A quoted note: replies stream as they are written, and stay in the browser.

- [x] relay running
- [ ] widget embedded

\`\`\`python
import json, sys
for line in sys.stdin:
    event = json.loads(line)
    print(event["choices"][0]["delta"].get("content", ""), end="")
\`\`\`

Then reload the page: the conversation comes back, because it is stored in your browser.

`;

/** @returns {{ text: string, tokens: string[] }} */
export function answer(count = 4000) {
  const tokens = [];
  for (let n = 1; tokens.length < count; n++) {
    const text = (n === 1 ? '# A long answer\n\n' : '') + SECTION(n);
    for (const piece of text.match(/\s*[\p{L}\p{N}_]+|\s*[^\s\p{L}\p{N}_]{1,4}|\s+/gu) ?? []) {
      if (tokens.length === count) break;
      tokens.push(piece);
    }
  }
  return { text: tokens.join(''), tokens };
}
