// The header rule tester on the Trunks page: pick a trunk (its [[trunk.rule]] list is
// loaded as JSON, editable here to try changes before writing them to the config file),
// a direction and a pasted SIP message; POST /api/rules/test answers the message as the
// rules leave it and what each rule did. Nothing is saved or applied.

import { api } from '../api.js';
import { h, replace, field } from '../ui.js';

const SAMPLE = [
  'INVITE sip:+4930555123@pbx.example SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1',
  'From: "Alice" <sip:+4930111@10.0.0.1>;tag=a1',
  'To: <sip:+4930555123@pbx.example>',
  'Call-ID: test-1@10.0.0.1',
  'CSeq: 1 INVITE',
  'Contact: <sip:sbc@10.0.0.1:5060>',
  'Content-Length: 0',
  '',
  '',
].join('\n');

export function ruleTester(trunks) {
  const trunk = h('select', {}, trunks.map((t) => h('option', { value: t.name }, t.name)));
  const rules = h('textarea', { rows: 8, spellcheck: 'false' });
  const direction = h(
    'select',
    {},
    h('option', { value: 'outbound' }, 'outbound: what the SBC sends to the trunk'),
    h('option', { value: 'inbound' }, 'inbound: what the trunk sends, before routing'),
  );
  const message = h('textarea', { rows: 10, spellcheck: 'false' }, SAMPLE);
  // What ${other.<Header>} reads: the message the SBC received on the call's other leg.
  const other = h('textarea', { rows: 6, spellcheck: 'false', placeholder: 'Optional: the other leg’s message, for ${other.<Header>}' });
  const result = h('div', { 'aria-live': 'polite' });
  const fillRules = () => {
    const t = trunks.find((x) => x.name === trunk.value);
    rules.value = JSON.stringify((t && t.rule) || [], null, 2);
  };
  trunk.addEventListener('change', fillRules);
  fillRules();

  async function run() {
    let parsed;
    try {
      parsed = JSON.parse(rules.value || '[]');
    } catch (err) {
      replace(result, h('div', { class: 'banner error', role: 'alert' }, `The rules are not JSON: ${err.message}`));
      return;
    }
    try {
      const body = { message: message.value, direction: direction.value, rule: parsed };
      if (other.value.trim()) body.other = other.value;
      const r = await api('POST', '/api/rules/test', { body });
      replace(
        result,
        h(
          'ol',
          { class: 'small' },
          r.outcomes.map((o) => h('li', {}, `rule[${o.rule}]: ${o.result}${o.reason ? ` (${o.reason})` : ''}`)),
        ),
        h('pre', { class: 'diff', 'aria-label': 'Message after the rules' }, r.message),
      );
    } catch (err) {
      replace(result, h('div', { class: 'banner error', role: 'alert' }, err.field ? `${err.field}: ${err.message}` : err.message));
    }
  }

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'rule-tester-h' },
    h('h2', { id: 'rule-tester-h' }, 'Header rule tester'),
    h('p', { class: 'muted' }, 'Try a trunk’s header manipulation rules on a message. The rules are the trunk’s [[trunk.rule]] list as JSON; changes here are not saved.'),
    h(
      'div',
      { class: 'grid-2' },
      field('Trunk', trunk),
      field('Direction', direction),
      h('div', { class: 'span-2' }, field('Rules (JSON)', rules)),
      h('div', { class: 'span-2' }, field('SIP message', message)),
      h('div', { class: 'span-2' }, field('Other leg’s message', other)),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: run }, 'Test rules')),
    result,
  );
}
