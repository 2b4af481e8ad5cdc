// The address search box: a combobox (WAI-ARIA 1.2 pattern "combobox with
// list autocomplete") over GET /coverage/search. Typing asks the service
// after a short pause, and a newer keystroke aborts the request still
// running; arrow keys move through the suggestions, Enter chooses, Escape
// closes the list (or clears the box). Suggestions are civic numbers (with
// their best offer), streets (with their count of civic numbers, or the
// range of numbers when the one typed does not exist) and comuni.

import { getJSON } from './catalog.js';
import { statusBadge } from './coverage.js';
import { el } from './dom.js';
import { t, tc } from './i18n.js';

const debounceMs = 200;
const minChars = 2;
const limit = 8;

/**
 * Wires the search box. input is the combobox, list its listbox, message
 * a live element for "nothing found" and errors; onChoose(result) gets a
 * result of /coverage/search (kind "civico", "street" or "comune").
 * Returns {say(...parts)}, which shows parts (text or nodes) under the box,
 * and {clear()}.
 */
export function enableSearch({ input, list, message, onChoose, onClear = () => {} }) {
  let results = [];
  let active = -1;
  let timer = 0;
  let controller = null;
  let chosen = false; // the box shows a chosen result: focus does not reopen the list
  let enterOn = -1; // the option an Enter went down on; chosen when it comes up

  const say = (...parts) => {
    message.replaceChildren(...parts.filter((p) => p !== ''));
    message.hidden = message.childNodes.length === 0;
  };
  const setActive = (i) => {
    active = i;
    for (const [j, li] of [...list.children].entries()) {
      li.setAttribute('aria-selected', String(j === i));
      if (j === i) li.scrollIntoView({ block: 'nearest' });
    }
    if (i >= 0) input.setAttribute('aria-activedescendant', list.children[i].id);
    else input.removeAttribute('aria-activedescendant');
  };
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    setActive(-1);
  };
  const open = () => {
    if (results.length === 0) return;
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };
  const choose = (i) => {
    const r = results[i];
    if (!r) return;
    input.value = r.label;
    chosen = true;
    close();
    say('');
    onChoose(r);
  };

  const show = (found) => {
    results = found;
    list.replaceChildren(...found.map((r, i) => option(r, i, () => choose(i))));
    setActive(-1);
    if (found.length === 0) {
      close();
      say(t('search.none'));
      return;
    }
    say('');
    open();
  };

  const search = async (q) => {
    controller?.abort();
    controller = new AbortController();
    const url = `/coverage/search?${new URLSearchParams({ q, limit: String(limit) })}`;
    try {
      const body = await getJSON(url, { signal: controller.signal });
      if (input.value.trim() === q) show(body.results ?? []);
    } catch (err) {
      if (err.name === 'AbortError') return;
      results = [];
      list.replaceChildren();
      close();
      say(t('search.failed', { error: err.message }));
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    chosen = false;
    const q = input.value.trim();
    if (q.length < minChars) {
      controller?.abort();
      results = [];
      list.replaceChildren();
      close();
      say('');
      if (q.length === 0) onClear();
      return;
    }
    timer = setTimeout(() => search(q), debounceMs);
  });

  input.addEventListener('keydown', (e) => {
    const n = results.length;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        if (n === 0) return;
        e.preventDefault();
        if (list.hidden) {
          open();
          setActive(e.key === 'ArrowDown' ? 0 : n - 1);
        } else {
          setActive(e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n);
        }
        break;
      case 'Enter':
        // Chosen on keyup: the popup of a civic number takes the focus,
        // and must not get the rest of this keystroke.
        if (list.hidden || n === 0) return;
        e.preventDefault();
        enterOn = active >= 0 ? active : 0;
        break;
      case 'Escape':
        if (!list.hidden) {
          e.preventDefault();
          close();
        } else if (input.value) {
          e.preventDefault();
          input.value = '';
          results = [];
          list.replaceChildren();
          say('');
          onClear();
        }
        break;
      default:
    }
  });
  input.addEventListener('keyup', (e) => {
    if (e.key !== 'Enter' || enterOn < 0) return;
    const i = enterOn;
    enterOn = -1;
    choose(i);
  });
  // The list closes when the focus leaves the box; a click on an option
  // keeps the focus in the box (mousedown is cancelled), so it is chosen.
  input.addEventListener('blur', () => {
    enterOn = -1;
    close();
  });
  input.addEventListener('focus', () => {
    if (!chosen && results.length > 0 && input.value.trim().length >= minChars) open();
  });
  list.addEventListener('mousedown', (e) => e.preventDefault());
  return { say };
}

function option(r, i, onClick) {
  const li = el('li');
  li.id = `search-option-${i}`;
  li.setAttribute('role', 'option');
  li.setAttribute('aria-selected', 'false');
  li.dataset.kind = r.kind;
  const detail = el('span', 'option-detail');
  if (r.kind === 'civico') {
    detail.append(statusBadge(r.best_status ?? 'none'));
    if (r.best_down_mbps) detail.append(' ', t('unit.mbps', { n: r.best_down_mbps }));
  } else if (r.kind === 'comune') {
    detail.textContent = r.civici ? tc('search.comune.civici', r.civici) : t('search.comune');
  } else if (r.missing_number && Array.isArray(r.number_range)) {
    detail.textContent = t('search.missing.short', { number: String(r.missing_number), from: String(r.number_range[0]), to: String(r.number_range[1]) });
  } else {
    detail.textContent = tc('search.street.civici', r.civici ?? 0);
  }
  li.append(el('span', 'option-label', r.label), detail);
  li.addEventListener('click', onClick);
  return li;
}
