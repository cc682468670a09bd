// Parses `pmset -g batt`: the power source in use and, on a laptop, one line per battery:
//
//   Now drawing from 'Battery Power'
//    -InternalBattery-0 (id=19136611)	100%; discharging; 18:37 remaining present: true
//
// What it gives is what the menu bar shows: the charge in percent, the state (charging,
// discharging, charged, finishing charge, AC attached) and the time left as H:MM, or
// "(no estimate)". A Mac without a battery prints only the first line.

import type { BatteryState } from './ioreg-battery.js';

export interface PmsetBattery {
  /** e.g. InternalBattery-0 */
  readonly name: string;
  readonly charge: number;
  readonly state?: BatteryState;
  readonly timeLeftSeconds?: number;
}

export interface PmsetBatt {
  /** e.g. "Battery Power", "AC Power"; undefined when the line is missing. */
  readonly drawingFrom?: string;
  readonly batteries: PmsetBattery[];
  readonly malformed: string[];
}

const STATES: Readonly<Record<string, BatteryState>> = {
  charging: 'charging',
  'finishing charge': 'charging',
  discharging: 'discharging',
  charged: 'full',
  'AC attached': 'not_charging',
  'not charging': 'not_charging',
};

const DRAWING = "Now drawing from '";
const PERCENT = /^(\d{1,3})%$/;
const TIME = /^(\d{1,3}):(\d{2}) remaining/;

function batteryOf(line: string): PmsetBattery | string {
  const idAt = line.indexOf(' (id=');
  const fieldsAt = line.indexOf(')', idAt);
  if (idAt < 0 || fieldsAt < 0) return 'a battery line without "(id=…)"';
  const name = line.slice(line.indexOf('-') + 1, idAt);
  const [percentText = '', stateText = '', timeText = ''] = line.slice(fieldsAt + 1).split(';').map((f) => f.trim());
  const percent = PERCENT.exec(percentText);
  if (percent === null || Number(percent[1]) > 100) return `no charge percentage in ${JSON.stringify(percentText)}`;
  const time = TIME.exec(timeText);
  const state = STATES[stateText];
  return {
    name,
    charge: Number(percent[1]) / 100,
    ...(state !== undefined && { state }),
    ...(time !== null && (state === 'charging' || state === 'discharging') && { timeLeftSeconds: (Number(time[1]) * 60 + Number(time[2])) * 60 }),
  };
}

export function parsePmsetBatt(text: string): PmsetBatt {
  let drawingFrom: string | undefined;
  const batteries: PmsetBattery[] = [];
  const malformed: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('$') || line.includes('pmset -g batt')) continue;
    if (line.startsWith(DRAWING)) {
      const end = line.indexOf("'", DRAWING.length);
      drawingFrom = end > 0 ? line.slice(DRAWING.length, end) : undefined;
    } else if (line.startsWith('-')) {
      const battery = batteryOf(line);
      if (typeof battery === 'string') malformed.push(`${battery}: ${JSON.stringify(line.slice(0, 120))}`);
      else batteries.push(battery);
    } else {
      malformed.push(`not a pmset -g batt line: ${JSON.stringify(line.slice(0, 120))}`);
    }
  }
  return { ...(drawingFrom !== undefined && { drawingFrom }), batteries, malformed };
}
