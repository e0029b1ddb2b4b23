// @ts-check
// Every word the widget shows or says to a screen reader, in English and French. A site picks
// the language with the `lang` setting (else the page's <html lang>, when it is one of these),
// and may replace any string with the `strings` setting: {key: text}, `{name}`-style holes
// filled in here. Words the core writes (error messages from the provider or the relay, and
// the core's own, such as "stopped by the visitor") are not in this table.

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} Text */

export const en = {
  openChat: 'Open chat: {title}', title: 'Chat', placeholder: 'Type a message\u2026', conversations: 'Conversations', newChat: 'New chat',
  close: 'Close chat', import: 'Import a conversation\u2026', importName: 'Import a conversation from a file',
  messages: 'Messages', message: 'Message', send: 'Send', sendName: 'Send message', stop: 'Stop',
  stopName: 'Stop the reply', jump: 'Jump to latest', retry: 'Retry', retryName: 'Retry the reply', dismiss: 'Dismiss',
  untitled: 'New chat', open: 'Open {name}', rename: 'Rename', renameName: 'Rename {name}', export: 'Export',
  exportName: 'Export {name}', delete: 'Delete', deleteName: 'Delete {name}', newName: 'New name for {name}',
  save: 'Save', saveName: 'Save the name', thinking: 'Thinking', arguments: 'Arguments', result: 'Result',
  toolCall: 'Tool call: {name}', empty: 'Ask anything to start.', stopped: 'Stopped', incomplete: 'Incomplete',
  tokens: '{n} tokens', deleted: 'Deleted \u201c{name}\u201d.', undo: 'Undo',
  deletedElsewhere: '\u201c{name}\u201d was deleted in another tab.',
  renameFailed: 'Could not rename the conversation: {error}',
  damaged: 'One saved conversation could not be opened because its file is damaged ({error}). It was left as it is; your other conversations are fine.',
  keyRefused: 'This chat is set up with an API key that was refused for safety; it will talk to the server without it.',
  blocked: 'This browser is not letting the chat save conversations (storage is blocked, as in a private window). You can keep chatting; this conversation will be gone when you close the page.',
  full: 'Your browser\u2019s storage for this site is full, so the latest messages could not be saved. You can keep chatting; they are kept until you close the page.',
  unsaved: 'The latest messages could not be saved in this browser. You can keep chatting; they are kept until you close the page.',
  copy: 'Copy', copyCode: 'Copy code', copyLang: 'Copy {lang} code', copied: 'Copied', copyFailed: 'Copy failed',
};

/** @type {typeof en} */
export const fr = {
  openChat: 'Ouvrir la discussion\u00a0: {title}', title: 'Discussion', placeholder: '\u00c9crivez un message\u2026', conversations: 'Conversations', newChat: 'Nouvelle discussion',
  close: 'Fermer la discussion', import: 'Importer une conversation\u2026', importName: 'Importer une conversation depuis un fichier',
  messages: 'Messages', message: 'Message', send: 'Envoyer', sendName: 'Envoyer le message', stop: 'Arr\u00eater',
  stopName: 'Arr\u00eater la r\u00e9ponse', jump: 'Aller au dernier message', retry: 'R\u00e9essayer', retryName: 'R\u00e9essayer la r\u00e9ponse',
  dismiss: 'Fermer', untitled: 'Nouvelle discussion', open: 'Ouvrir {name}', rename: 'Renommer', renameName: 'Renommer {name}',
  export: 'Exporter', exportName: 'Exporter {name}', delete: 'Supprimer', deleteName: 'Supprimer {name}',
  newName: 'Nouveau nom pour {name}', save: 'Enregistrer', saveName: 'Enregistrer le nom', thinking: 'R\u00e9flexion',
  arguments: 'Arguments', result: 'R\u00e9sultat', toolCall: 'Appel d\u2019outil\u00a0: {name}', empty: 'Posez une question pour commencer.',
  stopped: 'Arr\u00eat\u00e9', incomplete: 'Incomplet', tokens: '{n} jetons', deleted: '\u00ab\u00a0{name}\u00a0\u00bb supprim\u00e9e.', undo: 'Annuler',
  deletedElsewhere: '\u00ab\u00a0{name}\u00a0\u00bb a \u00e9t\u00e9 supprim\u00e9e dans un autre onglet.',
  renameFailed: 'Impossible de renommer la conversation\u00a0: {error}',
  damaged: 'Une conversation enregistr\u00e9e n\u2019a pas pu \u00eatre ouverte, car son fichier est endommag\u00e9 ({error}). Il a \u00e9t\u00e9 laiss\u00e9 tel quel\u00a0; vos autres conversations sont intactes.',
  keyRefused: 'Cette discussion est configur\u00e9e avec une cl\u00e9 d\u2019API refus\u00e9e par s\u00e9curit\u00e9\u00a0; elle parlera au serveur sans elle.',
  blocked: 'Ce navigateur ne permet pas d\u2019enregistrer les conversations (stockage bloqu\u00e9, comme en navigation priv\u00e9e). Vous pouvez continuer\u00a0; cette conversation dispara\u00eetra \u00e0 la fermeture de la page.',
  full: 'Le stockage de ce site est plein dans votre navigateur\u00a0: les derniers messages n\u2019ont pas pu \u00eatre enregistr\u00e9s. Vous pouvez continuer\u00a0; ils restent l\u00e0 jusqu\u2019\u00e0 la fermeture de la page.',
  unsaved: 'Les derniers messages n\u2019ont pas pu \u00eatre enregistr\u00e9s dans ce navigateur. Vous pouvez continuer\u00a0; ils restent l\u00e0 jusqu\u2019\u00e0 la fermeture de la page.',
  copy: 'Copier', copyCode: 'Copier le code', copyLang: 'Copier le code {lang}', copied: 'Copi\u00e9', copyFailed: '\u00c9chec de la copie',
};

const LANGUAGES = /** @type {Record<string, typeof en>} */ ({ en, fr });

/**
 * The widget's words for `settings` ({lang, strings}): a function of a key and its holes.
 * @param {Record<string, any>} settings
 * @returns {{ t: Text, lang: string }}
 */
export function strings(settings) {
  const wanted = String(settings.lang ?? document.documentElement.lang ?? 'en').toLowerCase().split('-')[0];
  const lang = wanted in LANGUAGES ? wanted : 'en';
  let own = settings.strings ?? {};
  if (typeof own === 'string') {
    try { own = JSON.parse(own); } catch { own = {}; }
  }
  /** @type {Record<string, string>} */
  const table = { ...LANGUAGES[lang], ...own };
  const t = (/** @type {string} */ key, /** @type {Record<string, string | number>=} */ vars = {}) =>
    String(table[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  return { t, lang };
}
