// Makes sure Debian's Chromium is installed for the console's browser tests (runs before test): when
// /usr/bin/chromium is missing it installs it with apt-get as root, and otherwise says what to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const steps = [
    ['apt-get', ['update']],
    ['apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']],
  ];
  const command = steps.map(([cmd, args]) => [cmd, ...args].join(' ')).join(' && ');
  if (process.getuid?.() !== 0) {
    console.error(`${CHROMIUM} is missing: the console's browser tests need it. Install it as root:\n  sudo sh -c '${command}'`);
    process.exit(1);
  }
  console.log(`${CHROMIUM} is missing: installing Chromium for the console's browser tests (${command})...`);
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      console.error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
      process.exit(r.status ?? 1);
    }
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`apt-get finished but ${CHROMIUM} is still missing`);
    process.exit(1);
  }
  console.log(`Installed ${CHROMIUM}.`);
}
