// Updates an operator's admission webhook REFUSES (lib/validate/admission/): not a risk to weigh
// but a sync that cannot succeed, whatever the reviewer decides. Each message says what is
// refused, by which upstream rule, and the way forward (e.g. a major downgrade needs a restore
// into a new cluster; a WAL volume cannot be removed; storage cannot shrink).
import { admissionUpdateViolations } from '../validate/admission';
import type { DangerRule } from './dangers';

export const ADMISSION_REFUSED_RULE = 'admission-refused';

export const admissionRefused: DangerRule = {
  name: ADMISSION_REFUSED_RULE,
  check: ({ type, before, after }) => {
    if (type !== 'changed' || !before || !after) return [];
    return admissionUpdateViolations(before, after).map((v) => `REFUSED: ${v.path}: ${v.message}`);
  },
};
