/**
 * `use:validated` on every form of every page: the browser still checks the fields (required,
 * type="email", minlength…), but says nothing itself; each invalid field gets our message in the
 * page's language (web/src/lib/validity.ts), tied to it (aria-describedby, aria-invalid) and read out
 * when the first one is focused. The message goes as soon as the field is put right.
 */
import type { Action } from 'svelte/action';
import { i18n } from './lang.svelte.ts';
import { validityMessage } from './validity.ts';

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
let counter = 0;

function isField(target: EventTarget | null): target is Field {
  return (
    target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement
  );
}

function messageOf(field: Field): HTMLElement {
  if (!field.id) field.id = `vigie-field-${(counter += 1)}`;
  const id = `${field.id}-error`;
  const existing = document.getElementById(id);
  if (existing) return existing;
  const message = document.createElement('p');
  message.id = id;
  message.className = 'field-error';
  message.dataset.testid = 'field-error';
  // After the field, or after the label that holds it (the message must not become part of its name).
  (field.closest('label') ?? field).after(message);
  field.setAttribute('aria-describedby', [field.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  return message;
}

function clear(field: Field): void {
  const id = `${field.id}-error`;
  document.getElementById(id)?.remove();
  field.removeAttribute('aria-invalid');
  const rest = (field.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .filter((x) => x && x !== id)
    .join(' ');
  if (rest) field.setAttribute('aria-describedby', rest);
  else field.removeAttribute('aria-describedby');
}

export const validated: Action<HTMLFormElement> = (form) => {
  let first: Field | undefined;
  const onInvalid = (event: Event) => {
    if (!isField(event.target)) return;
    event.preventDefault(); // no bubble in the browser's own language
    const field = event.target;
    messageOf(field).textContent = validityMessage(i18n.lang, field);
    field.setAttribute('aria-invalid', 'true');
    if (!first) {
      // The browser checks every field (one event each), then stops; the first invalid one takes the
      // focus (its message is read out with its name) once all have been checked: after a task, as
      // microtasks run between the events.
      first = field;
      setTimeout(() => {
        first?.focus();
        first = undefined;
      });
    }
  };
  const onEdit = (event: Event) => {
    if (isField(event.target) && event.target.getAttribute('aria-invalid') === 'true' && event.target.validity.valid)
      clear(event.target);
  };
  // `invalid` does not bubble: listened to on the way down.
  form.addEventListener('invalid', onInvalid, true);
  form.addEventListener('input', onEdit);
  form.addEventListener('change', onEdit);
  return {
    destroy() {
      form.removeEventListener('invalid', onInvalid, true);
      form.removeEventListener('input', onEdit);
      form.removeEventListener('change', onEdit);
    },
  };
};
