// Every kernel family's schedule space, in match order (the first family whose `matches` accepts
// a group's root op owns it; `generic` takes the rest: kernels with no knobs yet).
// To add a knob: one `knob(...)` line in its family's file. To add a family: one file and one line here.

import { defineFamily, type Family } from '../space.js';
import { ATTENTION } from './attention.js';
import { CONV } from './conv.js';
import { ELEMENTWISE } from './elementwise.js';
import { MATMUL } from './matmul.js';
import { NORM } from './norm.js';
import { PAD } from './pad.js';
import { POOL } from './pool.js';
import { QCONV } from './qconv.js';
import { REDUCE } from './reduce.js';
import { RNN } from './rnn.js';

export const GENERIC = defineFamily({ name: 'generic', matches: () => true, knobs: [] });

export const FAMILIES: readonly Family[] = Object.freeze([
  CONV, QCONV, PAD, MATMUL, ATTENTION, POOL, NORM, REDUCE, RNN, ELEMENTWISE, GENERIC,
]);

export function familyOf(op: string): Family {
  return FAMILIES.find((f) => f.matches(op)) ?? GENERIC;
}
