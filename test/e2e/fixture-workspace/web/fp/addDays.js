// This file is generated automatically by `scripts/build/fp.ts`. Please, don't change it.

import { addDays as fn } from "../addDays.js";
import { convertToFP } from "./_lib/convertToFP.js";

/** A curried addDays: the generated wrapper, not the code a search should offer. */
export const addDaysInCalendar = convertToFP(fn, 2);
