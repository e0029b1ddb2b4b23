// @ts-check
// The widget's stylesheet, adopted by its shadow root as a constructed stylesheet: no inline
// style, no <style> element, so a page with `style-src 'self'` needs nothing more. Colours,
// fonts, radius and sizes are custom properties a site may set on `confab-chat`.
// `:host` rules are !important because the host element sits in the page, where rules such
// as `* { all: unset }` reach it; nothing inside the shadow root is reachable from outside.

// The dark theme: with prefers-color-scheme: dark unless the site set `theme: "light"`, or always with `theme: "dark"`.
const dark = '--confab-accent:#8ab4ff;--confab-on-accent:#0b1220;--confab-bg:#16181d;--confab-fg:#e6e8eb;' +
  '--confab-muted:#a3abb5;--confab-line:#3a404a;--confab-user:#232a3a;--confab-code:#0f1115;--confab-error:#ff8f84';

export const css = `
:host{all:initial!important;display:block!important;box-sizing:border-box!important;
--confab-accent:#1d4ed8;--confab-on-accent:#fff;--confab-bg:#fff;--confab-fg:#1f2328;--confab-muted:#57606a;
--confab-line:#d0d7de;--confab-user:#eef2ff;--confab-code:#f6f8fa;--confab-error:#b42318;--confab-radius:12px;
--confab-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
font:15px/1.45 var(--confab-font)!important;color:var(--confab-fg)!important;text-align:left!important}
:host([floating]){position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483000!important;width:auto!important;height:auto!important;margin:0!important;padding:0!important}
:host([floating][data-position=left]){right:auto!important;left:20px!important}
:host([inline]){height:var(--confab-height,560px)!important;max-width:100%!important}
@media (prefers-color-scheme:dark){:host(:not([data-theme=light])){${dark}}}
:host([data-theme=dark]){${dark}}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;color:inherit;cursor:pointer;border:1px solid var(--confab-line);background:var(--confab-bg);border-radius:8px;padding:4px 10px;min-height:32px}
button:focus-visible,textarea:focus-visible,input:focus-visible,summary:focus-visible,a:focus-visible{outline:2px solid var(--confab-accent);outline-offset:2px}
.launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--confab-accent);color:var(--confab-on-accent);display:grid;place-items:center;box-shadow:0 4px 16px rgba(0,0,0,.25);padding:0}
.launcher svg{width:28px;height:28px;fill:currentColor}
.launcher[aria-busy=true]{opacity:.7}
.panel{display:flex;flex-direction:column;background:var(--confab-bg);color:var(--confab-fg);border:1px solid var(--confab-line);border-radius:var(--confab-radius);overflow:hidden}
:host([floating]) .panel{position:absolute;right:0;bottom:72px;width:min(400px,calc(100vw - 40px));height:min(600px,calc(100vh - 120px));box-shadow:0 8px 32px rgba(0,0,0,.25)}
:host([floating][data-position=left]) .panel{right:auto;left:0}
:host([inline]) .panel{height:100%}
@media (max-width:480px){:host([floating]) .panel{position:fixed;left:0;right:0;top:var(--confab-viewport-top,0px);bottom:auto;width:auto;
height:var(--confab-viewport-height,100dvh);border:0;border-radius:0;box-shadow:none;
padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}}
header{display:flex;align-items:center;gap:6px;padding:8px 10px;border-bottom:1px solid var(--confab-line)}
header h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.notices{display:flex;flex-direction:column;gap:4px;padding:0 10px}
.notice{display:flex;gap:8px;align-items:center;margin-top:8px;padding:6px 10px;border-radius:8px;background:var(--confab-code);border:1px solid var(--confab-line);font-size:13px}
.notice p{flex:1;margin:0}
.sessions{padding:8px 10px;border-bottom:1px solid var(--confab-line);max-height:50%;overflow:auto}
.sessions ul{list-style:none;margin:0 0 8px;padding:0}
.sessions li{display:flex;gap:4px;align-items:center;padding:2px 0}
.sessions li .pick{flex:1;text-align:left;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;border-color:transparent}
.sessions li[aria-current=true] .pick{font-weight:600;border-color:var(--confab-line)}
.sessions input{flex:1;font:inherit;padding:4px}
.log{flex:1;overflow:auto;padding:10px;background:var(--confab-bg);contain:strict}
.log>*{margin:0 0 10px}
.msg{max-width:92%;padding:8px 12px;border-radius:var(--confab-radius);overflow-wrap:anywhere}
.msg.user{width:fit-content;margin-left:auto;background:var(--confab-user);white-space:pre-wrap}
.msg.assistant{max-width:100%;border:1px solid var(--confab-line)}
/* A reply's blocks come in groups (markdown.js's place()). Each group and each block paints on its own
   (contain:paint), so drawing the block that grows neither lays out nor paints the groups before it again; 4 px is
   room for a focus outline. A contained box keeps its children's margins inside (so a quote has its own 1em, which
   its paragraphs used to lend it), and margins do not meet across groups: blocks are spaced by the margin above
   them alone, so that the space is the same inside a group and across two. (Above, not below: a block that stops
   being a group's last, as each new one comes, would have its group styled again with it.) */
.msg .body>*,.msg .body>.blocks>*{contain:paint;overflow-clip-margin:4px}
.msg .body>*{margin:0}.msg .body>.blocks>*{margin:1em 0 0}
.msg .body>.blocks>:is(h1,h2,h3,h4,h5,h6){margin-top:revert}
.msg .body>:first-child>:first-child{margin-top:0}.msg .body>.blocks~.refusal{margin-top:1em}
.msg .body>*>blockquote>:first-child,.msg .body>*>*>li:first-child>p:first-child{margin-top:0}
.msg .body>*>blockquote>:last-child,.msg .body>*>*>li:last-child>p:last-child{margin-bottom:0}
.msg footer{display:flex;gap:8px;flex-wrap:wrap;margin-top:4px;font-size:12px;color:var(--confab-muted);white-space:normal}
.msg .refusal{color:var(--confab-error)}
details{margin:4px 0}
summary{cursor:pointer;color:var(--confab-muted);font-size:13px}
.reasoning{white-space:pre-wrap;color:var(--confab-muted);font-size:13px;border-left:3px solid var(--confab-line);padding-left:8px}
.call pre,.code pre{margin:4px 0;padding:8px;background:var(--confab-code);border-radius:6px;overflow:auto;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap}
.code{display:grid}.code>*{grid-area:1/1}.code pre{padding-top:30px}
.code .copy{justify-self:end;align-self:start;margin:4px;z-index:0;font-size:12px;min-height:24px;padding:0 8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
table{border-collapse:collapse;margin:6px 0;display:block;overflow:auto}
th,td{border:1px solid var(--confab-line);padding:4px 8px}
.align-center{text-align:center}.align-right{text-align:right}.align-left{text-align:left}
a{color:var(--confab-accent)}
li.task{list-style:none}
blockquote{margin:1em 0;padding-left:10px;border-left:3px solid var(--confab-line);color:var(--confab-muted)}
.error{display:flex;gap:8px;align-items:center;padding:8px 12px;border-radius:8px;border:1px solid var(--confab-error);color:var(--confab-error)}
.error p{flex:1;margin:0}
.compose{display:flex;gap:6px;align-items:flex-end;padding:8px 10px;border-top:1px solid var(--confab-line)}
.compose textarea{flex:1;resize:none;font:inherit;color:inherit;background:var(--confab-bg);border:1px solid var(--confab-line);border-radius:8px;padding:7px 10px;max-height:160px;min-height:36px;overflow-y:auto}
.compose .send{background:var(--confab-accent);color:var(--confab-on-accent);border-color:var(--confab-accent)}
.empty{margin:40% 0 0;color:var(--confab-muted);text-align:center}
.older{min-height:1px}
.jump{align-self:center;margin:-44px auto 8px;position:relative;z-index:1;background:var(--confab-accent);color:var(--confab-on-accent);border-color:var(--confab-accent);border-radius:999px;box-shadow:0 2px 8px rgba(0,0,0,.2)}
.announce{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
@media (prefers-reduced-motion:no-preference){.panel{animation:confab-in .16s ease-out}
button{transition:background-color .12s,border-color .12s}}
@keyframes confab-in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}
/* Touch: every control at least 44 px (WCAG 2.5.5), last so that it wins. */
@media (max-width:480px),(pointer:coarse){button,summary{min-height:44px;min-width:44px}.compose textarea{min-height:44px}.code .copy{min-height:44px}
}
`;
