// The editor of one feature of an editable layer, in the sheet beside the
// map: its shape on the map (drawing.js) and a form generated from the
// layer's schema (schemaform.js), saved through OGC API – Features Part 4
// with the token (POST to add; PATCH, a JSON merge patch of what changed,
// with If-Match on the ETag read; DELETE with If-Match).
//
// When someone else changed the feature meanwhile the service answers 412:
// the editor reads the feature as it is now, shows what changed there and
// what the person changed, and offers to reload it — their changes that do
// not clash are kept on the reloaded version, to check and save again.
// Refusals (403 outside the token's comuni, 409 a frozen plan, 422 a
// geometry or a value the service does not accept) are shown around the
// service's words (problems.js). The features of a civil-protection plan
// that is submitted or validated are shown frozen: nothing can change
// until the plan is returned or reopened.

import { itemsURL } from './catalog.js';
import { button, el } from './dom.js';
import { createDrawing, drawKind } from './drawing.js';
import { t } from './i18n.js';
import { networkProblem, outcomeArea, problemView } from './problems.js';
import { layerTitle, propertyLabel, propertyValue } from './properties.js';
import { buildForm, loadSchema, writableFields } from './schemaform.js';
import { compare, conflictBox, propertyRows } from './conflict.js';
import { frozenStatuses, planLabel } from './civilprotection.js';

/**
 * Returns the editor. deps: map; sheet (sheet.js); session (session.js);
 * collections (id -> collection); choices(collection, preset) -> Promise
 * of {property: [{value, label}]} for the properties that name another
 * thing (comune, community); planOf(collectionID) -> true when the
 * layer's features belong to a civil-protection plan; comuneName(istat);
 * refresh(ids) reloads the tiles of layers after a change; show(id)
 * switches a layer on; hide(collectionID, id) hides a stored feature
 * while its copy is edited and returns what shows it again; active(on)
 * is told when an editor opens or goes.
 */
export function createEditor(deps) {
  const { map, sheet, session, collections, choices, planOf, comuneName, refresh, show, hide, active } = deps;
  let open = false;

  /**
   * Opens the editor of a feature: id null adds a new one. opts: preset
   * (property values of a new feature), onDone(feature|null) after a save
   * or a deletion, force: let the person try even what the token may not
   * (the service then refuses, and the refusal is shown).
   */
  const start = (collectionID, id, { preset = {}, onDone = () => {}, force = false } = {}) => {
    const c = collections.get(collectionID);
    if (!c) return Promise.resolve();
    let drawing = null;
    let restore = () => {};
    return sheet.open({
      name: 'edit',
      title: id === null ? t('edit.title.new', { layer: layerTitle(c) }) : t('edit.title.loading', { layer: layerTitle(c) }),
      loading: t('edit.loading'),
      failure: t('edit.failed'),
      focus: true,
      onLeave: () => {
        open = false;
        drawing?.stop();
        drawing = null;
        restore();
        active(false);
      },
      load: async (signal) => {
        open = true;
        active(true);
        show(collectionID);
        const view = await editorView(c, id, { preset, onDone, force, signal });
        drawing = view.drawing;
        restore = view.restore;
        if (signal.aborted) {
          drawing?.stop();
          restore();
        }
        return view.nodes;
      },
    });
  };

  /** Builds the editor's content for collection c and feature id (null: new). */
  async function editorView(c, id, { preset, onDone, force, signal }) {
    const layerID = c.id;
    const kind = drawKind(c);
    const itemURL = (fid) => `${itemsURL(c)}/${encodeURIComponent(fid)}`;
    const [schema, stored] = await Promise.all([
      loadSchema(`/collections/${encodeURIComponent(layerID)}/schema`),
      id === null ? Promise.resolve(null) : session.send(itemURL(id), { accept: 'application/geo+json', signal }),
    ]);
    if (stored && !stored.ok) return { nodes: [problemView(stored, t('edit.read.failed'), layerID)], drawing: null, restore: () => {} };

    let fid = id;
    let etag = stored?.etag ?? null;
    let base = stored ? { ...stored.data.properties } : {};
    let baseGeometry = stored?.data.geometry ?? null;
    const fields = writableFields(schema);
    const form = buildForm(fields, { layerID, values: stored ? base : preset, choices: await choices(c, preset) });
    form.node.classList.add('edit-form');

    const root = el('div', 'editor');
    root.dataset.layer = layerID;
    const help = el('p', 'hint edit-help');
    help.setAttribute('role', 'status');
    const shapeTools = el('div', 'edit-shape');
    const finishButton = button('button edit-finish', t('edit.finish'), () => drawing.finish());
    const addPartButton = button('button edit-add-part', t('edit.addPart'), () => {
      drawing.addPart();
      finishButton.hidden = false;
      say(t('edit.help.part'));
    });
    const redrawButton = button('button edit-redraw', t('edit.redraw'), () => {
      drawing.draw();
      finishButton.hidden = kind !== 'polygon';
      saveButton.disabled = true;
      say(t(`edit.help.${kind}`));
    });
    shapeTools.append(finishButton, addPartButton, redrawButton);
    const frozen = el('p', 'edit-frozen');
    frozen.setAttribute('role', 'note');
    frozen.hidden = true;
    const { node: outcome, say: setOutcome } = outcomeArea();
    const actions = el('div', 'edit-actions');
    const saveButton = button('button primary edit-save', t('edit.save'), () => save());
    const deleteButton = button('button danger edit-delete', t('edit.delete'), () => askDelete());
    const closeButton = button('button edit-close', t('edit.close'), () => sheet.close());
    actions.append(saveButton, deleteButton, closeButton);
    root.append(help, shapeTools, frozen, form.node, actions, outcome);

    const say = (text) => { help.textContent = text; };
    const name = (props) => props.title ?? props.name ?? String(fid ?? '');
    const retitle = () => {
      sheet.panel.querySelector('#stats-title').textContent = fid === null
        ? t('edit.title.new', { layer: layerTitle(c) })
        : t('edit.title', { name: name(base), layer: layerTitle(c) });
    };

    let locked = false; // a frozen plan, or a comune outside the token's
    const drawing = await createDrawing(map, kind, {
      onDrawn: () => {
        finishButton.hidden = true;
        saveButton.disabled = locked;
        say(t(`edit.help.${kind}.edit`));
      },
      onChange: () => setOutcome(),
    });
    const restore = fid === null ? () => {} : hide(layerID, fid);

    // The frozen plan, for the features of civil-protection plans.
    const checkFrozen = async () => {
      const istat = form.read().istat_code ?? base.istat_code ?? preset.istat_code;
      let reason = '';
      if (planOf(layerID) && typeof istat === 'string' && istat) {
        const plan = await session.send(`/civil-protection/plans/${encodeURIComponent(istat)}`);
        if (plan.ok && frozenStatuses.has(plan.data.status)) {
          reason = t('edit.frozen', { comune: comuneName(istat) || istat, status: planLabel(plan.data.status) });
        }
      }
      if (!reason && !force && typeof istat === 'string' && istat && !session.may('write', istat)) {
        reason = t('edit.notYours', { comune: comuneName(istat) || istat });
      }
      locked = reason !== '';
      frozen.textContent = reason;
      frozen.hidden = !locked;
      root.dataset.frozen = String(locked);
      form.disable(locked);
      // A new feature may still go to a comune where it can be written.
      const istatField = form.node.querySelector('[name=istat_code]');
      if (istatField && fid === null) istatField.disabled = false;
      drawing.lock(locked && fid !== null);
      saveButton.disabled = locked || drawing.geometry() === null;
      deleteButton.disabled = locked;
      shapeTools.hidden = locked && fid !== null;
    };
    form.node.querySelector('[name=istat_code]')?.addEventListener('change', () => checkFrozen());

    if (fid === null) {
      deleteButton.hidden = true;
      addPartButton.hidden = true;
      redrawButton.hidden = true;
      finishButton.hidden = kind !== 'polygon';
      saveButton.disabled = true;
      drawing.draw();
      say(t(`edit.help.${kind}`));
    } else {
      drawing.load(baseGeometry);
      finishButton.hidden = true;
      addPartButton.hidden = kind !== 'polygon' || !(c.geometryType ?? '').startsWith('Multi');
      say(t(`edit.help.${kind}.edit`));
      retitle();
    }
    await checkFrozen();

    /** Shows the stored feature after a save: its values, its shape and its tag. */
    const showStored = (res) => {
      fid = res.data.id ?? fid;
      etag = res.etag;
      base = { ...res.data.properties };
      baseGeometry = res.data.geometry;
      form.set(base);
      form.mark([]);
      drawing.load(baseGeometry);
      root.dataset.feature = String(fid);
      deleteButton.hidden = false;
      redrawButton.hidden = false;
      finishButton.hidden = true;
      addPartButton.hidden = kind !== 'polygon' || !(c.geometryType ?? '').startsWith('Multi');
      say(t(`edit.help.${kind}.edit`));
      retitle();
    };

    async function save() {
      if (!form.check()) return;
      const geometry = drawing.geometry();
      if (drawing.drawing() || !geometry) {
        setOutcome(el('p', 'problem', t('edit.shape.missing')));
        return;
      }
      const values = form.read();
      let res;
      saveButton.disabled = true;
      setOutcome(el('p', 'hint', t('edit.saving')));
      try {
        if (fid === null) {
          const properties = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null));
          res = await session.send(itemsURL(c), {
            method: 'POST', body: { type: 'Feature', geometry, properties }, type: 'application/geo+json', accept: 'application/geo+json',
          });
        } else {
          const changed = form.changed(base);
          const body = {};
          if (changed.length) body.properties = Object.fromEntries(changed.map((k) => [k, values[k]]));
          if (drawing.changed()) body.geometry = geometry;
          if (!body.properties && !body.geometry) {
            setOutcome(el('p', 'hint', t('edit.nothing')));
            return;
          }
          res = await session.send(itemURL(fid), {
            method: 'PATCH', body, type: 'application/merge-patch+json', accept: 'application/geo+json', ifMatch: etag,
          });
        }
      } catch (err) {
        setOutcome(networkProblem(t('edit.save.failed'), err));
        return;
      } finally {
        saveButton.disabled = locked;
      }
      if (res.status === 412) {
        await conflict();
        return;
      }
      if (!res.ok) {
        setOutcome(problemView(res, t('edit.save.failed'), layerID));
        if (res.status === 409) await checkFrozen();
        return;
      }
      showStored(res);
      const done = el('p', 'edit-saved', t('edit.saved', { name: name(base) }));
      setOutcome(done, ...(res.repaired ? [el('p', 'note', t('edit.repaired', { reason: res.repaired }))] : []));
      refresh([layerID]);
      onDone(res.data);
    }

    /** 412: what changed in the service, what the person changed, and a way to reload. */
    async function conflict() {
      const now = await session.send(itemURL(fid), { accept: 'application/geo+json' });
      if (!now.ok) {
        setOutcome(problemView(now, t('edit.read.failed'), layerID));
        return;
      }
      const current = now.data.properties ?? {};
      const mine = form.read();
      const names = fields.map((f) => f.name);
      const { theirs, ours, clash } = compare(names, { base, current, ours: form.changed(base) });
      const theirShape = JSON.stringify(now.data.geometry) !== JSON.stringify(baseGeometry);
      const ourShape = drawing.changed();
      const rows = propertyRows(names, {
        base, current, mine, theirs, ours,
        label: (k) => propertyLabel(layerID, k),
        show: (k, v) => propertyValue(layerID, k, v),
      });
      if (theirShape || ourShape) {
        rows.push({
          key: 'geometry', label: t('edit.conflict.shape'), was: '',
          by: theirShape && ourShape ? 'both' : theirShape ? 'them' : 'you',
          now: theirShape ? t('edit.conflict.moved') : null,
          yours: ourShape ? t('edit.conflict.moved') : null,
        });
      }
      const box = conflictBox({
        title: t('edit.conflict.title'), rows, clash: clash.length > 0 || (theirShape && ourShape),
        onReload: () => {
          // The version of the service, with the person's changes that do not clash.
          const merged = { ...current };
          for (const k of ours) if (!theirs.includes(k)) merged[k] = mine[k];
          const keepShape = ourShape && !theirShape ? drawing.geometry() : null;
          etag = now.etag;
          base = { ...current };
          baseGeometry = now.data.geometry;
          form.set(merged);
          form.mark(clash);
          drawing.load(keepShape ?? baseGeometry);
          if (keepShape) drawing.touched();
          retitle();
          setOutcome(el('p', 'note edit-reloaded', t('edit.conflict.reloaded')));
        },
      });
      setOutcome(box);
    }

    function askDelete() {
      const confirm = button('button danger edit-delete-confirm', t('edit.delete.confirm', { name: name(base) }), async () => {
        let res;
        try {
          res = await session.send(itemURL(fid), { method: 'DELETE', ifMatch: etag });
        } catch (err) {
          setOutcome(networkProblem(t('edit.delete.failed'), err));
          return;
        }
        if (res.status === 412) {
          await conflict();
          return;
        }
        if (!res.ok) {
          setOutcome(problemView(res, t('edit.delete.failed'), layerID));
          return;
        }
        drawing.stop();
        root.replaceChildren(el('p', 'edit-deleted', t('edit.deleted', { name: name(base) })), closeButton);
        refresh([layerID]);
        onDone(null);
      });
      const keep = button('button', t('edit.delete.keep'), () => setOutcome());
      const box = el('div', 'edit-confirm');
      box.append(el('p', '', t('edit.delete.question', { name: name(base) })), confirm, keep);
      setOutcome(box);
      confirm.focus();
    }

    return { nodes: [root], drawing, restore };
  }

  return {
    /** Adds a feature to a collection (preset: values of the form). */
    create: (collectionID, opts) => start(collectionID, null, opts),
    /** Edits a stored feature. */
    edit: (collectionID, id, opts) => start(collectionID, id, opts),
    /** Whether an editor has the map's clicks. */
    busy: () => open,
  };
}
