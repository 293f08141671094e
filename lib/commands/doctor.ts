// `varjepa doctor`: what this installation loaded and what the machine offers. A native addon
// that does not load is the finding, not a crash: the report says where it looked and what to
// do, and the command exits 1.
import { formatInfo, info, type VarjepaInfo } from '../info';
import { packageVersion, platformTag } from '../native';

/** The doctor's report: the installation when the addon loads, else why it does not. */
export type DoctorReport = ({ ok: true } & VarjepaInfo) | { ok: false; version: string; node: string; platform: string; problem: string };

export function doctor(): DoctorReport {
  try {
    return { ok: true, ...info() };
  } catch (err) {
    return { ok: false, version: packageVersion(), node: process.version, platform: platformTag(), problem: (err as Error).message };
  }
}

export function formatDoctor(d: DoctorReport): string {
  if (d.ok) return formatInfo(d);
  return [`varjepa ${d.version}`, `node          ${d.node}`, `platform      ${d.platform}`, 'native addon  NOT LOADED', d.problem.replace(/^varjepa: /, '')].join('\n');
}
