import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Member, NodeState, decideAlive, decideDead, decideSuspect } from './node-state.ts';

function member(state: NodeState, incarnation: number): Member {
  return { name: 'n', addr: 'h:1', meta: { zone: 'a' }, incarnation, state, stateChangeMs: 0 };
}

test('decideAlive() orders updates by incarnation and refutes other versions of ourselves', () => {
  const claim = (incarnation: number, meta = { zone: 'a' }) => ({ incarnation, addr: 'h:1', meta });
  assert.equal(decideAlive(undefined, claim(0), false), 'apply');
  assert.equal(decideAlive(member(NodeState.Alive, 3), claim(3), false), 'ignore');
  assert.equal(decideAlive(member(NodeState.Alive, 3), claim(2), false), 'ignore');
  assert.equal(decideAlive(member(NodeState.Dead, 3), claim(4), false), 'apply');
  assert.equal(decideAlive(member(NodeState.Alive, 3), claim(3), true), 'ignore', 'our own echo');
  assert.equal(decideAlive(member(NodeState.Alive, 3), claim(3, { zone: 'b' }), true), 'refute');
  assert.equal(decideAlive(member(NodeState.Alive, 3), claim(7), true), 'refute', 'a version of us from before a restart');
  assert.equal(decideAlive(member(NodeState.Alive, 3), claim(1), true), 'ignore');
});

test('decideSuspect() ignores old news, confirms running suspicions and lets a live member refute', () => {
  assert.equal(decideSuspect(undefined, 1, false, false), 'ignore');
  assert.equal(decideSuspect(member(NodeState.Alive, 3), 2, false, false), 'ignore');
  assert.equal(decideSuspect(member(NodeState.Alive, 3), 3, false, false), 'apply');
  assert.equal(decideSuspect(member(NodeState.Suspect, 3), 3, false, false), 'confirm');
  assert.equal(decideSuspect(member(NodeState.Dead, 3), 3, false, false), 'ignore');
  assert.equal(decideSuspect(member(NodeState.Alive, 3), 3, true, false), 'refute');
  assert.equal(decideSuspect(member(NodeState.Left, 3), 3, true, true), 'ignore');
});

test('decideDead() applies once, and a live member refutes unless it is leaving', () => {
  assert.equal(decideDead(undefined, 1, false, false), 'ignore');
  assert.equal(decideDead(member(NodeState.Alive, 3), 2, false, false), 'ignore');
  assert.equal(decideDead(member(NodeState.Suspect, 3), 3, false, false), 'apply');
  assert.equal(decideDead(member(NodeState.Dead, 3), 4, false, false), 'ignore');
  assert.equal(decideDead(member(NodeState.Alive, 3), 3, true, false), 'refute');
  assert.equal(decideDead(member(NodeState.Alive, 3), 3, true, true), 'apply');
});
