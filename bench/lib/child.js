import { execFile, spawn } from 'node:child_process';

/** Runs `node ARGS` under the benchmark's Node and resolves with stdout (rejects on failure). */
export function runNode(args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, ...opts }, (error, stdout, stderr) => {
      if (error) reject(new Error(`node ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function spawnNode(args, opts = {}) {
  return spawn(process.execPath, args, opts);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
